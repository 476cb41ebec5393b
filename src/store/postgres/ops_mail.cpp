#include <algorithm>
#include <random>

#include "base/ascii.hpp"
#include "store/engine_support.hpp"
#include "store/postgres/ops.hpp"
#include "store/queue_support.hpp"

namespace taube::store::postgres::ops {
namespace {

namespace asio = boost::asio;

struct MailboxRow {
  std::int64_t id = 0;
  std::uint32_t uid_validity = 0;
  Uid uid_next = 0;
  ModSeq highest_modseq = 0;
};

#define TAUBE_MAILBOX_SELECT                                                               \
  "SELECT b.id, b.account_id, b.name, b.uid_validity, b.uid_next, b.highest_modseq, "      \
  "b.special_use, EXISTS(SELECT 1 FROM subscriptions s WHERE s.account_id = b.account_id " \
  "AND s.name = b.name), count(m.id), count(m.id) FILTER (WHERE m.flags & 1 = 0), "        \
  "count(m.id) FILTER (WHERE m.flags & 8 != 0), coalesce(sum(m.size), 0) "                 \
  "FROM mailboxes b LEFT JOIN messages m ON m.mailbox_id = b.id "

Mailbox mailbox_from(const Rows& r, int i) {
  Mailbox mb;
  mb.id = MailboxId{r.i64(i, 0)};
  mb.account = AccountId{r.i64(i, 1)};
  mb.name = r.text(i, 2);
  mb.uid_validity = static_cast<std::uint32_t>(r.i64(i, 3));
  mb.uid_next = static_cast<Uid>(r.i64(i, 4));
  mb.highest_modseq = static_cast<ModSeq>(r.i64(i, 5));
  mb.special_use = static_cast<SpecialUse>(r.i64(i, 6));
  mb.subscribed = r.boolean(i, 7);
  mb.counts.messages = static_cast<std::uint32_t>(r.i64(i, 8));
  mb.counts.unseen = static_cast<std::uint32_t>(r.i64(i, 9));
  mb.counts.deleted = static_cast<std::uint32_t>(r.i64(i, 10));
  mb.counts.size_bytes = static_cast<std::uint64_t>(r.i64(i, 11));
  return mb;
}

asio::awaitable<std::optional<MailboxRow>> mailbox_row(PgConn& c, AccountId account, MailboxId id) {
  auto r = co_await c.query(
      "SELECT id, uid_validity, uid_next, highest_modseq FROM mailboxes "
      "WHERE id = $1 AND account_id = $2",
      id.value, account.value);
  if (r.empty()) co_return std::nullopt;
  co_return MailboxRow{r.i64(0, 0), static_cast<std::uint32_t>(r.i64(0, 1)),
                       static_cast<Uid>(r.i64(0, 2)), static_cast<ModSeq>(r.i64(0, 3))};
}

asio::awaitable<std::optional<std::int64_t>> mailbox_id_by_name(PgConn& c, AccountId account,
                                                                const std::string& name) {
  auto r = co_await c.query("SELECT id FROM mailboxes WHERE account_id = $1 AND name = $2",
                            account.value, name);
  if (r.empty()) co_return std::nullopt;
  co_return r.i64(0, 0);
}

// Takes the mailbox's row lock until COMMIT: this is what keeps UIDs and
// MODSEQs gap-free and monotonic across connections and nodes.
asio::awaitable<ModSeq> bump_modseq(PgConn& c, std::int64_t mailbox) {
  auto r = co_await c.query(
      "UPDATE mailboxes SET highest_modseq = highest_modseq + 1 WHERE id = $1 "
      "RETURNING highest_modseq",
      mailbox);
  if (r.empty()) throw PgError("mailbox vanished during the transaction", "", false);
  co_return static_cast<ModSeq>(r.i64(0, 0));
}

asio::awaitable<void> note_change(PgConn& c, Changes& changes, AccountId account,
                                  std::int64_t mailbox) {
  auto r =
      co_await c.query("SELECT highest_modseq, uid_next FROM mailboxes WHERE id = $1", mailbox);
  if (r.empty()) co_return;
  merge_change(changes, MailboxChange{account, MailboxId{mailbox}, static_cast<ModSeq>(r.i64(0, 0)),
                                      static_cast<Uid>(r.i64(0, 1)), false});
}


std::string new_email_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "M";
  auto v = rng();
  for (int i = 0; i < 16; ++i) out += kHex[(v >> (4 * i)) & 0xf];
  return out;
}

std::string int_array(const std::vector<std::int64_t>& values) {
  std::string out = "{";
  for (auto v : values) {
    if (out.size() > 1) out += ',';
    out += std::to_string(v);
  }
  out += '}';
  return out;
}

#define TAUBE_RECORD_COLUMNS                                                             \
  "m.uid, m.modseq, m.flags, m.keywords, m.internal_date, m.save_date, m.size, c.hash, " \
  "m.email_id, m.id, m.content_id, c.sent_date "

MessageRecord record_from(const Rows& r, int i) {
  MessageRecord rec;
  rec.uid = static_cast<Uid>(r.i64(i, 0));
  rec.modseq = static_cast<ModSeq>(r.i64(i, 1));
  rec.flags.system = static_cast<std::uint8_t>(r.i64(i, 2));
  rec.flags.keywords = split_keywords(r.text(i, 3));
  rec.internal_date = UnixTime{std::chrono::seconds{r.i64(i, 4)}};
  rec.save_date = UnixTime{std::chrono::seconds{r.i64(i, 5)}};
  rec.size = static_cast<std::uint64_t>(r.i64(i, 6));
  rec.blob_hash = r.text(i, 7);
  rec.email_id = r.text(i, 8);
  if (!r.is_null(i, 11)) rec.sent_date = UnixTime{std::chrono::seconds{r.i64(i, 11)}};
  return rec;
}

struct Row {
  MessageRecord record;
  std::int64_t id = 0;
  std::int64_t content_id = 0;
};

asio::awaitable<std::vector<Row>> select_rows(PgConn& c, std::int64_t mailbox, const UidSet& uids,
                                              bool for_update) {
  std::vector<Row> out;
  for (const auto& range : normalize_uids(uids)) {
    Rows r;
    if (for_update) {
      r = co_await c.query("SELECT " TAUBE_RECORD_COLUMNS
                           "FROM messages m JOIN contents c ON c.id = m.content_id "
                           "WHERE m.mailbox_id = $1 AND m.uid BETWEEN $2 AND $3 "
                           "ORDER BY m.uid FOR UPDATE OF m",
                           mailbox, range.first, range.last);
    } else {
      r = co_await c.query("SELECT " TAUBE_RECORD_COLUMNS
                           "FROM messages m JOIN contents c ON c.id = m.content_id "
                           "WHERE m.mailbox_id = $1 AND m.uid BETWEEN $2 AND $3 ORDER BY m.uid",
                           mailbox, range.first, range.last);
    }
    for (int i = 0; i < r.size(); ++i)
      out.push_back(Row{record_from(r, i), r.i64(i, 9), r.i64(i, 10)});
  }
  co_return out;
}

// Allocates the next UID (and, unless given, a new MODSEQ) under the mailbox's
// row lock and inserts the message. nullopt when the mailbox is gone.
asio::awaitable<std::optional<Delivered>> insert_message(PgConn& c, std::int64_t mailbox,
                                                         std::int64_t content_id,
                                                         const Flags& flags, UnixTime internal_date,
                                                         std::uint64_t size,
                                                         const std::string* email_id,
                                                         std::optional<ModSeq> modseq) {
  Delivered d;
  d.mailbox = MailboxId{mailbox};
  Rows r;
  if (modseq) {
    r = co_await c.query(
        "UPDATE mailboxes SET uid_next = uid_next + 1 WHERE id = $1 "
        "RETURNING uid_next - 1, highest_modseq, uid_validity",
        mailbox);
  } else {
    r = co_await c.query(
        "UPDATE mailboxes SET uid_next = uid_next + 1, highest_modseq = highest_modseq + 1 "
        "WHERE id = $1 RETURNING uid_next - 1, highest_modseq, uid_validity",
        mailbox);
  }
  if (r.empty()) co_return std::nullopt;
  d.uid = static_cast<Uid>(r.i64(0, 0));
  d.modseq = modseq ? *modseq : static_cast<ModSeq>(r.i64(0, 1));
  d.uid_validity = static_cast<std::uint32_t>(r.i64(0, 2));
  auto save = now().time_since_epoch().count();
  auto date = internal_date.time_since_epoch().count();
  std::string id = email_id ? *email_id : new_email_id();
  std::string keywords = join_keywords(flags.keywords);
  co_await c.query(
      "INSERT INTO messages(mailbox_id, uid, modseq, flags, keywords, internal_date, "
      "save_date, size, content_id, email_id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
      mailbox, d.uid, d.modseq, int{flags.system}, keywords, date, save, size, content_id, id);
  co_return d;
}

// DO UPDATE (not DO NOTHING) locks an existing row until COMMIT, so that a
// concurrent transaction dropping the blob (its last queue entry or contents
// row went) waits for us and then sees our new reference.
asio::awaitable<void> ensure_blob(PgConn& c, const PreparedBlob& blob) {
  Bytea data{blob.frame};
  co_await c.query(
      "INSERT INTO blobs(hash, size, data) VALUES ($1, $2, $3) "
      "ON CONFLICT (hash) DO UPDATE SET size = EXCLUDED.size",
      blob.hash, blob.size, data);
}

// The contents row of `blob`, created if needed. FOR UPDATE keeps a concurrent
// expunge of its last reference from deleting it under us; ON CONFLICT waits for
// a concurrent insert of the same hash and then finds its row.
asio::awaitable<std::int64_t> ensure_content(PgConn& c, const PreparedBlob& blob,
                                             const MessageMeta& m) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto found = co_await c.query("SELECT id FROM contents WHERE hash = $1 FOR UPDATE", blob.hash);
    if (!found.empty()) co_return found.i64(0, 0);
    co_await ensure_blob(c, blob);
    std::optional<std::int64_t> sent;
    if (m.sent_date) sent = m.sent_date->time_since_epoch().count();
    auto r = co_await c.query(
        "INSERT INTO contents(hash, size, envelope, body_structure, body, subject, from_addr, "
        "to_addr, cc_addr, bcc_addr, sent_date, message_id, in_reply_to, references_hdr, "
        "headers, preview, search_text) "
        "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17) "
        "ON CONFLICT (hash) DO NOTHING RETURNING id",
        blob.hash, blob.size, m.envelope, m.body_structure, m.body, m.subject, m.from, m.to, m.cc,
        m.bcc, sent, m.message_id, m.in_reply_to, m.references, m.headers, m.preview,
        m.search_text);
    if (!r.empty()) co_return r.i64(0, 0);
  }
  throw PgError("contents row keeps disappearing", "40001", false);
}

asio::awaitable<void> expunge_rows(PgConn& c, std::int64_t mailbox, ModSeq modseq,
                                   const std::vector<Row>& rows) {
  std::vector<std::int64_t> ids;
  std::vector<std::int64_t> uids;
  for (const auto& row : rows) {
    ids.push_back(row.id);
    uids.push_back(row.record.uid);
  }
  std::string uid_array = int_array(uids);
  std::string id_array = int_array(ids);
  co_await c.query(
      "INSERT INTO expunged(mailbox_id, uid, modseq) SELECT $1, u, $2 FROM unnest($3::bigint[]) u "
      "ON CONFLICT (mailbox_id, uid) DO UPDATE SET modseq = EXCLUDED.modseq",
      mailbox, modseq, uid_array);
  co_await c.query("DELETE FROM messages WHERE id = ANY($1::bigint[])", id_array);
}

// Creates `name` unless it exists; returns its id. uid_validity comes from one
// counter row, so a name never gets a uid_validity it had before.
asio::awaitable<std::int64_t> create_one(PgConn& c, AccountId account, const std::string& name,
                                         SpecialUse use) {
  if (auto id = co_await mailbox_id_by_name(c, account, name)) co_return *id;
  auto v = co_await c.query(
      "UPDATE meta SET value = value + 1 WHERE key = 'next_uid_validity' RETURNING value - 1");
  // uid_validity is a non-zero 32-bit number (RFC 9051 2.3.1.1); wrap, skipping 0.
  auto validity = static_cast<std::uint32_t>(v.i64(0, 0));
  if (validity == 0) validity = 1;
  auto r = co_await c.query(
      "INSERT INTO mailboxes(account_id, name, uid_validity, special_use) VALUES ($1,$2,$3,$4) "
      "RETURNING id",
      account.value, name, validity, static_cast<int>(use));
  co_return r.i64(0, 0);
}

asio::awaitable<void> create_superiors(PgConn& c, Changes& changes, AccountId account,
                                       const std::string& name) {
  for (size_t pos = name.find(kHierarchySeparator); pos != std::string::npos;
       pos = name.find(kHierarchySeparator, pos + 1)) {
    std::string parent = normalize_mailbox_name(name.substr(0, pos));
    if (!co_await mailbox_id_by_name(c, account, parent)) {
      auto id = co_await create_one(c, account, parent, SpecialUse::kNone);
      co_await note_change(c, changes, account, id);
    }
  }
}


// A tsquery literal operand: quoted, with quotes and backslashes escaped.
std::string quote_lexeme(std::string_view lexeme) {
  std::string out = "'";
  for (char ch : lexeme) {
    if (ch == '\'' || ch == '\\') out += '\\';
    out += ch;
  }
  out += '\'';
  return out;
}

}  // namespace

Op<std::vector<Result<Delivered>>> deliver(PgConn& c, Changes& changes, const Delivery& d,
                                           const PreparedBlob& blob) {
  for (const auto& t : d.targets)
    if (!valid_keywords(t.flags)) co_return fail(ErrorCode::kInvalidArgument, "bad keyword");
  if (d.outbound)
    if (auto g = group_by_domain(*d.outbound); !g) co_return g.error();
  if (!d.idempotency_key.empty()) {
    auto earlier = co_await claim_delivery_key(c, d.idempotency_key);
    if (earlier) co_return std::move(*earlier);
  }
  auto content = co_await ensure_content(c, blob, d.meta);
  // Resolve every target first, then take the mailboxes' row locks in ascending
  // id order: two deliveries to the same mailboxes, listed in opposite orders,
  // must not deadlock each other.
  std::vector<std::optional<std::int64_t>> mailboxes;
  mailboxes.reserve(d.targets.size());
  for (const auto& t : d.targets) {
    std::optional<std::int64_t> mailbox;
    if (t.mailbox_id) {
      if (auto row = co_await mailbox_row(c, t.account, *t.mailbox_id)) mailbox = row->id;
    } else {
      std::string name = normalize_mailbox_name(t.mailbox);
      mailbox = co_await mailbox_id_by_name(c, t.account, name);
    }
    mailboxes.push_back(mailbox);
  }
  std::vector<size_t> order(d.targets.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return mailboxes[a].value_or(0) < mailboxes[b].value_or(0);
  });
  std::vector<std::optional<Delivered>> delivered(d.targets.size());
  for (size_t i : order) {
    if (!mailboxes[i]) continue;
    const auto& t = d.targets[i];
    Flags flags = t.flags;
    flags.normalize();
    delivered[i] = co_await insert_message(c, *mailboxes[i], content, flags, d.internal_date,
                                           blob.size, nullptr, std::nullopt);
    if (delivered[i]) co_await note_change(c, changes, t.account, *mailboxes[i]);
  }
  std::vector<Result<Delivered>> out;
  out.reserve(d.targets.size());
  for (auto& one : delivered) {
    if (one)
      out.push_back(*one);
    else
      out.push_back(fail(ErrorCode::kNotFound, "no such account or mailbox"));
  }
  // Queued before the unused contents row goes, so that the blob stays.
  if (d.outbound) {
    auto op = queue_outbound(c, *d.outbound, blob.hash, blob.size);
    auto queued = co_await std::move(op);
    if (!queued) co_return queued.error();
  }
  co_await c.query("DELETE FROM contents WHERE id = $1 AND refs <= 0", content);
  if (!d.idempotency_key.empty()) co_await remember_delivery_key(c, d.idempotency_key, out);
  co_return out;
}

Op<std::vector<Mailbox>> list_mailboxes(PgConn& c, AccountId account) {
  std::vector<Mailbox> out;
  auto r = co_await c.query(
      TAUBE_MAILBOX_SELECT "WHERE b.account_id = $1 GROUP BY b.id ORDER BY b.name", account.value);
  for (int i = 0; i < r.size(); ++i) out.push_back(mailbox_from(r, i));
  co_return out;
}

Op<Mailbox> get_mailbox(PgConn& c, AccountId account, const std::string& name) {
  std::string n = normalize_mailbox_name(name);
  auto r =
      co_await c.query(TAUBE_MAILBOX_SELECT "WHERE b.account_id = $1 AND b.name = $2 GROUP BY b.id",
                       account.value, n);
  if (r.empty()) co_return fail(ErrorCode::kNotFound, "no such mailbox");
  co_return mailbox_from(r, 0);
}

Op<Mailbox> get_mailbox(PgConn& c, AccountId account, MailboxId id) {
  auto r =
      co_await c.query(TAUBE_MAILBOX_SELECT "WHERE b.account_id = $1 AND b.id = $2 GROUP BY b.id",
                       account.value, id.value);
  if (r.empty()) co_return fail(ErrorCode::kNotFound, "no such mailbox");
  co_return mailbox_from(r, 0);
}

Op<Mailbox> create_mailbox(PgConn& c, Changes& changes, AccountId account,
                           const std::string& raw_name, SpecialUse use) {
  std::string name = normalize_mailbox_name(raw_name);
  if (!is_valid_mailbox_name(name)) co_return fail(ErrorCode::kInvalidArgument, "bad mailbox name");
  {
    auto r = co_await c.query("SELECT 1 FROM accounts WHERE id = $1", account.value);
    if (r.empty()) co_return fail(ErrorCode::kNotFound, "no such account");
  }
  if (co_await mailbox_id_by_name(c, account, name))
    co_return fail(ErrorCode::kAlreadyExists, "mailbox exists");
  co_await create_superiors(c, changes, account, name);
  auto id = co_await create_one(c, account, name, use);
  co_await note_change(c, changes, account, id);
  MailboxId created{id};
  co_return co_await get_mailbox(c, account, created);
}

Op<void> delete_mailbox(PgConn& c, Changes& changes, AccountId account, const std::string& raw) {
  std::string name = normalize_mailbox_name(raw);
  if (name == kInbox) co_return fail(ErrorCode::kInvalidArgument, "INBOX cannot be deleted");
  auto id = co_await mailbox_id_by_name(c, account, name);
  if (!id) co_return fail(ErrorCode::kNotFound, "no such mailbox");
  co_await c.query("DELETE FROM mailboxes WHERE id = $1", *id);
  changes.push_back(MailboxChange{account, MailboxId{*id}, 0, 0, true});
  co_return Result<void>{};
}

Op<void> rename_mailbox(PgConn& c, Changes& changes, AccountId account, const std::string& raw_from,
                        const std::string& raw_to) {
  std::string from = normalize_mailbox_name(raw_from);
  std::string to = normalize_mailbox_name(raw_to);
  if (!is_valid_mailbox_name(to) || to == kInbox)
    co_return fail(ErrorCode::kInvalidArgument, "bad target name");
  auto id = co_await mailbox_id_by_name(c, account, from);
  if (!id) co_return fail(ErrorCode::kNotFound, "no such mailbox");
  if (co_await mailbox_id_by_name(c, account, to))
    co_return fail(ErrorCode::kAlreadyExists, "target exists");
  if (to.size() > from.size() && to.compare(0, from.size() + 1, from + "/") == 0)
    co_return fail(ErrorCode::kInvalidArgument, "cannot rename a mailbox into itself");
  co_await create_superiors(c, changes, account, to);
  if (from == kInbox) {
    // RFC 9051 6.3.6: INBOX's messages move to the new name, inferiors stay, and
    // INBOX is recreated empty (new uid_validity, so clients resynchronise).
    co_await c.query("UPDATE mailboxes SET name = $1, special_use = 0 WHERE id = $2", to, *id);
    std::string inbox_name(kInbox);
    auto inbox = co_await create_one(c, account, inbox_name, SpecialUse::kNone);
    changes.push_back(MailboxChange{account, MailboxId{*id}, 0, 0, true});
    co_await note_change(c, changes, account, inbox);
    co_await note_change(c, changes, account, *id);
    co_return Result<void>{};
  }
  std::string prefix = from + "/";
  auto moves = co_await c.query(
      "SELECT id, name FROM mailboxes WHERE account_id = $1 AND (name = $2 OR "
      "starts_with(name, $3)) ORDER BY name",
      account.value, from, prefix);
  for (int i = 0; i < moves.size(); ++i) {
    auto mid = moves.i64(i, 0);
    std::string old_name = moves.text(i, 1);
    std::string new_name = to + old_name.substr(from.size());
    if (co_await mailbox_id_by_name(c, account, new_name))
      co_return fail(ErrorCode::kAlreadyExists, "an inferior's new name exists");
    co_await c.query("UPDATE mailboxes SET name = $1 WHERE id = $2", new_name, mid);
    co_await c.query("DELETE FROM subscriptions WHERE account_id = $1 AND name = $2", account.value,
                     new_name);
    co_await c.query("UPDATE subscriptions SET name = $1 WHERE account_id = $2 AND name = $3",
                     new_name, account.value, old_name);
    changes.push_back(MailboxChange{account, MailboxId{mid}, 0, 0, true});
  }
  co_return Result<void>{};
}

Op<void> subscribe(PgConn& c, AccountId account, const std::string& name) {
  std::string n = normalize_mailbox_name(name);
  if (!is_valid_mailbox_name(n)) co_return fail(ErrorCode::kInvalidArgument, "bad mailbox name");
  {
    auto r = co_await c.query("SELECT 1 FROM accounts WHERE id = $1", account.value);
    if (r.empty()) co_return fail(ErrorCode::kNotFound, "no such account");
  }
  co_await c.query(
      "INSERT INTO subscriptions(account_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
      account.value, n);
  co_return Result<void>{};
}

Op<void> unsubscribe(PgConn& c, AccountId account, const std::string& name) {
  std::string n = normalize_mailbox_name(name);
  auto r = co_await c.query("DELETE FROM subscriptions WHERE account_id = $1 AND name = $2",
                            account.value, n);
  if (r.affected() == 0) co_return fail(ErrorCode::kNotFound, "not subscribed");
  co_return Result<void>{};
}

Op<std::vector<std::string>> list_subscriptions(PgConn& c, AccountId account) {
  std::vector<std::string> out;
  auto r = co_await c.query("SELECT name FROM subscriptions WHERE account_id = $1 ORDER BY name",
                            account.value);
  for (int i = 0; i < r.size(); ++i) out.push_back(r.text(i, 0));
  co_return out;
}

Op<std::vector<MessageRecord>> list_messages(PgConn& c, AccountId account, MailboxId mailbox,
                                             ModSeq since) {
  if (!co_await mailbox_row(c, account, mailbox))
    co_return fail(ErrorCode::kNotFound, "no such mailbox");
  std::vector<MessageRecord> out;
  auto r = co_await c.query("SELECT " TAUBE_RECORD_COLUMNS
                            "FROM messages m JOIN contents c ON c.id = m.content_id "
                            "WHERE m.mailbox_id = $1 AND m.modseq > $2 ORDER BY m.uid",
                            mailbox.value, since);
  for (int i = 0; i < r.size(); ++i) out.push_back(record_from(r, i));
  co_return out;
}

Op<std::vector<std::pair<Uid, MessageMeta>>> read_meta(PgConn& c, AccountId account,
                                                       MailboxId mailbox, const UidSet& uids) {
  if (!co_await mailbox_row(c, account, mailbox))
    co_return fail(ErrorCode::kNotFound, "no such mailbox");
  std::vector<std::pair<Uid, MessageMeta>> out;
  for (const auto& range : normalize_uids(uids)) {
    auto r = co_await c.query(
        "SELECT m.uid, c.envelope, c.body_structure, c.body, c.subject, c.from_addr, c.to_addr, "
        "c.cc_addr, c.bcc_addr, c.sent_date, c.message_id, c.in_reply_to, c.references_hdr, "
        "c.headers, c.preview, c.search_text FROM messages m "
        "JOIN contents c ON c.id = m.content_id "
        "WHERE m.mailbox_id = $1 AND m.uid BETWEEN $2 AND $3 ORDER BY m.uid",
        mailbox.value, range.first, range.last);
    for (int i = 0; i < r.size(); ++i) {
      MessageMeta m;
      m.envelope = r.text(i, 1);
      m.body_structure = r.text(i, 2);
      m.body = r.text(i, 3);
      m.subject = r.text(i, 4);
      m.from = r.text(i, 5);
      m.to = r.text(i, 6);
      m.cc = r.text(i, 7);
      m.bcc = r.text(i, 8);
      if (!r.is_null(i, 9)) m.sent_date = UnixTime{std::chrono::seconds{r.i64(i, 9)}};
      m.message_id = r.text(i, 10);
      m.in_reply_to = r.text(i, 11);
      m.references = r.text(i, 12);
      m.headers = r.text(i, 13);
      m.preview = r.text(i, 14);
      m.search_text = r.text(i, 15);
      out.emplace_back(static_cast<Uid>(r.i64(i, 0)), std::move(m));
    }
  }
  co_return out;
}

Op<std::string> read_frame(PgConn& c, AccountId account, MailboxId mailbox, Uid uid) {
  if (!co_await mailbox_row(c, account, mailbox))
    co_return fail(ErrorCode::kNotFound, "no such mailbox");
  auto r = co_await c.query_binary(
      "SELECT b.data FROM messages m JOIN contents c ON c.id = m.content_id "
      "JOIN blobs b ON b.hash = c.hash WHERE m.mailbox_id = $1 AND m.uid = $2",
      mailbox.value, uid);
  if (r.empty()) co_return fail(ErrorCode::kNotFound, "no such message");
  co_return r.raw(0, 0);
}

Op<StoreFlagsResult> store_flags(PgConn& c, Changes& changes, AccountId account, MailboxId mailbox,
                                 const UidSet& uids, FlagsMode mode, const Flags& flags,
                                 std::optional<ModSeq> unchanged_since) {
  if (!valid_keywords(flags)) co_return fail(ErrorCode::kInvalidArgument, "bad keyword");
  auto mb = co_await mailbox_row(c, account, mailbox);
  if (!mb) co_return fail(ErrorCode::kNotFound, "no such mailbox");
  StoreFlagsResult out;
  std::optional<ModSeq> modseq;
  auto rows = co_await select_rows(c, mb->id, uids, true);
  for (auto& row : rows) {
    auto& rec = row.record;
    if (unchanged_since && rec.modseq > *unchanged_since) {
      out.failed.push_back(rec.uid);
      continue;
    }
    Flags next = rec.flags;
    switch (mode) {
      case FlagsMode::kAdd:
        next.add(flags);
        break;
      case FlagsMode::kRemove:
        next.remove(flags);
        break;
      case FlagsMode::kReplace:
        next = flags;
        break;
    }
    next.normalize();
    if (next != rec.flags) {
      if (!modseq) modseq = co_await bump_modseq(c, mb->id);
      std::string keywords = join_keywords(next.keywords);
      co_await c.query("UPDATE messages SET flags = $1, keywords = $2, modseq = $3 WHERE id = $4",
                       int{next.system}, keywords, *modseq, row.id);
      rec.flags = std::move(next);
      rec.modseq = *modseq;
    }
    out.records.push_back(std::move(rec));
  }
  if (modseq) co_await note_change(c, changes, account, mb->id);
  if (modseq) {
    out.highest_modseq = *modseq;
  } else {
    // Another node may have moved it on since our first read.
    auto now_mb = co_await mailbox_row(c, account, mailbox);
    out.highest_modseq = now_mb ? now_mb->highest_modseq : mb->highest_modseq;
  }
  co_return out;
}

Op<std::vector<Uid>> expunge(PgConn& c, Changes& changes, AccountId account, MailboxId mailbox,
                             const UidSet& uids, bool only_deleted) {
  auto mb = co_await mailbox_row(c, account, mailbox);
  if (!mb) co_return fail(ErrorCode::kNotFound, "no such mailbox");
  auto rows = co_await select_rows(c, mb->id, uids, true);
  if (only_deleted) std::erase_if(rows, [](const Row& r) { return !r.record.flags.has(kDeleted); });
  std::vector<Uid> out;
  if (rows.empty()) co_return out;
  auto modseq = co_await bump_modseq(c, mb->id);
  co_await expunge_rows(c, mb->id, modseq, rows);
  co_await note_change(c, changes, account, mb->id);
  for (const auto& r : rows) out.push_back(r.record.uid);
  co_return out;
}

Op<std::vector<Uid>> expunged_since(PgConn& c, AccountId account, MailboxId mailbox, ModSeq since) {
  if (!co_await mailbox_row(c, account, mailbox))
    co_return fail(ErrorCode::kNotFound, "no such mailbox");
  std::vector<Uid> out;
  auto r = co_await c.query(
      "SELECT uid FROM expunged WHERE mailbox_id = $1 AND modseq > $2 ORDER BY uid", mailbox.value,
      since);
  for (int i = 0; i < r.size(); ++i) out.push_back(static_cast<Uid>(r.i64(i, 0)));
  co_return out;
}

Op<CopyResult> copy(PgConn& c, Changes& changes, AccountId account, MailboxId from,
                    const UidSet& uids, MailboxId to, bool move) {
  auto src = co_await mailbox_row(c, account, from);
  auto dst = co_await mailbox_row(c, account, to);
  if (!src || !dst) co_return fail(ErrorCode::kNotFound, "no such mailbox");
  CopyResult out;
  out.uid_validity = dst->uid_validity;
  auto rows = co_await select_rows(c, src->id, uids, move);
  if (rows.empty()) co_return out;
  ModSeq modseq = co_await bump_modseq(c, dst->id);
  for (const auto& row : rows) {
    auto d = co_await insert_message(c, dst->id, row.content_id, row.record.flags,
                                     row.record.internal_date, row.record.size,
                                     &row.record.email_id, modseq);
    if (!d) throw PgError("destination mailbox vanished", "40001", false);
    out.source_uids.push_back(row.record.uid);
    out.destination_uids.push_back(d->uid);
  }
  if (move) {
    auto src_modseq = co_await bump_modseq(c, src->id);
    co_await expunge_rows(c, src->id, src_modseq, rows);
  }
  co_await note_change(c, changes, account, dst->id);
  if (move) co_await note_change(c, changes, account, src->id);
  co_return out;
}

Op<std::vector<Uid>> search_text(PgConn& c, AccountId account, MailboxId mailbox,
                                 const std::string& query) {
  if (!co_await mailbox_row(c, account, mailbox))
    co_return fail(ErrorCode::kNotFound, "no such mailbox");
  // The query is split into lexemes by the same parser and configuration as the
  // index; they are joined as one phrase (<->), the last also as a prefix, and
  // quoted, so no client text is ever parsed as tsquery syntax.
  auto lexemes = co_await c.query(
      "SELECT t.lexeme FROM unnest(to_tsvector('simple'::regconfig, $1)) t, "
      "unnest(t.positions) p ORDER BY p",
      query);
  std::vector<Uid> out;
  if (lexemes.empty()) {
    auto r = co_await c.query("SELECT uid FROM messages WHERE mailbox_id = $1 ORDER BY uid",
                              mailbox.value);
    for (int i = 0; i < r.size(); ++i) out.push_back(static_cast<Uid>(r.i64(i, 0)));
    co_return out;
  }
  std::string tsquery;
  for (int i = 0; i < lexemes.size(); ++i) {
    if (i > 0) tsquery += " <-> ";
    tsquery += quote_lexeme(lexemes.text(i, 0));
  }
  tsquery += ":*";
  auto r = co_await c.query(
      "SELECT m.uid FROM messages m JOIN contents c ON c.id = m.content_id "
      "WHERE m.mailbox_id = $1 AND c.fts @@ $2::tsquery ORDER BY m.uid",
      mailbox.value, tsquery);
  for (int i = 0; i < r.size(); ++i) out.push_back(static_cast<Uid>(r.i64(i, 0)));
  co_return out;
}

Op<std::vector<Uid>> header_search(PgConn& c, AccountId account, MailboxId mailbox,
                                   const std::string& field, const std::string& substring) {
  if (!co_await mailbox_row(c, account, mailbox))
    co_return fail(ErrorCode::kNotFound, "no such mailbox");
  std::vector<Uid> out;
  std::string_view run = header_needle_run(substring);
  if (std::string_view column = decoded_header_column(field); !column.empty()) {
    // The decoded field (see decoded_header_column()): strpos() narrows to the
    // values holding the needle's longest blank-free run; field_contains() decides.
    const std::string col = "c." + std::string(column);
    std::string sql = "SELECT m.uid, " + col + " FROM messages m JOIN contents c ON c.id = m.content_id "
                      "WHERE m.mailbox_id = $1 AND strpos(lower(" + col + " COLLATE \"C\"), $2) > 0 AND " +
                      col + " <> '' ORDER BY m.uid";
    std::string lrun = ascii::lower(run);
    auto r = co_await c.query(std::move(sql), mailbox.value, lrun);
    for (int i = 0; i < r.size(); ++i)
      if (field_contains(r.text(i, 1), substring)) out.push_back(static_cast<Uid>(r.i64(i, 0)));
    co_return out;
  }
  // strpos() on the field name narrows the candidates in SQL (the value may be
  // folded, so it cannot); header_matches() decides exactly. COLLATE "C" keeps
  // lower() to ASCII whatever the database's locale (a Turkish I stays i).
  // With a value, its longest white-space-free run narrows better than the
  // field name (it occurs verbatim even in a folded field).
  std::string lfield = ascii::lower(run.empty() ? std::string_view(field) : run);
  auto r = co_await c.query(
      "SELECT m.uid, c.headers FROM messages m JOIN contents c ON c.id = m.content_id "
      "WHERE m.mailbox_id = $1 AND strpos(lower(c.headers COLLATE \"C\"), $2) > 0 ORDER BY m.uid",
      mailbox.value, lfield);
  for (int i = 0; i < r.size(); ++i)
    if (header_matches(r.text(i, 1), field, substring))
      out.push_back(static_cast<Uid>(r.i64(i, 0)));
  co_return out;
}

Op<std::string> put_blob(PgConn& c, const PreparedBlob& blob) {
  co_await ensure_blob(c, blob);
  co_return blob.hash;
}

Op<std::string> get_blob_frame(PgConn& c, const std::string& hash) {
  auto r = co_await c.query_binary("SELECT data FROM blobs WHERE hash = $1", hash);
  if (r.empty()) co_return fail(ErrorCode::kNotFound, "no such blob");
  co_return r.raw(0, 0);
}

Op<void> erase_blob(PgConn& c, const std::string& hash) {
  {
    auto r = co_await c.query("SELECT refs FROM contents WHERE hash = $1 FOR UPDATE", hash);
    if (!r.empty() && r.i64(0, 0) > 0) co_return fail(ErrorCode::kConflict, "blob is referenced");
  }
  {
    auto r = co_await c.query("SELECT queue_refs FROM blobs WHERE hash = $1 FOR UPDATE", hash);
    if (!r.empty() && r.i64(0, 0) > 0) co_return fail(ErrorCode::kConflict, "blob is queued");
  }
  auto r = co_await c.query("DELETE FROM blobs WHERE hash = $1", hash);
  if (r.affected() == 0) co_return fail(ErrorCode::kNotFound, "no such blob");
  co_return Result<void>{};
}

Op<std::uint64_t> count_blobs(PgConn& c) {
  auto r = co_await c.query("SELECT count(*) FROM blobs");
  co_return static_cast<std::uint64_t>(r.i64(0, 0));
}

}  // namespace taube::store::postgres::ops
