// The outbound queue and idempotency keys on SQLite. Every write runs on the
// single writer thread, so a claim can never race another claim here; leases
// still matter for the caller (a crashed worker's entries come back after the
// lease ends). The blob of a queued message stays in `blobs` while a `queue`
// row names it (see the triggers of schema step kQueue).
#include <algorithm>
#include <stdexcept>

#include "store/queue_support.hpp"
#include "store/sqlite/ops.hpp"

namespace taube::store::sqlite::ops {
namespace {

std::int64_t secs(UnixTime t) { return t.time_since_epoch().count(); }
UnixTime at(std::int64_t s) { return UnixTime{std::chrono::seconds{s}}; }

constexpr std::string_view kEntryColumns =
    "id, domain, sender, envid, ret, submitted_by, blob_hash, size, created_at, next_attempt, "
    "attempts, held, delay_notified, lease_owner, lease_until, last_error ";

QueueEntry entry_from(const Stmt& s) {
  QueueEntry e;
  e.id = QueueEntryId{s.i64(0)};
  e.domain = s.text(1);
  e.sender = s.text(2);
  e.envid = s.text(3);
  e.ret = static_cast<DsnRet>(s.i64(4));
  e.submitted_by = AccountId{s.i64(5)};
  e.blob_hash = s.text(6);
  e.size = static_cast<std::uint64_t>(s.i64(7));
  e.created_at = at(s.i64(8));
  e.next_attempt = at(s.i64(9));
  e.attempts = static_cast<std::uint32_t>(s.i64(10));
  e.held = s.i64(11) != 0;
  e.delay_notified = s.i64(12) != 0;
  e.lease_owner = s.text(13);
  e.lease_until = at(s.i64(14));
  e.last_error = s.text(15);
  return e;
}

void load_recipients(Db& db, QueueEntry& e) {
  auto s = db.query(
      "SELECT address, orcpt, notify, state, last_reply FROM queue_recipients "
      "WHERE entry_id = ? ORDER BY position",
      e.id.value);
  while (s.step()) {
    QueueRecipient r;
    r.rcpt.address = s.text(0);
    r.rcpt.orcpt = s.text(1);
    r.rcpt.notify = static_cast<std::uint8_t>(s.i64(2));
    r.state = static_cast<RecipientState>(s.i64(3));
    r.last_reply = s.text(4);
    e.recipients.push_back(std::move(r));
  }
}

std::optional<QueueEntry> load_entry(Db& db, QueueEntryId id) {
  auto s = db.query(std::string("SELECT ") + std::string(kEntryColumns) + "FROM queue WHERE id = ?",
                    id.value);
  if (!s.step()) return std::nullopt;
  auto e = entry_from(s);
  load_recipients(db, e);
  return e;
}

Result<void> exists_or_not_found(Db& db, QueueEntryId id) {
  auto s = db.query("SELECT 1 FROM queue WHERE id = ?", id.value);
  if (!s.step()) return fail(ErrorCode::kNotFound, "no such queue entry");
  return {};
}

}  // namespace

Result<std::vector<QueueEntryId>> queue_outbound(Db& db, const Outbound& outbound,
                                                 const std::string& hash, std::uint64_t size) {
  auto groups = group_by_domain(outbound);
  if (!groups) return groups.error();
  auto t = secs(now());
  std::vector<QueueEntryId> ids;
  for (const auto& g : *groups) {
    db.run(
        "INSERT INTO queue(domain, sender, envid, ret, submitted_by, blob_hash, size, "
        "created_at, next_attempt) VALUES (?,?,?,?,?,?,?,?,?)",
        g.domain, outbound.sender, outbound.envid, static_cast<int>(outbound.ret),
        outbound.submitted_by.value, hash, size, t, t);
    QueueEntryId id{db.last_insert_rowid()};
    int position = 0;
    for (const auto& r : g.recipients)
      db.run(
          "INSERT INTO queue_recipients(entry_id, position, address, orcpt, notify) "
          "VALUES (?,?,?,?,?)",
          id.value, position++, r.address, r.orcpt, int{r.notify});
    ids.push_back(id);
  }
  return ids;
}

Result<std::vector<QueueEntryId>> enqueue(Db& db, const Outbound& outbound,
                                          const PreparedBlob& blob) {
  // Validate before storing anything (the job's savepoint would undo it too).
  if (auto g = group_by_domain(outbound); !g) return g.error();
  (void)put_blob(db, blob);
  return queue_outbound(db, outbound, blob.hash, blob.size);
}

Result<std::vector<QueueEntry>> claim(Db& db, const std::string& node, std::size_t max,
                                      std::chrono::seconds lease) {
  auto t = secs(now());
  std::vector<QueueEntry> out;
  if (max == 0) return out;
  std::vector<std::int64_t> ids;
  {
    auto s = db.query(
        "SELECT id FROM queue WHERE held = 0 AND next_attempt <= ? AND lease_until <= ? "
        "ORDER BY next_attempt, id LIMIT ?",
        t, t, static_cast<std::int64_t>(std::min<std::size_t>(max, INT64_MAX)));
    while (s.step()) ids.push_back(s.i64(0));
  }
  for (auto id : ids) {
    db.run(
        "UPDATE queue SET lease_owner = ?, lease_until = ?, attempts = attempts + 1 "
        "WHERE id = ?",
        node, t + lease.count(), id);
    if (auto e = load_entry(db, QueueEntryId{id})) out.push_back(std::move(*e));
  }
  return out;
}

Result<void> renew(Db& db, QueueEntryId id, const std::string& node, std::chrono::seconds lease) {
  auto t = secs(now());
  if (db.run("UPDATE queue SET lease_until = ? WHERE id = ? AND lease_owner = ?",
             t + lease.count(), id.value, node) > 0)
    return {};
  if (auto r = exists_or_not_found(db, id); !r) return r;
  return fail(ErrorCode::kConflict, "lease lost");
}

Result<std::string> read_queue_frame(Db& db, QueueEntryId id) {
  auto s = db.query(
      "SELECT b.data FROM queue q JOIN blobs b ON b.hash = q.blob_hash WHERE q.id = ?", id.value);
  if (!s.step()) {
    if (auto r = exists_or_not_found(db, id); !r) return r.error();
    return fail(ErrorCode::kInternal, "queued message has no blob");
  }
  return s.blob(0);
}

// A lease that ran out but was not taken over still counts as held: the
// worker's report is better recorded than repeated.
Result<void> record_attempt(Db& db, QueueEntryId id, const std::string& node,
                            const AttemptResult& r) {
  {
    auto s = db.query("SELECT lease_owner FROM queue WHERE id = ?", id.value);
    if (!s.step()) return fail(ErrorCode::kNotFound, "no such queue entry");
    if (s.text(0) != node) return fail(ErrorCode::kConflict, "lease lost");
  }
  for (const auto& [address, state] : r.recipients)
    db.run("UPDATE queue_recipients SET state = ? WHERE entry_id = ? AND address = ?",
           static_cast<int>(state), id.value, address);
  for (const auto& [address, reply] : r.replies)
    db.run("UPDATE queue_recipients SET last_reply = ? WHERE entry_id = ? AND address = ?", reply,
           id.value, address);
  {
    auto s = db.query("SELECT 1 FROM queue_recipients WHERE entry_id = ? AND state = ? LIMIT 1",
                      id.value, static_cast<int>(RecipientState::kPending));
    if (!s.step()) {
      db.run("DELETE FROM queue WHERE id = ?", id.value);
      return {};
    }
  }
  auto next = r.next_attempt ? secs(*r.next_attempt) : secs(now());
  db.run(
      "UPDATE queue SET next_attempt = ?, last_error = ?, "
      "delay_notified = delay_notified OR ?, lease_owner = '', lease_until = 0 WHERE id = ?",
      next, r.error, r.delay_notified, id.value);
  return {};
}

Result<std::vector<QueueEntry>> list_queue(Db& db) {
  std::vector<QueueEntry> out;
  {
    auto s = db.query(std::string("SELECT ") + std::string(kEntryColumns) +
                      "FROM queue ORDER BY id");
    while (s.step()) out.push_back(entry_from(s));
  }
  for (auto& e : out) load_recipients(db, e);
  return out;
}

Result<QueueEntry> get_queue_entry(Db& db, QueueEntryId id) {
  auto e = load_entry(db, id);
  if (!e) return fail(ErrorCode::kNotFound, "no such queue entry");
  return std::move(*e);
}

Result<void> hold_queue_entry(Db& db, QueueEntryId id, bool held) {
  if (db.run("UPDATE queue SET held = ? WHERE id = ?", held, id.value) == 0)
    return fail(ErrorCode::kNotFound, "no such queue entry");
  return {};
}

Result<void> retry_queue_entry(Db& db, QueueEntryId id) {
  if (db.run("UPDATE queue SET next_attempt = ? WHERE id = ?", secs(now()), id.value) == 0)
    return fail(ErrorCode::kNotFound, "no such queue entry");
  return {};
}

Result<void> remove_queue_entry(Db& db, QueueEntryId id) {
  if (db.run("DELETE FROM queue WHERE id = ?", id.value) == 0)
    return fail(ErrorCode::kNotFound, "no such queue entry");
  return {};
}

Result<std::uint64_t> queue_depth(Db& db) {
  auto s = db.query("SELECT count(*) FROM queue");
  s.step();
  return static_cast<std::uint64_t>(s.i64(0));
}

std::optional<std::vector<Result<Delivered>>> find_delivery_key(Db& db, const std::string& key) {
  db.run("DELETE FROM delivery_keys WHERE created_at < ?", secs(now() - kIdempotencyKeep));
  auto s = db.query("SELECT results FROM delivery_keys WHERE key = ?", key);
  if (!s.step()) return std::nullopt;
  auto results = decode_results(s.text(0));
  if (!results) throw std::runtime_error("corrupt delivery_keys row");
  return results;
}

void remember_delivery_key(Db& db, const std::string& key,
                           const std::vector<Result<Delivered>>& results) {
  db.run("INSERT INTO delivery_keys(key, created_at, results) VALUES (?,?,?)", key, secs(now()),
         encode_results(results));
}

}  // namespace taube::store::sqlite::ops
