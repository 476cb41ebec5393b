#include <algorithm>
#include <set>

#include "base/ascii.hpp"
#include "store/engine_support.hpp"
#include "store/postgres/ops.hpp"

namespace taube::store::postgres::ops {
namespace {

#define TAUBE_ACCOUNT_SELECT                                                                \
  "SELECT a.id, a.domain_id, a.local_part || '@' || d.name, a.password_hash, a.created_at " \
  "FROM accounts a JOIN domains d ON d.id = a.domain_id "

Account account_from(const Rows& r, int i) {
  return Account{AccountId{r.i64(i, 0)}, DomainId{r.i64(i, 1)}, r.text(i, 2), r.text(i, 3),
                 UnixTime{std::chrono::seconds{r.i64(i, 4)}}};
}

bool is_valid_domain(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  for (char c : name)
    if (static_cast<unsigned char>(c) <= 0x20 || c == '@' || c == 0x7f) return false;
  return true;
}

boost::asio::awaitable<std::optional<std::int64_t>> domain_id(PgConn& c, std::string name) {
  name = ascii::lower(name);
  auto r = co_await c.query("SELECT id FROM domains WHERE name = $1", name);
  if (r.empty()) co_return std::nullopt;
  co_return r.i64(0, 0);
}

boost::asio::awaitable<std::optional<std::int64_t>> alias_id(PgConn& c, std::int64_t domain,
                                                             std::string local) {
  local = ascii::lower(local);
  auto r = co_await c.query("SELECT id FROM aliases WHERE domain_id = $1 AND local_key = $2",
                            domain, local);
  if (r.empty()) co_return std::nullopt;
  co_return r.i64(0, 0);
}

boost::asio::awaitable<std::vector<std::string>> alias_targets(PgConn& c, std::int64_t alias) {
  std::vector<std::string> out;
  auto r = co_await c.query(
      "SELECT target FROM alias_targets WHERE alias_id = $1 ORDER BY position", alias);
  for (int i = 0; i < r.size(); ++i) out.push_back(r.text(i, 0));
  co_return out;
}

boost::asio::awaitable<void> resolve(PgConn& c, AddressParts addr, std::int64_t domain, int depth,
                                     std::vector<AccountId>& out, std::set<std::string>& seen) {
  if (depth > kMaxAliasDepth) co_return;
  std::string key = ascii::lower(addr.local);
  if (!seen.insert(key + "@" + addr.domain).second) co_return;
  {
    auto r = co_await c.query("SELECT id FROM accounts WHERE domain_id = $1 AND local_key = $2",
                              domain, key);
    if (!r.empty()) {
      AccountId id{r.i64(0, 0)};
      if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
      co_return;
    }
  }
  auto alias = co_await alias_id(c, domain, addr.local);
  if (!alias && !addr.local.empty()) alias = co_await alias_id(c, domain, "");  // catch-all
  if (!alias) co_return;
  auto targets = co_await alias_targets(c, *alias);
  for (const auto& target : targets) {
    auto parts = split_address(target);
    if (!parts) continue;
    auto target_domain = co_await domain_id(c, parts->domain);
    if (!target_domain) continue;  // forwarding to remote addresses is the queue's business
    co_await resolve(c, *parts, *target_domain, depth + 1, out, seen);
  }
}

}  // namespace

UnixTime now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

Op<Domain> add_domain(PgConn& c, const std::string& name) {
  std::string lower = ascii::lower(name);
  if (!is_valid_domain(lower)) co_return fail(ErrorCode::kInvalidArgument, "bad domain name");
  auto r = co_await c.query(
      "INSERT INTO domains(name) VALUES ($1) ON CONFLICT (name) DO NOTHING RETURNING id", lower);
  if (r.empty()) co_return fail(ErrorCode::kAlreadyExists, "domain exists");
  co_return Domain{DomainId{r.i64(0, 0)}, lower};
}

Op<std::vector<Domain>> list_domains(PgConn& c) {
  std::vector<Domain> out;
  auto r = co_await c.query("SELECT id, name FROM domains ORDER BY name");
  for (int i = 0; i < r.size(); ++i) out.push_back(Domain{DomainId{r.i64(i, 0)}, r.text(i, 1)});
  co_return out;
}

Op<void> delete_domain(PgConn& c, const std::string& name) {
  auto id = co_await domain_id(c, name);
  if (!id) co_return fail(ErrorCode::kNotFound, "no such domain");
  // The row lock keeps a concurrent create_account from slipping in between.
  co_await c.query("SELECT 1 FROM domains WHERE id = $1 FOR UPDATE", *id);
  auto n = co_await c.query("SELECT count(*) FROM accounts WHERE domain_id = $1", *id);
  if (n.i64(0, 0) > 0) co_return fail(ErrorCode::kConflict, "domain still has accounts");
  co_await c.query("DELETE FROM domains WHERE id = $1", *id);
  co_return Result<void>{};
}

Op<bool> is_local_domain(PgConn& c, const std::string& name) {
  auto id = co_await domain_id(c, name);
  co_return id.has_value();
}

Op<Account> create_account(PgConn& c, Changes& changes, const std::string& address,
                           const std::string& password_hash) {
  auto parts = split_address(address);
  if (!parts) co_return fail(ErrorCode::kInvalidArgument, "bad address");
  auto domain = co_await domain_id(c, parts->domain);
  if (!domain) co_return fail(ErrorCode::kNotFound, "no such domain");
  auto created = now();
  std::string key = ascii::lower(parts->local);
  // FOR KEY SHARE on the domain (by the foreign key) orders us against delete_domain.
  auto r = co_await c.query(
      "INSERT INTO accounts(domain_id, local_part, local_key, password_hash, created_at) "
      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (domain_id, local_key) DO NOTHING RETURNING id",
      *domain, parts->local, key, password_hash, created.time_since_epoch().count());
  if (r.empty()) co_return fail(ErrorCode::kAlreadyExists, "account exists");
  AccountId id{r.i64(0, 0)};
  // The default mailboxes in three statements rather than ~60 round trips:
  // bulk provisioning of 20,000 accounts is not rare. Same rows, uid_validity
  // values and changes as create_mailbox() + subscribe() for each.
  constexpr auto kCount = static_cast<std::int64_t>(std::size(kDefaultMailboxes));
  auto base = co_await c.query(
      "UPDATE meta SET value = value + $1 WHERE key = 'next_uid_validity' RETURNING value - $1",
      kCount);
  std::string names = "{";
  std::string validities = "{";
  std::string uses = "{";
  for (std::int64_t i = 0; i < kCount; ++i) {
    const auto& mb = kDefaultMailboxes[i];
    // uid_validity is a non-zero 32-bit number (RFC 9051 2.3.1.1); wrap, skipping 0.
    auto validity = static_cast<std::uint32_t>(base.i64(0, 0) + i);
    if (validity == 0) validity = 1;
    const char* sep = i == 0 ? "" : ",";
    names += sep + std::string(mb.name);
    validities += sep + std::to_string(validity);
    uses += sep + std::to_string(static_cast<int>(mb.use));
  }
  names += '}';
  validities += '}';
  uses += '}';
  auto boxes = co_await c.query(
      "INSERT INTO mailboxes(account_id, name, uid_validity, special_use) "
      "SELECT $1, t.n, t.v, t.u FROM unnest($2::text[], $3::bigint[], $4::int[]) AS t(n, v, u) "
      "RETURNING id, highest_modseq, uid_next",
      id.value, names, validities, uses);
  co_await c.query(
      "INSERT INTO subscriptions(account_id, name) SELECT $1, unnest($2::text[]) "
      "ON CONFLICT DO NOTHING",
      id.value, names);
  for (int i = 0; i < boxes.size(); ++i)
    changes.push_back(MailboxChange{id, MailboxId{boxes.i64(i, 0)},
                                    static_cast<ModSeq>(boxes.i64(i, 1)),
                                    static_cast<Uid>(boxes.i64(i, 2)), false});
  co_return Account{id, DomainId{*domain}, parts->local + "@" + parts->domain, password_hash,
                    created};
}

Op<Account> find_account(PgConn& c, const std::string& address) {
  auto parts = split_address(address);
  if (!parts) co_return fail(ErrorCode::kNotFound, "bad address");
  std::string key = ascii::lower(parts->local);
  auto r = co_await c.query(TAUBE_ACCOUNT_SELECT "WHERE d.name = $1 AND a.local_key = $2",
                            parts->domain, key);
  if (r.empty()) co_return fail(ErrorCode::kNotFound, "no such account");
  co_return account_from(r, 0);
}

Op<Account> get_account(PgConn& c, AccountId id) {
  auto r = co_await c.query(TAUBE_ACCOUNT_SELECT "WHERE a.id = $1", id.value);
  if (r.empty()) co_return fail(ErrorCode::kNotFound, "no such account");
  co_return account_from(r, 0);
}

Op<std::vector<Account>> list_accounts(PgConn& c, const std::optional<std::string>& domain) {
  std::vector<Account> out;
  Rows r;
  if (domain) {
    std::string lower = ascii::lower(*domain);
    r = co_await c.query(TAUBE_ACCOUNT_SELECT "WHERE d.name = $1 ORDER BY d.name, a.local_key",
                         lower);
  } else {
    r = co_await c.query(TAUBE_ACCOUNT_SELECT "ORDER BY d.name, a.local_key");
  }
  for (int i = 0; i < r.size(); ++i) out.push_back(account_from(r, i));
  co_return out;
}

Op<void> delete_account(PgConn& c, Changes& changes, AccountId id) {
  auto boxes = co_await c.query("SELECT id FROM mailboxes WHERE account_id = $1", id.value);
  auto r = co_await c.query("DELETE FROM accounts WHERE id = $1", id.value);
  if (r.affected() == 0) co_return fail(ErrorCode::kNotFound, "no such account");
  for (int i = 0; i < boxes.size(); ++i)
    changes.push_back(MailboxChange{id, MailboxId{boxes.i64(i, 0)}, 0, 0, true});
  co_return Result<void>{};
}

Op<void> set_password_hash(PgConn& c, AccountId id, const std::string& password_hash) {
  auto r = co_await c.query("UPDATE accounts SET password_hash = $1 WHERE id = $2", password_hash,
                            id.value);
  if (r.affected() == 0) co_return fail(ErrorCode::kNotFound, "no such account");
  co_return Result<void>{};
}

Op<void> add_alias(PgConn& c, const Alias& alias) {
  auto parts = split_address(alias.source, true);
  if (!parts || alias.targets.empty()) co_return fail(ErrorCode::kInvalidArgument, "bad alias");
  for (const auto& t : alias.targets)
    if (!split_address(t)) co_return fail(ErrorCode::kInvalidArgument, "bad alias target");
  auto domain = co_await domain_id(c, parts->domain);
  if (!domain) co_return fail(ErrorCode::kNotFound, "no such domain");
  std::string key = ascii::lower(parts->local);
  auto r = co_await c.query(
      "INSERT INTO aliases(domain_id, local_part, local_key) VALUES ($1, $2, $3) "
      "ON CONFLICT (domain_id, local_key) DO NOTHING RETURNING id",
      *domain, parts->local, key);
  if (r.empty()) co_return fail(ErrorCode::kAlreadyExists, "alias exists");
  auto id = r.i64(0, 0);
  int position = 0;
  for (const auto& t : alias.targets) {
    co_await c.query("INSERT INTO alias_targets(alias_id, position, target) VALUES ($1, $2, $3)",
                     id, position, t);
    ++position;
  }
  co_return Result<void>{};
}

Op<std::vector<Alias>> list_aliases(PgConn& c, const std::optional<std::string>& domain) {
#define TAUBE_ALIAS_SELECT                                     \
  "SELECT a.id, a.local_part || '@' || d.name FROM aliases a " \
  "JOIN domains d ON d.id = a.domain_id "
  Rows r;
  if (domain) {
    std::string lower = ascii::lower(*domain);
    r = co_await c.query(TAUBE_ALIAS_SELECT
                         "WHERE d.name = $1 ORDER BY (a.local_part || '@' || d.name) COLLATE \"C\"",
                         lower);
  } else {
    r = co_await c.query(TAUBE_ALIAS_SELECT
                         "ORDER BY (a.local_part || '@' || d.name) COLLATE \"C\"");
  }
#undef TAUBE_ALIAS_SELECT
  std::vector<Alias> out;
  for (int i = 0; i < r.size(); ++i) {
    Alias alias{r.text(i, 1), {}};
    alias.targets = co_await alias_targets(c, r.i64(i, 0));
    out.push_back(std::move(alias));
  }
  co_return out;
}

Op<void> delete_alias(PgConn& c, const std::string& source) {
  auto parts = split_address(source, true);
  if (!parts) co_return fail(ErrorCode::kNotFound, "bad alias");
  auto domain = co_await domain_id(c, parts->domain);
  std::optional<std::int64_t> id;
  if (domain) id = co_await alias_id(c, *domain, parts->local);
  if (!id) co_return fail(ErrorCode::kNotFound, "no such alias");
  co_await c.query("DELETE FROM aliases WHERE id = $1", *id);
  co_return Result<void>{};
}

Op<std::vector<AccountId>> resolve_recipient(PgConn& c, const std::string& address) {
  auto parts = split_address(address);
  if (!parts) co_return fail(ErrorCode::kInvalidArgument, "not an address");
  auto domain = co_await domain_id(c, parts->domain);
  if (!domain) co_return fail(ErrorCode::kPermissionDenied, "domain is not local");
  std::vector<AccountId> out;
  std::set<std::string> seen;
  co_await resolve(c, *parts, *domain, 0, out, seen);
  if (out.empty()) co_return fail(ErrorCode::kNotFound, "no such user");
  co_return out;
}

}  // namespace taube::store::postgres::ops
