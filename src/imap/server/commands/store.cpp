// STORE and UID STORE (RFC 9051 6.4.6) with UNCHANGEDSINCE (RFC 7162 3.1.3:
// messages changed since are reported in [MODIFIED] and left alone).
#include "imap/server/commands.hpp"
#include "imap/server/support.hpp"
#include "imap/wire/writer.hpp"

namespace taube::imap::server {

using boost::asio::awaitable;

awaitable<Completion> cmd_store(Context& ctx, wire::Command& command) {
  auto& st = std::get<wire::Store>(command.body);
  SelectedView& view = *ctx.selected;
  if (view.read_only()) co_return no("Mailbox is read-only", "READ-ONLY");
  std::string error;
  auto targets = resolve_set(ctx, st.set, st.uid, error);
  if (!targets) co_return bad(error);
  store::Flags flags;
  if (!to_store_flags(st.flags, flags)) co_return bad("Unknown system flag");
  if (st.unchanged_since) ctx.enabled.condstore = true;
  if (targets->empty()) co_return ok("STORE completed");
  std::vector<store::Uid> uids;
  for (const auto& [seq, uid] : *targets) uids.push_back(uid);
  const store::FlagsMode mode = st.mode == wire::StoreMode::kAdd      ? store::FlagsMode::kAdd
                                : st.mode == wire::StoreMode::kRemove ? store::FlagsMode::kRemove
                                                                      : store::FlagsMode::kReplace;
  auto result = co_await ctx.account->store_flags(view.id(), to_uid_set(uids), mode, flags, st.unchanged_since);
  if (!result) co_return from_error(result.error(), "store");
  for (const auto& r : result->records) {
    std::uint32_t seq = view.seq_of(r.uid);
    if (seq == 0) continue;
    const bool changed = r.modseq > view.modseq_of(seq);
    if (changed) view.set_modseq(seq, r.modseq);
    // RFC 7162 3.1.3: with UNCHANGEDSINCE, .SILENT still reports MODSEQ of changed ones.
    if (st.silent && !(st.unchanged_since && changed)) continue;
    std::string line = std::to_string(seq) + " FETCH (";
    if (st.uid) line += "UID " + std::to_string(r.uid) + " ";
    if (!st.silent) line += "FLAGS " + format_flags(r.flags);
    if (ctx.enabled.condstore) line += std::string(st.silent ? "" : " ") + "MODSEQ (" + std::to_string(r.modseq) + ")";
    line += ")";
    ctx.send_untagged(line);
  }
  ctx.mailbox_changed = true;
  if (!result->failed.empty()) {
    std::vector<std::uint32_t> numbers;
    for (store::Uid uid : result->failed) numbers.push_back(st.uid ? uid : view.seq_of(uid));
    co_return ok("Conditional STORE failed for some messages", wire::code::modified(numbers));
  }
  co_return ok("STORE completed");
}

}  // namespace taube::imap::server
