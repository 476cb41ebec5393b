// The outbound queue in the store: mail for other domains waits here, one entry
// per message and destination domain with per-recipient status, until a worker
// (outbound/) has delivered or given up on every recipient. Entries are leased
// to the node working on them, so a crashed node's entries are retried after the
// lease expires and two live nodes never work on the same entry. The message
// blob stays referenced while any entry needs it.
//
// Filling the queue: Store::deliver with Delivery::outbound (the same
// transaction as the local copies), or QueueStore::enqueue for mail the server
// generates itself (DSNs, iMIP). The value types Outbound/OutboundRecipient/
// NotifyFlag/DsnRet live in store/types.hpp (Delivery needs them).
//
// Conventions as in store/store.hpp (durable on completion, not cancellable,
// kUnavailable when the database fails). kNotFound for an unknown entry.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/store.hpp"
#include "store/types.hpp"

namespace taube::store {

using QueueEntryId = Id<struct QueueEntryTag>;
enum class RecipientState : std::uint8_t { kPending, kDelivered, kFailed };

struct QueueRecipient {
  OutboundRecipient rcpt;
  RecipientState state = RecipientState::kPending;
  std::string last_reply;  // the peer's reply or our reason, for DSN and `queue show`
};

struct QueueEntry {
  QueueEntryId id;
  std::string domain;  // lower case
  std::string sender, envid;
  DsnRet ret = DsnRet::kUnspecified;
  AccountId submitted_by{};
  std::string blob_hash;  // the message (kept referenced while queued)
  std::uint64_t size = 0;
  UnixTime created_at{}, next_attempt{};
  std::uint32_t attempts = 0;
  bool held = false;
  bool delay_notified = false;
  std::string lease_owner;  // node id holding the lease, "" if none
  UnixTime lease_until{};
  std::string last_error;
  std::vector<QueueRecipient> recipients;
};

// What a worker reports after one attempt on a claimed entry. Recipients not
// named keep their state.
struct AttemptResult {
  std::vector<std::pair<std::string, RecipientState>> recipients;  // address -> new state
  std::vector<std::pair<std::string, std::string>> replies;         // address -> reply text
  std::optional<UnixTime> next_attempt;  // set when recipients remain pending
  std::string error;                     // entry-level reason ("connection refused", ...)
  bool delay_notified = false;           // set it (the delay DSN was queued)
};

class QueueStore {
 public:
  virtual ~QueueStore() = default;
  // Internally generated mail (DSNs, iMIP): stores the blob and queues it, one
  // entry per recipient domain. Errors: kInvalidArgument (no recipients, or a
  // recipient that is not an address), kTooLarge.
  virtual Async<std::vector<QueueEntryId>> enqueue(std::string raw, Outbound outbound) = 0;
  // Leases up to `max` due entries (next_attempt <= now, not held, no live
  // lease), oldest due first, to `node` until now+lease and counts an attempt.
  // PostgreSQL: FOR UPDATE SKIP LOCKED. Never returns an entry whose lease
  // another node holds.
  virtual Async<std::vector<QueueEntry>> claim(std::string node, std::size_t max,
                                               std::chrono::seconds lease) = 0;
  // Extends the lease. Errors: kConflict when `node` no longer holds it.
  virtual Async<void> renew(QueueEntryId id, std::string node, std::chrono::seconds lease) = 0;
  // The raw message bytes (decompressed).
  virtual Async<std::string> read_message(QueueEntryId id) = 0;
  // Records an attempt and releases the lease; deletes the entry (and frees its
  // blob when nothing else uses it) when no recipient is pending. One
  // transaction. Errors: kConflict when `node` no longer holds the lease
  // (nothing recorded).
  virtual Async<void> record_attempt(QueueEntryId id, std::string node, AttemptResult r) = 0;
  // Admin (taube queue ...). list() is ordered by id.
  virtual Async<std::vector<QueueEntry>> list() = 0;
  virtual Async<QueueEntry> get(QueueEntryId id) = 0;
  virtual Async<void> hold(QueueEntryId id, bool held) = 0;
  // Due now (a live lease stays: the entry is retried when it ends).
  virtual Async<void> retry_now(QueueEntryId id) = 0;
  virtual Async<void> remove(QueueEntryId id) = 0;
  virtual Async<std::uint64_t> depth() = 0;  // entries, for /metrics
};

}  // namespace taube::store
