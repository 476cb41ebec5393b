#include "imap/server/support.hpp"

#include <algorithm>

#include "base/ascii.hpp"
#include "imap/wire/writer.hpp"
#include "log/log.hpp"

namespace taube::imap::server {

using boost::asio::awaitable;

Completion from_error(const Error& error, std::string_view what) {
  if (error.code == ErrorCode::kUnavailable || error.code == ErrorCode::kInternal)
    log::warn("imap.store_error", {log::kv("what", what), log::kv("code", to_string(error.code)),
                                   log::kv("detail", error.detail)});
  switch (error.code) {
    case ErrorCode::kNotFound: return no("No such mailbox or message", "NONEXISTENT");
    case ErrorCode::kAlreadyExists: return no("Mailbox already exists", "ALREADYEXISTS");
    case ErrorCode::kPermissionDenied: return no("Permission denied", "NOPERM");
    case ErrorCode::kQuotaExceeded: return no("Quota exceeded", "OVERQUOTA");
    case ErrorCode::kTooLarge: return no("Message too large", "TOOBIG");
    case ErrorCode::kConflict: return no("Conflicting change, try again", "INUSE");
    case ErrorCode::kInvalidArgument: return no("Cannot do that", "CANNOT");
    case ErrorCode::kBusy:
    case ErrorCode::kUnavailable: return no("Storage temporarily unavailable, try again later", "UNAVAILABLE");
    case ErrorCode::kInternal: break;
  }
  return no("Internal error", "SERVERBUG");
}

namespace {
struct SystemFlagName {
  std::string_view name;
  store::SystemFlag bit;
};
constexpr SystemFlagName kSystemFlags[] = {
    {"\\Seen", store::kSeen},       {"\\Answered", store::kAnswered}, {"\\Flagged", store::kFlagged},
    {"\\Deleted", store::kDeleted}, {"\\Draft", store::kDraft},
};

}  // namespace

bool to_store_flags(const std::vector<wire::Flag>& flags, store::Flags& out) {
  for (const auto& f : flags) {
    if (!f.empty() && f[0] == '\\') {
      if (ascii::iequals(f, "\\Recent")) continue;
      auto it = std::find_if(std::begin(kSystemFlags), std::end(kSystemFlags),
                             [&](const SystemFlagName& s) { return ascii::iequals(s.name, f); });
      if (it == std::end(kSystemFlags)) return false;
      out.system |= it->bit;
    } else {
      out.keywords.push_back(f);
    }
  }
  out.normalize();
  return true;
}

std::string format_flags(const store::Flags& flags) {
  std::vector<std::string> names;
  for (const auto& s : kSystemFlags)
    if (flags.has(s.bit)) names.emplace_back(s.name);
  for (const auto& k : flags.keywords) names.push_back(k);
  return wire::format_flag_list(names);
}

std::vector<std::string> system_flags() {
  std::vector<std::string> names;
  for (const auto& s : kSystemFlags) names.emplace_back(s.name);
  return names;
}

std::string mailbox_name(const Context& ctx, std::string_view utf8_name) {
  return wire::format_mailbox(utf8_name, ctx.write_options());
}

void report_expunged(Context& ctx, const std::vector<store::Uid>& uids) {
  if (!ctx.selected) return;
  std::vector<store::Uid> vanished;
  for (store::Uid uid : uids) {
    std::uint32_t seq = ctx.selected->remove(uid);
    if (seq == 0) continue;
    if (ctx.enabled.qresync) {
      vanished.push_back(uid);
    } else {
      ctx.send_untagged(std::to_string(seq) + " EXPUNGE");
    }
  }
  if (!vanished.empty()) ctx.send(wire::format_vanished(false, vanished));
}

awaitable<void> report_updates(Context& ctx, bool allow_expunge) {
  if (!ctx.selected || !ctx.mailbox_changed || !allow_expunge) co_return;
  ctx.mailbox_changed = false;
  SelectedView& view = *ctx.selected;
  // The mailbox's mod-seq first: everything up to it is reported below, and
  // whatever changes later is seen again at the next report.
  auto mailbox = co_await ctx.account->get_mailbox(view.id());
  if (!mailbox) {
    if (mailbox.error().code == ErrorCode::kNotFound) {
      // Deleted or renamed away under us: RFC 9051 7.1 BYE is drastic; tell
      // the client every message is gone instead.
      std::vector<store::Uid> all = view.uids();
      report_expunged(ctx, all);
    } else {
      ctx.mailbox_changed = true;
    }
    co_return;
  }
  const store::ModSeq since = view.known_modseq();
  auto expunged = co_await ctx.account->expunged_since(view.id(), since);
  auto changed = co_await ctx.account->list_messages(view.id(), since);
  if (!expunged || !changed) {
    ctx.mailbox_changed = true;
    co_return;
  }
  report_expunged(ctx, *expunged);
  std::uint32_t before = view.exists();
  const bool show_modseq = ctx.enabled.condstore;
  std::string fetches;
  for (const auto& r : *changed) {
    if (r.uid > view.last_uid()) {
      view.append(r.uid, r.modseq);
      continue;
    }
    std::uint32_t seq = view.seq_of(r.uid);
    if (seq == 0 || view.modseq_of(seq) >= r.modseq) continue;
    view.set_modseq(seq, r.modseq);
    std::string line = std::to_string(seq) + " FETCH (";
    if (ctx.enabled.qresync) line += "UID " + std::to_string(r.uid) + " ";
    line += "FLAGS " + format_flags(r.flags);
    if (show_modseq) line += " MODSEQ (" + std::to_string(r.modseq) + ")";
    line += ")";
    fetches += wire::format_untagged_data(line);
  }
  if (view.exists() != before) ctx.send_untagged(std::to_string(view.exists()) + " EXISTS");
  ctx.send(fetches);
  view.set_known_modseq(std::max(since, mailbox->highest_modseq));
}

std::optional<std::vector<std::pair<std::uint32_t, store::Uid>>> resolve_set(Context& ctx,
                                                                           const wire::SequenceSet& set,
                                                                           bool by_uid, std::string& error) {
  if (set.saved) {
    std::vector<std::pair<std::uint32_t, store::Uid>> out;
    for (store::Uid uid : ctx.saved_search) {
      std::uint32_t seq = ctx.selected->seq_of(uid);
      if (seq != 0) out.emplace_back(seq, uid);
    }
    return out;
  }
  auto r = ctx.selected->resolve(set, by_uid);
  if (!r) error = "Invalid message sequence number";
  return r;
}

awaitable<Result<const MessageCache*>> refresh_cache(Context& ctx) {
  const store::MailboxId id = ctx.selected->id();
  if (!ctx.cache || ctx.cache->mailbox() != id) {
    ctx.cache.reset();
    auto records = co_await ctx.account->list_messages(id, 0);
    if (!records) co_return records.error();
    MessageCache fresh(id);
    fresh.apply(*records, {});
    ctx.cache = std::move(fresh);
    co_return &*ctx.cache;
  }
  // Records first, then expunges since the same mod-seq (see MessageCache::apply).
  const store::ModSeq since = ctx.cache->modseq();
  auto changed = co_await ctx.account->list_messages(id, since);
  if (!changed) co_return changed.error();
  auto expunged = co_await ctx.account->expunged_since(id, since);
  if (!expunged) co_return expunged.error();
  if (!ctx.cache || ctx.cache->mailbox() != id || ctx.cache->modseq() != since) {
    ctx.cache.reset();  // changed meanwhile by another step of this session: start over
    co_return co_await refresh_cache(ctx);
  }
  ctx.cache->apply(*changed, *expunged);
  co_return &*ctx.cache;
}

awaitable<bool> Context::flush_if_large() {
  if (out_.size() < 64 * 1024) co_return true;
  co_return co_await flush();
}

}  // namespace taube::imap::server
