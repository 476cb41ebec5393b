// COPY, MOVE and their UID forms (RFC 9051 6.4.7-6.4.8, RFC 6851 MOVE,
// RFC 4315 COPYUID). The store does each atomically in one transaction.
#include <algorithm>

#include "imap/server/commands.hpp"
#include "imap/server/support.hpp"
#include "imap/wire/writer.hpp"

namespace taube::imap::server {

using boost::asio::awaitable;

namespace {

awaitable<Completion> copy_or_move(Context& ctx, bool uid, const wire::SequenceSet& set,
                                   const std::string& destination, bool move) {
  SelectedView& view = *ctx.selected;
  if (move && view.read_only()) co_return no("Mailbox is read-only", "READ-ONLY");
  std::string error;
  auto targets = resolve_set(ctx, set, uid, error);
  if (!targets) co_return bad(error);
  auto to = co_await ctx.account->get_mailbox(destination);
  if (!to) {
    if (to.error().code == ErrorCode::kNotFound) co_return no("Mailbox does not exist", "TRYCREATE");
    co_return from_error(to.error(), "copy");
  }
  const char* verb = move ? "MOVE" : "COPY";
  if (targets->empty()) co_return ok(std::string(verb) + " completed");
  std::vector<store::Uid> uids;
  for (const auto& [seq, u] : *targets) uids.push_back(u);
  store::UidSet set_uids = to_uid_set(uids);
  Result<store::CopyResult> result = store::CopyResult{};
  if (move) {
    result = co_await ctx.account->move(view.id(), std::move(set_uids), to->id);
  } else {
    result = co_await ctx.account->copy(view.id(), std::move(set_uids), to->id);
  }
  if (!result) co_return from_error(result.error(), move ? "move" : "copy");
  if (to->id == view.id()) ctx.mailbox_changed = true;
  std::string code = result->source_uids.empty()
                         ? std::string()
                         : wire::code::copy_uid(result->uid_validity, result->source_uids, result->destination_uids);
  if (!move) co_return ok("COPY completed", code);
  // RFC 6851 4.3: COPYUID goes in an untagged OK before the expunges.
  if (!code.empty()) ctx.send(wire::format_untagged(wire::Status::kOk, code, "Moved"));
  std::vector<store::Uid> moved = result->source_uids;
  std::sort(moved.begin(), moved.end());
  report_expunged(ctx, moved);
  ctx.mailbox_changed = true;
  co_return ok("MOVE completed");
}

}  // namespace

awaitable<Completion> cmd_copy(Context& ctx, wire::Command& command) {
  auto& copy = std::get<wire::Copy>(command.body);
  co_return co_await copy_or_move(ctx, copy.uid, copy.set, copy.mailbox, false);
}

awaitable<Completion> cmd_move(Context& ctx, wire::Command& command) {
  auto& move = std::get<wire::Move>(command.body);
  co_return co_await copy_or_move(ctx, move.uid, move.set, move.mailbox, true);
}

}  // namespace taube::imap::server
