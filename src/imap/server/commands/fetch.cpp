// FETCH and UID FETCH (RFC 9051 6.4.5, RFC 3516 BINARY, RFC 7162 MODSEQ /
// CHANGEDSINCE / VANISHED, RFC 8514 SAVEDATE, RFC 8474 EMAILID, RFC 8970
// PREVIEW). ENVELOPE, BODYSTRUCTURE, BODY and PREVIEW come from the metadata
// stored at delivery; only body sections read the message itself. Responses
// are streamed: output is flushed whenever it grows large.
#include <algorithm>
#include <charconv>

#include "imap/server/commands.hpp"
#include "imap/server/fetch_format.hpp"
#include "imap/server/support.hpp"
#include "imap/wire/datetime.hpp"
#include "imap/wire/writer.hpp"
#include "mime/part.hpp"

namespace taube::imap::server {

using boost::asio::awaitable;
using wire::FetchAttribute;

namespace {

bool needs_meta(const wire::FetchItem& item) {
  return item.attribute == FetchAttribute::kEnvelope || item.attribute == FetchAttribute::kBody ||
         item.attribute == FetchAttribute::kBodyStructure || item.attribute == FetchAttribute::kPreview;
}
bool needs_raw(const wire::FetchItem& item) {
  switch (item.attribute) {
    case FetchAttribute::kRfc822:
    case FetchAttribute::kRfc822Header:
    case FetchAttribute::kRfc822Text:
    case FetchAttribute::kBodySection:
    case FetchAttribute::kBinary:
    case FetchAttribute::kBinarySize: return true;
    default: return false;
  }
}
// RFC 9051 6.4.5: BODY[...] (not PEEK), BINARY[...] and RFC822(.TEXT) set \Seen.
bool sets_seen(const wire::FetchItem& item) {
  switch (item.attribute) {
    case FetchAttribute::kRfc822:
    case FetchAttribute::kRfc822Text: return true;
    case FetchAttribute::kBodySection:
    case FetchAttribute::kBinary: return !item.peek;
    default: return false;
  }
}

// Items the message cache answers without the store: the common
// "FETCH 1:* (UID FLAGS)" of every client's resynchronisation.
bool cached_item(const wire::FetchItem& item) {
  switch (item.attribute) {
    case FetchAttribute::kUid:
    case FetchAttribute::kFlags:
    case FetchAttribute::kInternalDate:
    case FetchAttribute::kSaveDate:
    case FetchAttribute::kRfc822Size:
    case FetchAttribute::kModSeq: return true;
    default: return false;
  }
}

void append_number(std::string& out, std::uint64_t n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, end);
}

// FETCH responses from the cache, written straight into the output (no
// allocation per message).
awaitable<Completion> fetch_cached(Context& ctx, const std::vector<std::pair<std::uint32_t, store::Uid>>& targets,
                                   const std::vector<wire::FetchItem>& items, store::ModSeq changed_since) {
  auto loaded = co_await refresh_cache(ctx);
  if (!loaded) co_return from_error(loaded.error(), "fetch");
  const MessageCache& cache = **loaded;
  const auto& messages = cache.messages();
  auto it = messages.begin();
  std::string& out = ctx.output();
  for (const auto& [seq, uid] : targets) {
    // Targets ascend by sequence number, so by UID: walk the cache once.
    it = std::lower_bound(it, messages.end(), uid, [](const CachedMessage& m, store::Uid u) { return m.uid < u; });
    if (it == messages.end()) break;
    if (it->uid != uid || it->modseq <= changed_since) continue;
    const CachedMessage& m = *it;
    out += "* ";
    append_number(out, seq);
    out += " FETCH (";
    bool first = true;
    for (const auto& item : items) {
      if (!first) out += ' ';
      first = false;
      switch (item.attribute) {
        case FetchAttribute::kUid:
          out += "UID ";
          append_number(out, m.uid);
          break;
        case FetchAttribute::kFlags:
          out += "FLAGS ";
          out += cache.flag_set(m).formatted;
          break;
        case FetchAttribute::kInternalDate:
          out += "INTERNALDATE ";
          out += wire::format_date_time(m.internal_date);
          break;
        case FetchAttribute::kSaveDate:
          out += "SAVEDATE ";
          out += wire::format_date_time(m.save_date);
          break;
        case FetchAttribute::kRfc822Size:
          out += "RFC822.SIZE ";
          append_number(out, m.size);
          break;
        case FetchAttribute::kModSeq:
          out += "MODSEQ (";
          append_number(out, m.modseq);
          out += ')';
          break;
        default: break;
      }
    }
    out += ")\r\n";
    if (!co_await ctx.flush_if_large()) co_return bad("Connection lost");
  }
  co_return ok("FETCH completed");
}

const store::MessageRecord* find_record(const std::vector<store::MessageRecord>& records, store::Uid uid) {
  auto it = std::lower_bound(records.begin(), records.end(), uid,
                             [](const store::MessageRecord& r, store::Uid u) { return r.uid < u; });
  return it != records.end() && it->uid == uid ? &*it : nullptr;
}

}  // namespace

awaitable<Completion> cmd_fetch(Context& ctx, wire::Command& command) {
  auto& fetch = std::get<wire::Fetch>(command.body);
  SelectedView& view = *ctx.selected;
  std::string error;
  auto targets = resolve_set(ctx, fetch.set, fetch.uid, error);
  if (!targets) co_return bad(error);
  if (fetch.vanished && (!fetch.uid || !fetch.changed_since || !ctx.enabled.qresync))
    co_return bad("VANISHED needs UID FETCH, CHANGEDSINCE and QRESYNC");

  std::vector<wire::FetchItem> items = fetch.items;
  auto has = [&](FetchAttribute a) {
    return std::any_of(items.begin(), items.end(), [a](const wire::FetchItem& i) { return i.attribute == a; });
  };
  if (fetch.uid && !has(FetchAttribute::kUid)) items.insert(items.begin(), wire::FetchItem{.attribute = FetchAttribute::kUid});
  if (fetch.changed_since || has(FetchAttribute::kModSeq)) ctx.enabled.condstore = true;
  if (fetch.changed_since && !has(FetchAttribute::kModSeq))
    items.push_back(wire::FetchItem{.attribute = FetchAttribute::kModSeq});
  const bool want_meta = std::any_of(items.begin(), items.end(), needs_meta);
  const bool want_raw = std::any_of(items.begin(), items.end(), needs_raw);
  const bool want_seen = !view.read_only() && std::any_of(items.begin(), items.end(), sets_seen);

  if (fetch.vanished) {
    auto gone = co_await ctx.account->expunged_since(view.id(), *fetch.changed_since);
    if (!gone) co_return from_error(gone.error(), "fetch");
    std::vector<store::Uid> uids;
    for (store::Uid uid : *gone)
      if (fetch.set.contains(uid, view.last_uid())) uids.push_back(uid);
    ctx.send(wire::format_vanished(true, uids));
  }
  if (targets->empty()) co_return ok("FETCH completed");
  if (std::all_of(items.begin(), items.end(), cached_item)) {
    const store::ModSeq since = fetch.changed_since.value_or(0);
    auto op = fetch_cached(ctx, *targets, items, since);
    co_return co_await std::move(op);
  }

  auto records = co_await ctx.account->list_messages(view.id(), fetch.changed_since.value_or(0));
  if (!records) co_return from_error(records.error(), "fetch");

  // Set \Seen first so the FLAGS we send are the new ones.
  std::vector<store::Uid> seen_set;
  if (want_seen) {
    std::vector<store::Uid> unseen;
    for (const auto& [seq, uid] : *targets) {
      const auto* r = find_record(*records, uid);
      if (r && !r->flags.has(store::kSeen)) unseen.push_back(uid);
    }
    if (!unseen.empty()) {
      store::Flags seen;
      seen.system = store::kSeen;
      auto stored = co_await ctx.account->store_flags(view.id(), to_uid_set(unseen), store::FlagsMode::kAdd, seen,
                                                      std::nullopt);
      if (!stored) co_return from_error(stored.error(), "fetch");
      for (const auto& updated : stored->records) {
        auto it = std::lower_bound(records->begin(), records->end(), updated.uid,
                                   [](const store::MessageRecord& r, store::Uid u) { return r.uid < u; });
        if (it != records->end() && it->uid == updated.uid) *it = updated;
        seen_set.push_back(updated.uid);
        if (auto seq = view.seq_of(updated.uid)) view.set_modseq(seq, updated.modseq);
      }
    }
  }

  std::sort(seen_set.begin(), seen_set.end());
  constexpr std::size_t kBatch = 256;
  bool failed_part = false;
  for (std::size_t start = 0; start < targets->size(); start += kBatch) {
    const std::size_t end = std::min(targets->size(), start + kBatch);
    std::vector<std::pair<store::Uid, store::MessageMeta>> metas;
    if (want_meta) {
      std::vector<store::Uid> uids;
      for (std::size_t i = start; i < end; ++i) uids.push_back((*targets)[i].second);
      auto read = co_await ctx.account->read_meta(view.id(), to_uid_set(uids));
      if (!read) co_return from_error(read.error(), "fetch");
      metas = std::move(*read);
    }
    for (std::size_t i = start; i < end; ++i) {
      const auto [seq, uid] = (*targets)[i];
      const store::MessageRecord* record = find_record(*records, uid);
      if (!record) continue;  // expunged meanwhile, or unchanged since CHANGEDSINCE
      const store::MessageMeta* meta = nullptr;
      if (want_meta) {
        auto it = std::lower_bound(metas.begin(), metas.end(), uid,
                                   [](const auto& p, store::Uid u) { return p.first < u; });
        if (it == metas.end() || it->first != uid) continue;
        meta = &it->second;
      }
      std::string raw;
      if (want_raw) {
        auto read = co_await ctx.account->read_raw(view.id(), uid);
        if (!read) {
          if (read.error().code == ErrorCode::kNotFound) continue;
          co_return from_error(read.error(), "fetch");
        }
        raw = std::move(*read);
      }
      const bool flags_changed = std::binary_search(seen_set.begin(), seen_set.end(), uid);
      MessageData data{.seq = seq, .record = *record, .meta = meta, .raw = raw};
      auto line = format_fetch(ctx, data, items, flags_changed);
      if (!line) {
        failed_part = true;
        continue;
      }
      ctx.send(*line);
      if (!co_await ctx.flush_if_large()) co_return bad("Connection lost");
    }
  }
  if (failed_part) co_return no("Unknown Content-Transfer-Encoding", "UNKNOWN-CTE");
  co_return ok("FETCH completed");
}

}  // namespace taube::imap::server
