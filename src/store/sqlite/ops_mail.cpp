#include <sqlite3.h>

#include <algorithm>

#include "base/ascii.hpp"
#include "store/engine_support.hpp"
#include "store/queue_support.hpp"
#include "store/sqlite/ops.hpp"

namespace taube::store::sqlite::ops {
namespace {

struct MailboxRow {
  std::int64_t id = 0;
  std::uint32_t uid_validity = 0;
  Uid uid_next = 0;
  ModSeq highest_modseq = 0;
};

constexpr std::string_view kMailboxSelect =
    "SELECT b.id, b.account_id, b.name, b.uid_validity, b.uid_next, b.highest_modseq, "
    "b.special_use, EXISTS(SELECT 1 FROM subscriptions s WHERE s.account_id = b.account_id "
    "AND s.name = b.name), count(m.id), "
    "coalesce(sum(CASE WHEN m.flags & 1 = 0 THEN 1 ELSE 0 END), 0), "
    "coalesce(sum(CASE WHEN m.flags & 8 != 0 THEN 1 ELSE 0 END), 0), coalesce(sum(m.size), 0) "
    "FROM mailboxes b LEFT JOIN messages m ON m.mailbox_id = b.id ";

Mailbox mailbox_from(const Stmt& s) {
  Mailbox mb;
  mb.id = MailboxId{s.i64(0)};
  mb.account = AccountId{s.i64(1)};
  mb.name = s.text(2);
  mb.uid_validity = static_cast<std::uint32_t>(s.i64(3));
  mb.uid_next = static_cast<Uid>(s.i64(4));
  mb.highest_modseq = static_cast<ModSeq>(s.i64(5));
  mb.special_use = static_cast<SpecialUse>(s.i64(6));
  mb.subscribed = s.i64(7) != 0;
  mb.counts.messages = static_cast<std::uint32_t>(s.i64(8));
  mb.counts.unseen = static_cast<std::uint32_t>(s.i64(9));
  mb.counts.deleted = static_cast<std::uint32_t>(s.i64(10));
  mb.counts.size_bytes = static_cast<std::uint64_t>(s.i64(11));
  return mb;
}

std::optional<MailboxRow> mailbox_row(Db& db, AccountId account, MailboxId id) {
  auto s = db.query(
      "SELECT id, uid_validity, uid_next, highest_modseq FROM mailboxes "
      "WHERE id = ? AND account_id = ?",
      id.value, account.value);
  if (!s.step()) return std::nullopt;
  return MailboxRow{s.i64(0), static_cast<std::uint32_t>(s.i64(1)), static_cast<Uid>(s.i64(2)),
                    static_cast<ModSeq>(s.i64(3))};
}

std::optional<std::int64_t> mailbox_id_by_name(Db& db, AccountId account, std::string_view name) {
  auto s =
      db.query("SELECT id FROM mailboxes WHERE account_id = ? AND name = ?", account.value, name);
  if (!s.step()) return std::nullopt;
  return s.i64(0);
}

ModSeq bump_modseq(Db& db, std::int64_t mailbox) {
  auto s = db.query(
      "UPDATE mailboxes SET highest_modseq = highest_modseq + 1 WHERE id = ? "
      "RETURNING highest_modseq",
      mailbox);
  s.step();
  return static_cast<ModSeq>(s.i64(0));
}

void note_change(Db& db, Changes& changes, AccountId account, std::int64_t mailbox) {
  auto s = db.query("SELECT highest_modseq, uid_next FROM mailboxes WHERE id = ?", mailbox);
  if (!s.step()) return;
  merge_change(changes, MailboxChange{account, MailboxId{mailbox}, static_cast<ModSeq>(s.i64(0)),
                                      static_cast<Uid>(s.i64(1)), false});
}


constexpr std::string_view kRecordColumns =
    "m.uid, m.modseq, m.flags, m.keywords, m.internal_date, m.save_date, m.size, c.hash, "
    "m.email_id, m.id, m.content_id, c.sent_date ";

MessageRecord record_from(const Stmt& s) {
  MessageRecord r;
  r.uid = static_cast<Uid>(s.i64(0));
  r.modseq = static_cast<ModSeq>(s.i64(1));
  r.flags.system = static_cast<std::uint8_t>(s.i64(2));
  r.flags.keywords = split_keywords(s.text(3));
  r.internal_date = UnixTime{std::chrono::seconds{s.i64(4)}};
  r.save_date = UnixTime{std::chrono::seconds{s.i64(5)}};
  r.size = static_cast<std::uint64_t>(s.i64(6));
  r.blob_hash = s.text(7);
  r.email_id = s.text(8);
  if (!s.is_null(11)) r.sent_date = UnixTime{std::chrono::seconds{s.i64(11)}};
  return r;
}

struct Row {
  MessageRecord record;
  std::int64_t id = 0;
  std::int64_t content_id = 0;
};

std::vector<Row> select_rows(Db& db, std::int64_t mailbox, const UidSet& uids) {
  std::vector<Row> out;
  for (const auto& r : normalize_uids(uids)) {
    auto s = db.query(std::string("SELECT ") + std::string(kRecordColumns) +
                          "FROM messages m JOIN contents c ON c.id = m.content_id "
                          "WHERE m.mailbox_id = ? AND m.uid BETWEEN ? AND ? ORDER BY m.uid",
                      mailbox, r.first, r.last);
    while (s.step()) out.push_back(Row{record_from(s), s.i64(9), s.i64(10)});
  }
  return out;
}

Delivered insert_message(Db& db, std::int64_t mailbox, std::int64_t content_id, const Flags& flags,
                         UnixTime internal_date, std::uint64_t size, const std::string* email_id,
                         std::optional<ModSeq> modseq) {
  Delivered d;
  d.mailbox = MailboxId{mailbox};
  {
    auto s = modseq ? db.query(
                          "UPDATE mailboxes SET uid_next = uid_next + 1 WHERE id = ? "
                          "RETURNING uid_next - 1, highest_modseq, uid_validity",
                          mailbox)
                    : db.query(
                          "UPDATE mailboxes SET uid_next = uid_next + 1, "
                          "highest_modseq = highest_modseq + 1 WHERE id = ? "
                          "RETURNING uid_next - 1, highest_modseq, uid_validity",
                          mailbox);
    s.step();
    d.uid = static_cast<Uid>(s.i64(0));
    d.modseq = modseq ? *modseq : static_cast<ModSeq>(s.i64(1));
    d.uid_validity = static_cast<std::uint32_t>(s.i64(2));
  }
  auto save = now().time_since_epoch().count();
  auto date = internal_date.time_since_epoch().count();
  if (email_id) {
    db.run(
        "INSERT INTO messages(mailbox_id, uid, modseq, flags, keywords, internal_date, "
        "save_date, size, content_id, email_id) VALUES (?,?,?,?,?,?,?,?,?,?)",
        mailbox, d.uid, d.modseq, int{flags.system}, join_keywords(flags.keywords), date, save,
        size, content_id, *email_id);
  } else {
    db.run(
        "INSERT INTO messages(mailbox_id, uid, modseq, flags, keywords, internal_date, "
        "save_date, size, content_id, email_id) "
        "VALUES (?,?,?,?,?,?,?,?,?, 'M' || lower(hex(randomblob(8))))",
        mailbox, d.uid, d.modseq, int{flags.system}, join_keywords(flags.keywords), date, save,
        size, content_id);
  }
  return d;
}

void ensure_blob(Db& db, const PreparedBlob& blob) {
  db.run("INSERT OR IGNORE INTO blobs(hash, size, data) VALUES (?,?,?)", blob.hash, blob.size,
         BlobArg{blob.frame});
}

std::int64_t ensure_content(Db& db, const PreparedBlob& blob, const MessageMeta& m) {
  {
    auto s = db.query("SELECT id FROM contents WHERE hash = ?", blob.hash);
    if (s.step()) return s.i64(0);
  }
  ensure_blob(db, blob);
  std::optional<std::int64_t> sent;
  if (m.sent_date) sent = m.sent_date->time_since_epoch().count();
  db.run(
      "INSERT INTO contents(hash, size, envelope, body_structure, body, subject, from_addr, "
      "to_addr, cc_addr, bcc_addr, sent_date, message_id, in_reply_to, references_hdr, "
      "headers, preview, search_text) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
      blob.hash, blob.size, m.envelope, m.body_structure, m.body, m.subject, m.from, m.to, m.cc,
      m.bcc, sent, m.message_id, m.in_reply_to, m.references, m.headers, m.preview, m.search_text);
  return db.last_insert_rowid();
}

void expunge_rows(Db& db, std::int64_t mailbox, ModSeq modseq, const std::vector<Row>& rows) {
  for (const auto& row : rows) {
    db.run("INSERT OR REPLACE INTO expunged(mailbox_id, uid, modseq) VALUES (?,?,?)", mailbox,
           row.record.uid, modseq);
    db.run("DELETE FROM messages WHERE id = ?", row.id);
  }
}

// Creates `name` (and missing superiors) unless it exists; returns its id.
std::int64_t create_one(Db& db, AccountId account, const std::string& name, SpecialUse use) {
  if (auto id = mailbox_id_by_name(db, account, name)) return *id;
  auto s = db.query(
      "UPDATE meta SET value = value + 1 WHERE key = 'next_uid_validity' RETURNING value - 1");
  s.step();
  // uid_validity is a non-zero 32-bit number (RFC 9051 2.3.1.1); wrap, skipping 0.
  auto validity = static_cast<std::uint32_t>(s.i64(0));
  if (validity == 0) validity = 1;
  db.run("INSERT INTO mailboxes(account_id, name, uid_validity, special_use) VALUES (?,?,?,?)",
         account.value, name, validity, static_cast<int>(use));
  return db.last_insert_rowid();
}

void create_superiors(Db& db, Changes& changes, AccountId account, const std::string& name) {
  for (size_t pos = name.find(kHierarchySeparator); pos != std::string::npos;
       pos = name.find(kHierarchySeparator, pos + 1)) {
    std::string parent = normalize_mailbox_name(name.substr(0, pos));
    if (!mailbox_id_by_name(db, account, parent)) {
      auto id = create_one(db, account, parent, SpecialUse::kNone);
      note_change(db, changes, account, id);
    }
  }
}

}  // namespace

Result<std::vector<Result<Delivered>>> deliver(Db& db, Changes& changes, const Delivery& d,
                                               const PreparedBlob& blob) {
  for (const auto& t : d.targets)
    if (!valid_keywords(t.flags)) return fail(ErrorCode::kInvalidArgument, "bad keyword");
  if (!d.idempotency_key.empty())
    if (auto earlier = find_delivery_key(db, d.idempotency_key)) return std::move(*earlier);
  if (d.outbound)
    if (auto g = group_by_domain(*d.outbound); !g) return g.error();
  auto content = ensure_content(db, blob, d.meta);
  std::vector<Result<Delivered>> out;
  out.reserve(d.targets.size());
  for (const auto& t : d.targets) {
    std::optional<std::int64_t> mailbox;
    if (t.mailbox_id) {
      if (auto row = mailbox_row(db, t.account, *t.mailbox_id)) mailbox = row->id;
    } else {
      mailbox = mailbox_id_by_name(db, t.account, normalize_mailbox_name(t.mailbox));
    }
    if (!mailbox) {
      out.push_back(fail(ErrorCode::kNotFound, "no such account or mailbox"));
      continue;
    }
    Flags flags = t.flags;
    flags.normalize();
    out.push_back(insert_message(db, *mailbox, content, flags, d.internal_date, blob.size, nullptr,
                                 std::nullopt));
    note_change(db, changes, t.account, *mailbox);
  }
  // Queued before the unused contents row goes, so that the blob stays.
  if (d.outbound) {
    auto queued = queue_outbound(db, *d.outbound, blob.hash, blob.size);
    if (!queued) return queued.error();
  }
  db.run("DELETE FROM contents WHERE id = ? AND refs <= 0", content);
  if (!d.idempotency_key.empty()) remember_delivery_key(db, d.idempotency_key, out);
  return out;
}

Result<std::vector<Mailbox>> list_mailboxes(Db& db, AccountId account) {
  std::vector<Mailbox> out;
  auto s =
      db.query(std::string(kMailboxSelect) + "WHERE b.account_id = ? GROUP BY b.id ORDER BY b.name",
               account.value);
  while (s.step()) out.push_back(mailbox_from(s));
  return out;
}

Result<Mailbox> get_mailbox(Db& db, AccountId account, const std::string& name) {
  auto s =
      db.query(std::string(kMailboxSelect) + "WHERE b.account_id = ? AND b.name = ? GROUP BY b.id",
               account.value, normalize_mailbox_name(name));
  if (!s.step()) return fail(ErrorCode::kNotFound, "no such mailbox");
  return mailbox_from(s);
}

Result<Mailbox> get_mailbox(Db& db, AccountId account, MailboxId id) {
  auto s =
      db.query(std::string(kMailboxSelect) + "WHERE b.account_id = ? AND b.id = ? GROUP BY b.id",
               account.value, id.value);
  if (!s.step()) return fail(ErrorCode::kNotFound, "no such mailbox");
  return mailbox_from(s);
}

Result<Mailbox> create_mailbox(Db& db, Changes& changes, AccountId account,
                               const std::string& raw_name, SpecialUse use) {
  std::string name = normalize_mailbox_name(raw_name);
  if (!is_valid_mailbox_name(name)) return fail(ErrorCode::kInvalidArgument, "bad mailbox name");
  {
    auto s = db.query("SELECT 1 FROM accounts WHERE id = ?", account.value);
    if (!s.step()) return fail(ErrorCode::kNotFound, "no such account");
  }
  if (mailbox_id_by_name(db, account, name))
    return fail(ErrorCode::kAlreadyExists, "mailbox exists");
  create_superiors(db, changes, account, name);
  auto id = create_one(db, account, name, use);
  note_change(db, changes, account, id);
  return get_mailbox(db, account, MailboxId{id});
}

Result<void> delete_mailbox(Db& db, Changes& changes, AccountId account, const std::string& raw) {
  std::string name = normalize_mailbox_name(raw);
  if (name == kInbox) return fail(ErrorCode::kInvalidArgument, "INBOX cannot be deleted");
  auto id = mailbox_id_by_name(db, account, name);
  if (!id) return fail(ErrorCode::kNotFound, "no such mailbox");
  db.run("DELETE FROM mailboxes WHERE id = ?", *id);
  changes.push_back(MailboxChange{account, MailboxId{*id}, 0, 0, true});
  return {};
}

Result<void> rename_mailbox(Db& db, Changes& changes, AccountId account,
                            const std::string& raw_from, const std::string& raw_to) {
  std::string from = normalize_mailbox_name(raw_from);
  std::string to = normalize_mailbox_name(raw_to);
  if (!is_valid_mailbox_name(to) || to == kInbox)
    return fail(ErrorCode::kInvalidArgument, "bad target name");
  auto id = mailbox_id_by_name(db, account, from);
  if (!id) return fail(ErrorCode::kNotFound, "no such mailbox");
  if (mailbox_id_by_name(db, account, to)) return fail(ErrorCode::kAlreadyExists, "target exists");
  if (to.size() > from.size() && to.compare(0, from.size() + 1, from + "/") == 0)
    return fail(ErrorCode::kInvalidArgument, "cannot rename a mailbox into itself");
  create_superiors(db, changes, account, to);
  if (from == kInbox) {
    // RFC 9051 6.3.6: INBOX's messages move to the new name, inferiors stay, and
    // INBOX is recreated empty (new uid_validity, so clients resynchronise).
    db.run("UPDATE mailboxes SET name = ?, special_use = 0 WHERE id = ?", to, *id);
    auto inbox = create_one(db, account, std::string(kInbox), SpecialUse::kNone);
    changes.push_back(MailboxChange{account, MailboxId{*id}, 0, 0, true});
    note_change(db, changes, account, inbox);
    note_change(db, changes, account, *id);
    return {};
  }
  std::vector<std::pair<std::int64_t, std::string>> moves;
  {
    auto s = db.query(
        "SELECT id, name FROM mailboxes WHERE account_id = ? AND (name = ? OR substr(name, 1, ?) = "
        "?)",
        account.value, from, static_cast<std::int64_t>(from.size() + 1), from + "/");
    while (s.step()) moves.emplace_back(s.i64(0), s.text(1));
  }
  for (const auto& [mid, old_name] : moves) {
    std::string new_name = to + old_name.substr(from.size());
    if (mailbox_id_by_name(db, account, new_name))
      return fail(ErrorCode::kAlreadyExists, "an inferior's new name exists");
    db.run("UPDATE mailboxes SET name = ? WHERE id = ?", new_name, mid);
    db.run("UPDATE OR REPLACE subscriptions SET name = ? WHERE account_id = ? AND name = ?",
           new_name, account.value, old_name);
    changes.push_back(MailboxChange{account, MailboxId{mid}, 0, 0, true});
  }
  return {};
}

Result<void> subscribe(Db& db, AccountId account, const std::string& name) {
  std::string n = normalize_mailbox_name(name);
  if (!is_valid_mailbox_name(n)) return fail(ErrorCode::kInvalidArgument, "bad mailbox name");
  {
    auto s = db.query("SELECT 1 FROM accounts WHERE id = ?", account.value);
    if (!s.step()) return fail(ErrorCode::kNotFound, "no such account");
  }
  db.run("INSERT OR IGNORE INTO subscriptions(account_id, name) VALUES (?,?)", account.value, n);
  return {};
}

Result<void> unsubscribe(Db& db, AccountId account, const std::string& name) {
  if (db.run("DELETE FROM subscriptions WHERE account_id = ? AND name = ?", account.value,
             normalize_mailbox_name(name)) == 0)
    return fail(ErrorCode::kNotFound, "not subscribed");
  return {};
}

Result<std::vector<std::string>> list_subscriptions(Db& db, AccountId account) {
  std::vector<std::string> out;
  auto s =
      db.query("SELECT name FROM subscriptions WHERE account_id = ? ORDER BY name", account.value);
  while (s.step()) out.push_back(s.text(0));
  return out;
}

Result<std::vector<MessageRecord>> list_messages(Db& db, AccountId account, MailboxId mailbox,
                                                 ModSeq since) {
  if (!mailbox_row(db, account, mailbox)) return fail(ErrorCode::kNotFound, "no such mailbox");
  std::vector<MessageRecord> out;
  auto s = db.query(std::string("SELECT ") + std::string(kRecordColumns) +
                        "FROM messages m JOIN contents c ON c.id = m.content_id "
                        "WHERE m.mailbox_id = ? AND m.modseq > ? ORDER BY m.uid",
                    mailbox.value, since);
  while (s.step()) out.push_back(record_from(s));
  return out;
}

Result<std::vector<std::pair<Uid, MessageMeta>>> read_meta(Db& db, AccountId account,
                                                           MailboxId mailbox, const UidSet& uids) {
  if (!mailbox_row(db, account, mailbox)) return fail(ErrorCode::kNotFound, "no such mailbox");
  std::vector<std::pair<Uid, MessageMeta>> out;
  for (const auto& r : normalize_uids(uids)) {
    auto s = db.query(
        "SELECT m.uid, c.envelope, c.body_structure, c.body, c.subject, c.from_addr, c.to_addr, "
        "c.cc_addr, c.bcc_addr, c.sent_date, c.message_id, c.in_reply_to, c.references_hdr, "
        "c.headers, c.preview, c.search_text FROM messages m JOIN contents c ON c.id = "
        "m.content_id "
        "WHERE m.mailbox_id = ? AND m.uid BETWEEN ? AND ? ORDER BY m.uid",
        mailbox.value, r.first, r.last);
    while (s.step()) {
      MessageMeta m;
      m.envelope = s.text(1);
      m.body_structure = s.text(2);
      m.body = s.text(3);
      m.subject = s.text(4);
      m.from = s.text(5);
      m.to = s.text(6);
      m.cc = s.text(7);
      m.bcc = s.text(8);
      if (!s.is_null(9)) m.sent_date = UnixTime{std::chrono::seconds{s.i64(9)}};
      m.message_id = s.text(10);
      m.in_reply_to = s.text(11);
      m.references = s.text(12);
      m.headers = s.text(13);
      m.preview = s.text(14);
      m.search_text = s.text(15);
      out.emplace_back(static_cast<Uid>(s.i64(0)), std::move(m));
    }
  }
  return out;
}

Result<std::string> read_frame(Db& db, AccountId account, MailboxId mailbox, Uid uid) {
  if (!mailbox_row(db, account, mailbox)) return fail(ErrorCode::kNotFound, "no such mailbox");
  auto s = db.query(
      "SELECT b.data FROM messages m JOIN contents c ON c.id = m.content_id "
      "JOIN blobs b ON b.hash = c.hash WHERE m.mailbox_id = ? AND m.uid = ?",
      mailbox.value, uid);
  if (!s.step()) return fail(ErrorCode::kNotFound, "no such message");
  return s.blob(0);
}

Result<StoreFlagsResult> store_flags(Db& db, Changes& changes, AccountId account, MailboxId mailbox,
                                     const UidSet& uids, FlagsMode mode, const Flags& flags,
                                     std::optional<ModSeq> unchanged_since) {
  if (!valid_keywords(flags)) return fail(ErrorCode::kInvalidArgument, "bad keyword");
  auto mb = mailbox_row(db, account, mailbox);
  if (!mb) return fail(ErrorCode::kNotFound, "no such mailbox");
  StoreFlagsResult out;
  std::optional<ModSeq> modseq;
  for (auto& row : select_rows(db, mb->id, uids)) {
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
      if (!modseq) modseq = bump_modseq(db, mb->id);
      db.run("UPDATE messages SET flags = ?, keywords = ?, modseq = ? WHERE id = ?",
             int{next.system}, join_keywords(next.keywords), *modseq, row.id);
      rec.flags = std::move(next);
      rec.modseq = *modseq;
    }
    out.records.push_back(std::move(rec));
  }
  if (modseq) note_change(db, changes, account, mb->id);
  out.highest_modseq = modseq ? *modseq : mb->highest_modseq;
  return out;
}

Result<std::vector<Uid>> expunge(Db& db, Changes& changes, AccountId account, MailboxId mailbox,
                                 const UidSet& uids, bool only_deleted) {
  auto mb = mailbox_row(db, account, mailbox);
  if (!mb) return fail(ErrorCode::kNotFound, "no such mailbox");
  auto rows = select_rows(db, mb->id, uids);
  if (only_deleted) std::erase_if(rows, [](const Row& r) { return !r.record.flags.has(kDeleted); });
  std::vector<Uid> out;
  if (rows.empty()) return out;
  expunge_rows(db, mb->id, bump_modseq(db, mb->id), rows);
  note_change(db, changes, account, mb->id);
  for (const auto& r : rows) out.push_back(r.record.uid);
  return out;
}

Result<std::vector<Uid>> expunged_since(Db& db, AccountId account, MailboxId mailbox,
                                        ModSeq since) {
  if (!mailbox_row(db, account, mailbox)) return fail(ErrorCode::kNotFound, "no such mailbox");
  std::vector<Uid> out;
  auto s = db.query("SELECT uid FROM expunged WHERE mailbox_id = ? AND modseq > ? ORDER BY uid",
                    mailbox.value, since);
  while (s.step()) out.push_back(static_cast<Uid>(s.i64(0)));
  return out;
}

Result<CopyResult> copy(Db& db, Changes& changes, AccountId account, MailboxId from,
                        const UidSet& uids, MailboxId to, bool move) {
  auto src = mailbox_row(db, account, from);
  auto dst = mailbox_row(db, account, to);
  if (!src || !dst) return fail(ErrorCode::kNotFound, "no such mailbox");
  CopyResult out;
  out.uid_validity = dst->uid_validity;
  auto rows = select_rows(db, src->id, uids);
  if (rows.empty()) return out;
  ModSeq modseq = bump_modseq(db, dst->id);
  for (const auto& row : rows) {
    auto d = insert_message(db, dst->id, row.content_id, row.record.flags, row.record.internal_date,
                            row.record.size, &row.record.email_id, modseq);
    out.source_uids.push_back(row.record.uid);
    out.destination_uids.push_back(d.uid);
  }
  if (move) expunge_rows(db, src->id, bump_modseq(db, src->id), rows);
  note_change(db, changes, account, dst->id);
  if (move) note_change(db, changes, account, src->id);
  return out;
}

Result<std::vector<Uid>> search_text(Db& db, AccountId account, MailboxId mailbox,
                                     const std::string& query) {
  if (!mailbox_row(db, account, mailbox)) return fail(ErrorCode::kNotFound, "no such mailbox");
  // The whole query is one FTS5 phrase (quotes doubled), so no client text is
  // ever parsed as FTS syntax; the last token also matches as a prefix.
  bool has_token = std::any_of(query.begin(), query.end(), [](char c) {
    return ascii::is_alpha(c) || ascii::is_digit(c) || static_cast<unsigned char>(c) >= 0x80;
  });
  std::vector<Uid> out;
  if (!has_token) {
    auto s = db.query("SELECT uid FROM messages WHERE mailbox_id = ? ORDER BY uid", mailbox.value);
    while (s.step()) out.push_back(static_cast<Uid>(s.i64(0)));
    return out;
  }
  std::string phrase = "\"";
  for (char c : query) {
    if (c == '"') phrase += '"';
    phrase += c;
  }
  phrase += "\"*";
  // The FTS lookup runs once as a subquery; as a join, SQLite may walk the
  // mailbox and probe the index once per message (seconds at 100,000).
  auto s = db.query(
      "SELECT m.uid FROM messages m WHERE m.mailbox_id = ? AND m.content_id IN "
      "(SELECT rowid FROM contents_fts WHERE contents_fts MATCH ?) ORDER BY m.uid",
      mailbox.value, phrase);
  while (s.step()) out.push_back(static_cast<Uid>(s.i64(0)));
  return out;
}

namespace {
// A LIKE pattern (with ESCAPE '\\') matching any text that contains `text`.
std::string like_contains(std::string_view text) {
  std::string pattern = "%";
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') pattern += '\\';
    pattern += c;
  }
  pattern += '%';
  return pattern;
}
}  // namespace

Result<std::vector<Uid>> header_search(Db& db, AccountId account, MailboxId mailbox,
                                       const std::string& field, const std::string& substring) {
  if (!mailbox_row(db, account, mailbox)) return fail(ErrorCode::kNotFound, "no such mailbox");
  std::vector<Uid> out;
  std::string_view run = header_needle_run(substring);
  if (std::string_view column = decoded_header_column(field); !column.empty()) {
    // LIKE narrows to the values holding the needle's longest blank-free run
    // (all present values when it has none); field_contains() decides.
    const std::string col = "c." + std::string(column);
    auto s = db.query("SELECT m.uid, " + col +
                          " FROM messages m JOIN contents c INDEXED BY contents_search_fields ON c.id = m.content_id "
                      "WHERE m.mailbox_id = ? AND " + col + " LIKE ? ESCAPE '\\' AND " + col +
                          " <> '' ORDER BY m.uid",
                      mailbox.value, like_contains(run));
    while (s.step())
      if (field_contains(s.text(1), substring)) out.push_back(static_cast<Uid>(s.i64(0)));
    return out;
  }
  // LIKE (ASCII case-insensitive, no lower() copy of every header block)
  // narrows the candidates in SQL: to the longest white-space-free run of the
  // value when there is one (it occurs verbatim even in a folded field), else
  // to the field name. header_matches() decides exactly.
  std::string pattern = like_contains(run.empty() ? std::string_view(field) : run);
  auto s = db.query(
      "SELECT m.uid, c.headers FROM messages m JOIN contents c ON c.id = m.content_id "
      "WHERE m.mailbox_id = ? AND c.headers LIKE ? ESCAPE '\\' ORDER BY m.uid",
      mailbox.value, pattern);
  while (s.step())
    if (header_matches(s.text(1), field, substring)) out.push_back(static_cast<Uid>(s.i64(0)));
  return out;
}

Result<std::string> put_blob(Db& db, const PreparedBlob& blob) {
  ensure_blob(db, blob);
  return blob.hash;
}

Result<std::string> get_blob_frame(Db& db, const std::string& hash) {
  auto s = db.query("SELECT data FROM blobs WHERE hash = ?", hash);
  if (!s.step()) return fail(ErrorCode::kNotFound, "no such blob");
  return s.blob(0);
}

Result<void> erase_blob(Db& db, const std::string& hash) {
  {
    auto s = db.query("SELECT refs FROM contents WHERE hash = ?", hash);
    if (s.step() && s.i64(0) > 0) return fail(ErrorCode::kConflict, "blob is referenced");
  }
  {
    auto s = db.query("SELECT 1 FROM queue WHERE blob_hash = ? LIMIT 1", hash);
    if (s.step()) return fail(ErrorCode::kConflict, "blob is queued");
  }
  if (db.run("DELETE FROM blobs WHERE hash = ?", hash) == 0)
    return fail(ErrorCode::kNotFound, "no such blob");
  return {};
}

Result<std::uint64_t> count_blobs(Db& db) {
  auto s = db.query("SELECT count(*) FROM blobs");
  s.step();
  return static_cast<std::uint64_t>(s.i64(0));
}

}  // namespace taube::store::sqlite::ops
