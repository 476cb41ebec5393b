#include <algorithm>
#include <set>

#include "base/ascii.hpp"
#include "store/engine_support.hpp"
#include "store/sqlite/ops.hpp"

namespace taube::store::sqlite::ops {
namespace {

constexpr std::string_view kAccountSelect =
    "SELECT a.id, a.domain_id, a.local_part || '@' || d.name, a.password_hash, a.created_at "
    "FROM accounts a JOIN domains d ON d.id = a.domain_id ";

Account account_from(const Stmt& s) {
  return Account{AccountId{s.i64(0)}, DomainId{s.i64(1)}, s.text(2), s.text(3),
                 UnixTime{std::chrono::seconds{s.i64(4)}}};
}

bool is_valid_domain(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  for (char c : name)
    if (static_cast<unsigned char>(c) <= 0x20 || c == '@' || c == 0x7f) return false;
  return true;
}

std::optional<std::int64_t> domain_id(Db& db, std::string_view name) {
  auto s = db.query("SELECT id FROM domains WHERE name = ?", name);
  if (!s.step()) return std::nullopt;
  return s.i64(0);
}

std::optional<std::int64_t> alias_id(Db& db, std::int64_t domain, std::string_view local) {
  auto s = db.query("SELECT id FROM aliases WHERE domain_id = ? AND local_part = ?", domain, local);
  if (!s.step()) return std::nullopt;
  return s.i64(0);
}

std::vector<std::string> alias_targets(Db& db, std::int64_t alias) {
  std::vector<std::string> out;
  auto s = db.query("SELECT target FROM alias_targets WHERE alias_id = ? ORDER BY position", alias);
  while (s.step()) out.push_back(s.text(0));
  return out;
}

void resolve(Db& db, const AddressParts& addr, std::int64_t domain, int depth,
             std::vector<AccountId>& out, std::set<std::string>& seen) {
  if (depth > kMaxAliasDepth) return;
  if (!seen.insert(ascii::lower(addr.local) + "@" + addr.domain).second) return;
  {
    auto s = db.query("SELECT id FROM accounts WHERE domain_id = ? AND local_part = ?", domain,
                      addr.local);
    if (s.step()) {
      AccountId id{s.i64(0)};
      if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
      return;
    }
  }
  auto alias = alias_id(db, domain, addr.local);
  if (!alias && !addr.local.empty()) alias = alias_id(db, domain, "");  // catch-all
  if (!alias) return;
  for (const auto& target : alias_targets(db, *alias)) {
    auto parts = split_address(target);
    if (!parts) continue;
    auto target_domain = domain_id(db, parts->domain);
    if (!target_domain) continue;  // forwarding to remote addresses is the queue's business
    resolve(db, *parts, *target_domain, depth + 1, out, seen);
  }
}

}  // namespace

UnixTime now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

Result<Domain> add_domain(Db& db, const std::string& name) {
  std::string lower = ascii::lower(name);
  if (!is_valid_domain(lower)) return fail(ErrorCode::kInvalidArgument, "bad domain name");
  if (domain_id(db, lower)) return fail(ErrorCode::kAlreadyExists, "domain exists");
  db.run("INSERT INTO domains(name) VALUES (?)", lower);
  return Domain{DomainId{db.last_insert_rowid()}, lower};
}

Result<std::vector<Domain>> list_domains(Db& db) {
  std::vector<Domain> out;
  auto s = db.query("SELECT id, name FROM domains ORDER BY name");
  while (s.step()) out.push_back(Domain{DomainId{s.i64(0)}, s.text(1)});
  return out;
}

Result<void> delete_domain(Db& db, const std::string& name) {
  auto id = domain_id(db, name);
  if (!id) return fail(ErrorCode::kNotFound, "no such domain");
  auto s = db.query("SELECT count(*) FROM accounts WHERE domain_id = ?", *id);
  s.step();
  if (s.i64(0) > 0) return fail(ErrorCode::kConflict, "domain still has accounts");
  db.run("DELETE FROM domains WHERE id = ?", *id);
  return {};
}

Result<bool> is_local_domain(Db& db, const std::string& name) {
  return domain_id(db, name).has_value();
}

Result<Account> create_account(Db& db, Changes& changes, const std::string& address,
                               const std::string& password_hash) {
  auto parts = split_address(address);
  if (!parts) return fail(ErrorCode::kInvalidArgument, "bad address");
  auto domain = domain_id(db, parts->domain);
  if (!domain) return fail(ErrorCode::kNotFound, "no such domain");
  {
    auto s = db.query("SELECT 1 FROM accounts WHERE domain_id = ? AND local_part = ?", *domain,
                      parts->local);
    if (s.step()) return fail(ErrorCode::kAlreadyExists, "account exists");
  }
  auto created = now();
  db.run("INSERT INTO accounts(domain_id, local_part, password_hash, created_at) VALUES (?,?,?,?)",
         *domain, parts->local, password_hash, created.time_since_epoch().count());
  AccountId id{db.last_insert_rowid()};
  for (const auto& mb : kDefaultMailboxes) {
    auto r = create_mailbox(db, changes, id, std::string(mb.name), mb.use);
    if (!r) return r.error();
    auto sub = subscribe(db, id, std::string(mb.name));
    if (!sub) return sub.error();
  }
  return Account{id, DomainId{*domain}, parts->local + "@" + parts->domain, password_hash, created};
}

Result<Account> find_account(Db& db, const std::string& address) {
  auto parts = split_address(address);
  if (!parts) return fail(ErrorCode::kNotFound, "bad address");
  auto s = db.query(std::string(kAccountSelect) + "WHERE d.name = ? AND a.local_part = ?",
                    parts->domain, parts->local);
  if (!s.step()) return fail(ErrorCode::kNotFound, "no such account");
  return account_from(s);
}

Result<Account> get_account(Db& db, AccountId id) {
  auto s = db.query(std::string(kAccountSelect) + "WHERE a.id = ?", id.value);
  if (!s.step()) return fail(ErrorCode::kNotFound, "no such account");
  return account_from(s);
}

Result<std::vector<Account>> list_accounts(Db& db, const std::optional<std::string>& domain) {
  std::vector<Account> out;
  auto s =
      domain
          ? db.query(std::string(kAccountSelect) + "WHERE d.name = ? ORDER BY d.name, a.local_part",
                     *domain)
          : db.query(std::string(kAccountSelect) + "ORDER BY d.name, a.local_part");
  while (s.step()) out.push_back(account_from(s));
  return out;
}

Result<void> delete_account(Db& db, Changes& changes, AccountId id) {
  std::vector<MailboxId> boxes;
  {
    auto s = db.query("SELECT id FROM mailboxes WHERE account_id = ?", id.value);
    while (s.step()) boxes.push_back(MailboxId{s.i64(0)});
  }
  if (db.run("DELETE FROM accounts WHERE id = ?", id.value) == 0)
    return fail(ErrorCode::kNotFound, "no such account");
  for (auto mb : boxes) changes.push_back(MailboxChange{id, mb, 0, 0, true});
  return {};
}

Result<void> set_password_hash(Db& db, AccountId id, const std::string& password_hash) {
  if (db.run("UPDATE accounts SET password_hash = ? WHERE id = ?", password_hash, id.value) == 0)
    return fail(ErrorCode::kNotFound, "no such account");
  return {};
}

Result<void> add_alias(Db& db, const Alias& alias) {
  auto parts = split_address(alias.source, true);
  if (!parts || alias.targets.empty()) return fail(ErrorCode::kInvalidArgument, "bad alias");
  for (const auto& t : alias.targets)
    if (!split_address(t)) return fail(ErrorCode::kInvalidArgument, "bad alias target");
  auto domain = domain_id(db, parts->domain);
  if (!domain) return fail(ErrorCode::kNotFound, "no such domain");
  if (alias_id(db, *domain, parts->local)) return fail(ErrorCode::kAlreadyExists, "alias exists");
  db.run("INSERT INTO aliases(domain_id, local_part) VALUES (?, ?)", *domain, parts->local);
  auto id = db.last_insert_rowid();
  int position = 0;
  for (const auto& t : alias.targets)
    db.run("INSERT INTO alias_targets(alias_id, position, target) VALUES (?,?,?)", id, position++,
           t);
  return {};
}

Result<std::vector<Alias>> list_aliases(Db& db, const std::optional<std::string>& domain) {
  std::vector<std::pair<std::int64_t, Alias>> rows;
  {
    constexpr std::string_view kSelect =
        "SELECT a.id, a.local_part || '@' || d.name FROM aliases a "
        "JOIN domains d ON d.id = a.domain_id ";
    auto s = domain ? db.query(std::string(kSelect) + "WHERE d.name = ? ORDER BY 2", *domain)
                    : db.query(std::string(kSelect) + "ORDER BY 2");
    while (s.step()) rows.emplace_back(s.i64(0), Alias{s.text(1), {}});
  }
  std::vector<Alias> out;
  for (auto& [id, alias] : rows) {
    alias.targets = alias_targets(db, id);
    out.push_back(std::move(alias));
  }
  return out;
}

Result<void> delete_alias(Db& db, const std::string& source) {
  auto parts = split_address(source, true);
  if (!parts) return fail(ErrorCode::kNotFound, "bad alias");
  auto domain = domain_id(db, parts->domain);
  auto id = domain ? alias_id(db, *domain, parts->local) : std::nullopt;
  if (!id) return fail(ErrorCode::kNotFound, "no such alias");
  db.run("DELETE FROM aliases WHERE id = ?", *id);
  return {};
}

Result<std::vector<AccountId>> resolve_recipient(Db& db, const std::string& address) {
  auto parts = split_address(address);
  if (!parts) return fail(ErrorCode::kInvalidArgument, "not an address");
  auto domain = domain_id(db, parts->domain);
  if (!domain) return fail(ErrorCode::kPermissionDenied, "domain is not local");
  std::vector<AccountId> out;
  std::set<std::string> seen;
  resolve(db, *parts, *domain, 0, out, seen);
  if (out.empty()) return fail(ErrorCode::kNotFound, "no such user");
  return out;
}

}  // namespace taube::store::sqlite::ops
