// The outbound queue and idempotency keys on PostgreSQL, shared by every node.
// A claim locks due rows with FOR UPDATE SKIP LOCKED and writes a lease, so
// concurrent claimers (this node's other writer connection, other nodes) never
// get the same entry; record_attempt re-reads the lease holder under a row lock
// in the same transaction. The blob of a queued message is counted in
// blobs.queue_refs (schema step kQueue).
#include <algorithm>
#include <stdexcept>

#include "store/postgres/ops.hpp"
#include "store/queue_support.hpp"

namespace taube::store::postgres::ops {
namespace {

namespace asio = boost::asio;

std::int64_t secs(UnixTime t) { return t.time_since_epoch().count(); }
UnixTime at(std::int64_t s) { return UnixTime{std::chrono::seconds{s}}; }

// Qualified: the claim's UPDATE ... FROM joins another relation with an id.
#define TAUBE_QUEUE_COLUMNS                                                                 \
  "q.id, q.domain, q.sender, q.envid, q.ret, q.submitted_by, q.blob_hash, q.size, "        \
  "q.created_at, q.next_attempt, q.attempts, q.held, q.delay_notified, q.lease_owner, "    \
  "q.lease_until, q.last_error "

QueueEntry entry_from(const Rows& r, int i) {
  QueueEntry e;
  e.id = QueueEntryId{r.i64(i, 0)};
  e.domain = r.text(i, 1);
  e.sender = r.text(i, 2);
  e.envid = r.text(i, 3);
  e.ret = static_cast<DsnRet>(r.i64(i, 4));
  e.submitted_by = AccountId{r.i64(i, 5)};
  e.blob_hash = r.text(i, 6);
  e.size = static_cast<std::uint64_t>(r.i64(i, 7));
  e.created_at = at(r.i64(i, 8));
  e.next_attempt = at(r.i64(i, 9));
  e.attempts = static_cast<std::uint32_t>(r.i64(i, 10));
  e.held = r.boolean(i, 11);
  e.delay_notified = r.boolean(i, 12);
  e.lease_owner = r.text(i, 13);
  e.lease_until = at(r.i64(i, 14));
  e.last_error = r.text(i, 15);
  return e;
}

std::string id_array(const std::vector<QueueEntry>& entries) {
  std::string out = "{";
  for (const auto& e : entries) {
    if (out.size() > 1) out += ',';
    out += std::to_string(e.id.value);
  }
  return out + "}";
}

// Fills the recipients of `entries` with one query.
asio::awaitable<void> load_recipients(PgConn& c, std::vector<QueueEntry>& entries) {
  if (entries.empty()) co_return;
  auto r = co_await c.query(
      "SELECT entry_id, address, orcpt, notify, state, last_reply FROM queue_recipients "
      "WHERE entry_id = ANY($1::bigint[]) ORDER BY entry_id, position",
      id_array(entries));
  for (int i = 0; i < r.size(); ++i) {
    QueueRecipient q;
    q.rcpt.address = r.text(i, 1);
    q.rcpt.orcpt = r.text(i, 2);
    q.rcpt.notify = static_cast<std::uint8_t>(r.i64(i, 3));
    q.state = static_cast<RecipientState>(r.i64(i, 4));
    q.last_reply = r.text(i, 5);
    auto id = r.i64(i, 0);
    for (auto& e : entries)
      if (e.id.value == id) e.recipients.push_back(std::move(q));
  }
}

asio::awaitable<bool> entry_exists(PgConn& c, QueueEntryId id) {
  auto r = co_await c.query("SELECT 1 FROM queue WHERE id = $1", id.value);
  co_return !r.empty();
}

Error not_found() { return fail(ErrorCode::kNotFound, "no such queue entry"); }

}  // namespace

Op<std::vector<QueueEntryId>> queue_outbound(PgConn& c, const Outbound& outbound,
                                             const std::string& hash, std::uint64_t size) {
  auto groups = group_by_domain(outbound);
  if (!groups) co_return groups.error();
  auto t = secs(now());
  std::vector<QueueEntryId> ids;
  for (const auto& g : *groups) {
    auto r = co_await c.query(
        "INSERT INTO queue(domain, sender, envid, ret, submitted_by, blob_hash, size, "
        "created_at, next_attempt) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$8) RETURNING id",
        g.domain, outbound.sender, outbound.envid, static_cast<int>(outbound.ret),
        outbound.submitted_by.value, hash, size, t);
    QueueEntryId id{r.i64(0, 0)};
    // One statement for all recipients of the entry.
    std::string addresses = "{", orcpts = "{", notifies = "{";
    auto quote = [](const std::string& s) {
      std::string out = "\"";
      for (char ch : s) {
        if (ch == '"' || ch == '\\') out += '\\';
        out += ch;
      }
      return out + "\"";
    };
    for (const auto& rc : g.recipients) {
      if (addresses.size() > 1) {
        addresses += ',';
        orcpts += ',';
        notifies += ',';
      }
      addresses += quote(rc.address);
      orcpts += quote(rc.orcpt);
      notifies += std::to_string(int{rc.notify});
    }
    addresses += '}';
    orcpts += '}';
    notifies += '}';
    co_await c.query(
        "INSERT INTO queue_recipients(entry_id, position, address, orcpt, notify) "
        "SELECT $1, p - 1, a, o, n FROM unnest($2::text[], $3::text[], $4::int[]) "
        "WITH ORDINALITY AS x(a, o, n, p)",
        id.value, addresses, orcpts, notifies);
    ids.push_back(id);
  }
  co_return ids;
}

Op<std::vector<QueueEntryId>> enqueue(PgConn& c, const Outbound& outbound,
                                      const PreparedBlob& blob) {
  // Validate before storing anything (the job's savepoint would undo it too).
  if (auto g = group_by_domain(outbound); !g) co_return g.error();
  auto stored = co_await put_blob(c, blob);
  if (!stored) co_return stored.error();
  auto op = queue_outbound(c, outbound, blob.hash, blob.size);
  co_return co_await std::move(op);
}

Op<std::vector<QueueEntry>> claim(PgConn& c, const std::string& node, std::size_t max,
                                  std::chrono::seconds lease) {
  std::vector<QueueEntry> out;
  if (max == 0) co_return out;
  auto t = secs(now());
  auto limit = static_cast<std::int64_t>(std::min<std::size_t>(max, 1u << 20));
  // Rows another transaction is claiming (locked) are skipped, not waited for;
  // rows it claimed and committed fail the lease test when re-checked.
  auto r = co_await c.query(
      "WITH due AS (SELECT id FROM queue WHERE NOT held AND next_attempt <= $1 "
      "AND lease_until <= $1 ORDER BY next_attempt, id LIMIT $2 FOR UPDATE SKIP LOCKED) "
      "UPDATE queue q SET lease_owner = $3, lease_until = $4, attempts = q.attempts + 1 "
      "FROM due WHERE q.id = due.id RETURNING " TAUBE_QUEUE_COLUMNS,
      t, limit, node, t + lease.count());
  for (int i = 0; i < r.size(); ++i) out.push_back(entry_from(r, i));
  std::sort(out.begin(), out.end(), [](const QueueEntry& a, const QueueEntry& b) {
    return a.next_attempt != b.next_attempt ? a.next_attempt < b.next_attempt : a.id < b.id;
  });
  co_await load_recipients(c, out);
  co_return out;
}

Op<void> renew(PgConn& c, QueueEntryId id, const std::string& node, std::chrono::seconds lease) {
  auto r = co_await c.query(
      "UPDATE queue SET lease_until = $1 WHERE id = $2 AND lease_owner = $3 RETURNING id",
      secs(now()) + lease.count(), id.value, node);
  if (!r.empty()) co_return Result<void>{};
  if (!co_await entry_exists(c, id)) co_return not_found();
  co_return fail(ErrorCode::kConflict, "lease lost");
}

Op<std::string> read_queue_frame(PgConn& c, QueueEntryId id) {
  auto r = co_await c.query_binary(
      "SELECT b.data FROM queue q JOIN blobs b ON b.hash = q.blob_hash WHERE q.id = $1",
      id.value);
  if (!r.empty()) co_return r.raw(0, 0);
  if (!co_await entry_exists(c, id)) co_return not_found();
  co_return fail(ErrorCode::kInternal, "queued message has no blob");
}

// A lease that ran out but was not taken over still counts as held: the
// worker's report is better recorded than the delivery repeated.
Op<void> record_attempt(PgConn& c, QueueEntryId id, const std::string& node,
                        const AttemptResult& a) {
  {
    auto r = co_await c.query("SELECT lease_owner FROM queue WHERE id = $1 FOR UPDATE", id.value);
    if (r.empty()) co_return not_found();
    if (r.text(0, 0) != node) co_return fail(ErrorCode::kConflict, "lease lost");
  }
  for (const auto& [address, state] : a.recipients)
    co_await c.query("UPDATE queue_recipients SET state = $1 WHERE entry_id = $2 AND address = $3",
                     static_cast<int>(state), id.value, address);
  for (const auto& [address, reply] : a.replies)
    co_await c.query(
        "UPDATE queue_recipients SET last_reply = $1 WHERE entry_id = $2 AND address = $3", reply,
        id.value, address);
  auto pending = co_await c.query(
      "SELECT 1 FROM queue_recipients WHERE entry_id = $1 AND state = $2 LIMIT 1", id.value,
      static_cast<int>(RecipientState::kPending));
  if (pending.empty()) {
    co_await c.query("DELETE FROM queue WHERE id = $1", id.value);
    co_return Result<void>{};
  }
  auto next = a.next_attempt ? secs(*a.next_attempt) : secs(now());
  co_await c.query(
      "UPDATE queue SET next_attempt = $1, last_error = $2, delay_notified = delay_notified OR $3, "
      "lease_owner = '', lease_until = 0 WHERE id = $4",
      next, a.error, a.delay_notified, id.value);
  co_return Result<void>{};
}

Op<std::vector<QueueEntry>> list_queue(PgConn& c) {
  std::vector<QueueEntry> out;
  auto r = co_await c.query("SELECT " TAUBE_QUEUE_COLUMNS "FROM queue q ORDER BY q.id");
  for (int i = 0; i < r.size(); ++i) out.push_back(entry_from(r, i));
  co_await load_recipients(c, out);
  co_return out;
}

Op<QueueEntry> get_queue_entry(PgConn& c, QueueEntryId id) {
  auto r =
      co_await c.query("SELECT " TAUBE_QUEUE_COLUMNS "FROM queue q WHERE q.id = $1", id.value);
  if (r.empty()) co_return not_found();
  std::vector<QueueEntry> one{entry_from(r, 0)};
  co_await load_recipients(c, one);
  co_return std::move(one.front());
}

Op<void> hold_queue_entry(PgConn& c, QueueEntryId id, bool held) {
  auto r = co_await c.query("UPDATE queue SET held = $1 WHERE id = $2", held, id.value);
  if (r.affected() == 0) co_return not_found();
  co_return Result<void>{};
}

Op<void> retry_queue_entry(PgConn& c, QueueEntryId id) {
  auto r =
      co_await c.query("UPDATE queue SET next_attempt = $1 WHERE id = $2", secs(now()), id.value);
  if (r.affected() == 0) co_return not_found();
  co_return Result<void>{};
}

Op<void> remove_queue_entry(PgConn& c, QueueEntryId id) {
  auto r = co_await c.query("DELETE FROM queue WHERE id = $1", id.value);
  if (r.affected() == 0) co_return not_found();
  co_return Result<void>{};
}

Op<std::uint64_t> queue_depth(PgConn& c) {
  auto r = co_await c.query("SELECT count(*) FROM queue");
  co_return static_cast<std::uint64_t>(r.i64(0, 0));
}

// The key row is inserted first: a concurrent delivery with the same key (on
// another connection or node) waits on it and then sees the committed results.
asio::awaitable<std::optional<std::vector<Result<Delivered>>>> claim_delivery_key(
    PgConn& c, const std::string& key) {
  auto t = secs(now());
  // Pruning skips rows other transactions are pruning: nobody waits for it.
  co_await c.query(
      "DELETE FROM delivery_keys WHERE key IN (SELECT key FROM delivery_keys "
      "WHERE created_at < $1 LIMIT 100 FOR UPDATE SKIP LOCKED)",
      t - kIdempotencyKeep.count());
  auto inserted = co_await c.query(
      "INSERT INTO delivery_keys(key, created_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING "
      "RETURNING 1",
      key, t);
  if (!inserted.empty()) co_return std::nullopt;
  auto r = co_await c.query("SELECT results FROM delivery_keys WHERE key = $1", key);
  // Gone again (pruned, or its transaction rolled back after we waited): retry.
  if (r.empty() || r.is_null(0, 0)) throw PgError("delivery key in flux", "40001", false);
  auto results = decode_results(r.text(0, 0));
  if (!results) throw std::runtime_error("corrupt delivery_keys row");
  co_return std::move(*results);
}

asio::awaitable<void> remember_delivery_key(PgConn& c, const std::string& key,
                                            const std::vector<Result<Delivered>>& results) {
  co_await c.query("UPDATE delivery_keys SET results = $1 WHERE key = $2", encode_results(results),
                   key);
}

}  // namespace taube::store::postgres::ops
