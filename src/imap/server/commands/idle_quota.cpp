// IDLE (RFC 9051 6.3.13; the session runs it) and QUOTA (RFC 9208:
// GETQUOTAROOT/GETQUOTA with the account's storage usage; limits come later).
#include "imap/server/commands.hpp"
#include "imap/server/support.hpp"

namespace taube::imap::server {

using boost::asio::awaitable;

awaitable<Completion> cmd_idle(Context& ctx, wire::Command&) { co_return co_await ctx.idle(); }

namespace {
// No limit is configured yet; RFC 9208 needs a number: the largest number64.
constexpr const char* kNoLimit = "9223372036854775807";
// RFC 9208 5.1: STORAGE is in units of 1024 octets.
awaitable<std::optional<std::uint64_t>> storage_kib(Context& ctx) {
  auto mailboxes = co_await ctx.account->list_mailboxes();
  if (!mailboxes) co_return std::nullopt;
  std::uint64_t bytes = 0;
  for (const auto& m : *mailboxes) bytes += m.counts.size_bytes;
  co_return (bytes + 1023) / 1024;
}
}  // namespace

awaitable<Completion> cmd_getquotaroot(Context& ctx, wire::Command& command) {
  auto& q = std::get<wire::GetQuotaRoot>(command.body);
  auto m = co_await ctx.account->get_mailbox(q.mailbox);
  if (!m) co_return from_error(m.error(), "getquotaroot");
  auto used = co_await storage_kib(ctx);
  if (!used) co_return no("Storage temporarily unavailable", "UNAVAILABLE");
  ctx.send_untagged("QUOTAROOT " + mailbox_name(ctx, m->name) + " \"\"");
  ctx.send_untagged("QUOTA \"\" (STORAGE " + std::to_string(*used) + " " + kNoLimit + ")");
  co_return ok("GETQUOTAROOT completed");
}

awaitable<Completion> cmd_getquota(Context& ctx, wire::Command& command) {
  auto& q = std::get<wire::GetQuota>(command.body);
  if (!q.root.empty()) co_return no("No such quota root", "NONEXISTENT");
  auto used = co_await storage_kib(ctx);
  if (!used) co_return no("Storage temporarily unavailable", "UNAVAILABLE");
  ctx.send_untagged("QUOTA \"\" (STORAGE " + std::to_string(*used) + " " + kNoLimit + ")");
  co_return ok("GETQUOTA completed");
}

}  // namespace taube::imap::server
