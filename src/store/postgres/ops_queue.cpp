// The outbound queue and idempotency keys on PostgreSQL. Placeholder: every
// queue operation answers kInternal "not implemented" until the real code lands.
#include "store/postgres/ops.hpp"

namespace taube::store::postgres::ops {
namespace {
Error unimplemented() { return fail(ErrorCode::kInternal, "queue: not implemented yet"); }
}  // namespace

Op<std::vector<QueueEntryId>> queue_outbound(PgConn&, const Outbound&, const std::string&,
                                             std::uint64_t) {
  co_return unimplemented();
}
Op<std::vector<QueueEntryId>> enqueue(PgConn&, const Outbound&, const PreparedBlob&) {
  co_return unimplemented();
}
Op<std::vector<QueueEntry>> claim(PgConn&, const std::string&, std::size_t,
                                  std::chrono::seconds) {
  co_return unimplemented();
}
Op<void> renew(PgConn&, QueueEntryId, const std::string&, std::chrono::seconds) {
  co_return unimplemented();
}
Op<std::string> read_queue_frame(PgConn&, QueueEntryId) { co_return unimplemented(); }
Op<void> record_attempt(PgConn&, QueueEntryId, const std::string&, const AttemptResult&) {
  co_return unimplemented();
}
Op<std::vector<QueueEntry>> list_queue(PgConn&) { co_return unimplemented(); }
Op<QueueEntry> get_queue_entry(PgConn&, QueueEntryId) { co_return unimplemented(); }
Op<void> hold_queue_entry(PgConn&, QueueEntryId, bool) { co_return unimplemented(); }
Op<void> retry_queue_entry(PgConn&, QueueEntryId) { co_return unimplemented(); }
Op<void> remove_queue_entry(PgConn&, QueueEntryId) { co_return unimplemented(); }
Op<std::uint64_t> queue_depth(PgConn&) { co_return unimplemented(); }
boost::asio::awaitable<std::optional<std::vector<Result<Delivered>>>> claim_delivery_key(
    PgConn&, const std::string&) {
  co_return std::nullopt;
}
boost::asio::awaitable<void> remember_delivery_key(PgConn&, const std::string&,
                                                   const std::vector<Result<Delivered>>&) {
  co_return;
}

}  // namespace taube::store::postgres::ops
