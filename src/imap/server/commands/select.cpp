// SELECT, EXAMINE (RFC 9051 6.3.2-6.3.3, with RFC 7162 CONDSTORE/QRESYNC),
// CLOSE, UNSELECT, CHECK, EXPUNGE and UID EXPUNGE (RFC 9051 6.4, RFC 4315).
#include "imap/server/commands.hpp"
#include "imap/server/support.hpp"
#include "imap/wire/writer.hpp"

namespace taube::imap::server {

using boost::asio::awaitable;

namespace {

// RFC 7162 3.2.5.2: what changed since the client's last known mod-seq.
awaitable<void> send_qresync(Context& ctx, const wire::QresyncParams& q) {
  SelectedView& view = *ctx.selected;
  if (q.uid_validity != view.mailbox().uid_validity) co_return;
  auto vanished = co_await ctx.account->expunged_since(view.id(), q.mod_seq);
  if (vanished) {
    std::vector<store::Uid> uids;
    for (store::Uid uid : *vanished)
      if (!q.known_uids || q.known_uids->contains(uid, view.last_uid())) uids.push_back(uid);
    ctx.send(wire::format_vanished(true, uids));
  }
  auto changed = co_await ctx.account->list_messages(view.id(), q.mod_seq);
  if (!changed) co_return;
  for (const auto& r : *changed) {
    std::uint32_t seq = view.seq_of(r.uid);
    if (seq == 0) continue;
    ctx.send_untagged(std::to_string(seq) + " FETCH (UID " + std::to_string(r.uid) + " FLAGS " +
                      format_flags(r.flags) + " MODSEQ (" + std::to_string(r.modseq) + "))");
  }
}

}  // namespace

awaitable<Completion> cmd_select(Context& ctx, wire::Command& command) {
  auto& select = std::get<wire::Select>(command.body);
  if (ctx.selected) {
    ctx.selected.reset();
    ctx.cache.reset();
    ctx.state = State::kAuthenticated;
    if (ctx.enabled.qresync) ctx.send(wire::format_untagged(wire::Status::kOk, wire::code::closed(), "Previous mailbox closed"));
  }
  if (select.qresync && !ctx.enabled.qresync) co_return bad("QRESYNC is not enabled");
  if (select.condstore) ctx.enabled.condstore = true;
  auto mailbox = co_await ctx.account->get_mailbox(select.mailbox);
  if (!mailbox) co_return from_error(mailbox.error(), "select");
  auto records = co_await ctx.account->list_messages(mailbox->id, 0);
  if (!records) co_return from_error(records.error(), "select");

  ctx.cache.reset();
  MessageCache cache(mailbox->id);
  cache.apply(*records, {});
  SelectedView view(*mailbox, select.read_only);
  std::uint32_t first_unseen = 0;
  store::ModSeq highest = mailbox->highest_modseq;
  for (const auto& r : *records) {
    view.append(r.uid, r.modseq);
    if (first_unseen == 0 && !r.flags.has(store::kSeen)) first_unseen = view.exists();
    highest = std::max(highest, r.modseq);
  }
  view.set_known_modseq(highest);
  ctx.selected = std::move(view);
  ctx.cache = std::move(cache);
  ctx.state = State::kSelected;
  ctx.mailbox_changed = false;
  ctx.saved_search.clear();

  const auto flags = system_flags();
  ctx.send_untagged("FLAGS " + wire::format_flag_list(flags));
  ctx.send_untagged(std::to_string(ctx.selected->exists()) + " EXISTS");
  if (!ctx.enabled.rev2) {
    ctx.send_untagged("0 RECENT");
    if (first_unseen)
      ctx.send(wire::format_untagged(wire::Status::kOk, "UNSEEN " + std::to_string(first_unseen), "First unseen"));
  }
  ctx.send(wire::format_untagged(wire::Status::kOk,
                                 wire::code::permanent_flags(select.read_only ? std::vector<std::string>{} : flags,
                                                             !select.read_only),
                                 select.read_only ? "No permanent flags permitted" : "Flags permitted"));
  ctx.send(wire::format_untagged(wire::Status::kOk, wire::code::uid_validity(mailbox->uid_validity), "UIDs valid"));
  ctx.send(wire::format_untagged(wire::Status::kOk, wire::code::uid_next(mailbox->uid_next), "Predicted next UID"));
  ctx.send(wire::format_untagged(wire::Status::kOk, wire::code::highest_mod_seq(highest), "Highest"));
  ctx.send(wire::format_untagged(wire::Status::kOk, "MAILBOXID (M" + std::to_string(mailbox->id.value) + ")", "Ok"));
  if (ctx.enabled.rev2) {
    // RFC 9051 6.3.2: the canonical name and its attributes (special use).
    std::string attrs = mailbox->special_use == store::SpecialUse::kNone ? "" : std::string(store::to_string(mailbox->special_use));
    ctx.send_untagged("LIST (" + attrs + ") \"/\" " + mailbox_name(ctx, mailbox->name));
  }
  if (select.qresync) co_await send_qresync(ctx, *select.qresync);
  // A change committed while this SELECT read the mailbox was not reported to
  // a selected view (there was none yet): check once more before the tagged OK.
  ctx.mailbox_changed = true;
  co_return ok(std::string(select.read_only ? "EXAMINE" : "SELECT") + " completed",
               select.read_only ? wire::code::read_only() : wire::code::read_write());
}

awaitable<Completion> cmd_close(Context& ctx, wire::Command&) {
  // RFC 9051 6.4.1: expunge silently unless read-only.
  if (!ctx.selected->read_only()) {
    auto r = co_await ctx.account->expunge(ctx.selected->id(), store::all_uids(), true);
    if (!r) co_return from_error(r.error(), "close");
  }
  ctx.selected.reset();
  ctx.cache.reset();
  ctx.state = State::kAuthenticated;
  co_return ok("CLOSE completed");
}

awaitable<Completion> cmd_unselect(Context& ctx, wire::Command&) {
  ctx.selected.reset();
  ctx.cache.reset();
  ctx.state = State::kAuthenticated;
  co_return ok("UNSELECT completed");
}

awaitable<Completion> cmd_check(Context& ctx, wire::Command&) {
  ctx.mailbox_changed = true;
  co_return ok("CHECK completed");
}

awaitable<Completion> cmd_expunge(Context& ctx, wire::Command& command) {
  auto& expunge = std::get<wire::Expunge>(command.body);
  if (ctx.selected->read_only()) co_return no("Mailbox is read-only", "READ-ONLY");
  store::UidSet uids = store::all_uids();
  if (expunge.uids) {
    std::string error;
    auto pairs = resolve_set(ctx, *expunge.uids, true, error);
    if (!pairs) co_return bad(error);
    std::vector<store::Uid> list;
    for (const auto& [seq, uid] : *pairs) list.push_back(uid);
    if (list.empty()) co_return ok("EXPUNGE completed");
    uids = to_uid_set(list);
  }
  auto removed = co_await ctx.account->expunge(ctx.selected->id(), uids, true);
  if (!removed) co_return from_error(removed.error(), "expunge");
  report_expunged(ctx, *removed);
  ctx.mailbox_changed = true;
  co_return ok("EXPUNGE completed");
}

}  // namespace taube::imap::server
