// SORT and THREAD (RFC 5256): the messages a SEARCH key matches, ordered or
// threaded by the metadata stored at delivery (subject, addresses, sent date,
// Message-ID, In-Reply-To, References); never by reading message blobs.
#include <algorithm>
#include <charconv>
#include <map>

#include "base/ascii.hpp"
#include "imap/server/commands.hpp"
#include "imap/server/search_eval.hpp"
#include "imap/server/support.hpp"
#include "imap/server/thread.hpp"
#include "mime/subject.hpp"

namespace taube::imap::server {

using boost::asio::awaitable;

namespace {

// The first address of a display list "Name <a@b>, c@d": its mailbox (local
// part) and its display name (RFC 5957 DISPLAYFROM falls back to the address).
struct FirstAddress {
  std::string mailbox;
  std::string display;
};

FirstAddress first_address(std::string_view list) {
  std::size_t end = 0;
  bool quoted = false, angle = false;
  for (; end < list.size(); ++end) {
    char c = list[end];
    if (c == '"') quoted = !quoted;
    if (!quoted && c == '<') angle = true;
    if (!quoted && c == '>') angle = false;
    if (!quoted && !angle && c == ',') break;
  }
  std::string_view one = ascii::trim(list.substr(0, end));
  std::string_view addr = one;
  std::string_view name;
  if (auto lt = one.find('<'); lt != std::string_view::npos) {
    auto gt = one.find('>', lt);
    addr = one.substr(lt + 1, gt == std::string_view::npos ? std::string_view::npos : gt - lt - 1);
    name = ascii::trim(one.substr(0, lt));
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
  }
  FirstAddress out;
  out.mailbox = ascii::lower(addr.substr(0, addr.find('@')));
  out.display = ascii::lower(name.empty() ? addr : name);
  return out;
}

// One matching message: what SORT compares without the stored metadata.
// Small, so sorting moves little; `index` points into the loaded metadata.
struct Entry {
  std::uint32_t seq = 0;
  store::Uid uid = 0;
  std::int64_t arrival = 0;
  std::int64_t date = 0;
  std::uint64_t size = 0;
  std::uint32_t index = 0;
};

struct Entries {
  std::vector<Entry> entries;
  std::vector<store::MessageMeta> metas;  // by Entry::index; only when with_meta
};

// Loads what SORT and THREAD compare for the matching messages: dates and
// sizes from the message cache; subjects and addresses (with_meta) from the
// stored metadata. Messages expunged meanwhile are left out.
awaitable<Result<Entries>> load_entries(Context& ctx, const SearchResult& matches, bool with_meta) {
  Entries out;
  {
    auto loaded = co_await refresh_cache(ctx);
    if (!loaded) co_return loaded.error();
    const MessageCache& cache = **loaded;
    out.entries.reserve(matches.matches.size());
    for (const auto& [seq, uid] : matches.matches) {
      const CachedMessage* m = cache.find(uid);
      if (!m) continue;
      // RFC 5256 3: the sent date is the internal date when Date: is missing.
      out.entries.push_back(Entry{.seq = seq, .uid = uid, .arrival = m->internal_date, .date = m->sent_date,
                                  .size = m->size, .index = 0});
    }
  }
  if (!with_meta) co_return out;
  std::vector<Entry> kept;
  kept.reserve(out.entries.size());
  constexpr std::size_t kBatch = 1000;
  for (std::size_t start = 0; start < out.entries.size(); start += kBatch) {
    const std::size_t end = std::min(out.entries.size(), start + kBatch);
    std::vector<store::Uid> uids;
    for (std::size_t i = start; i < end; ++i) uids.push_back(out.entries[i].uid);
    auto metas = co_await ctx.account->read_meta(ctx.selected->id(), to_uid_set(uids));
    if (!metas) co_return metas.error();
    std::size_t i = start;
    for (auto& [uid, meta] : *metas) {
      while (i < end && out.entries[i].uid < uid) ++i;
      if (i == end) break;
      if (out.entries[i].uid != uid) continue;
      Entry e = out.entries[i];
      e.index = static_cast<std::uint32_t>(out.metas.size());
      out.metas.push_back(std::move(meta));
      kept.push_back(e);
    }
  }
  out.entries = std::move(kept);
  co_return out;
}

bool needs_meta(wire::SortKey key) {
  return key != wire::SortKey::kArrival && key != wire::SortKey::kDate && key != wire::SortKey::kSize;
}

// The string a metadata criterion compares, computed once per message (not
// once per comparison: base_subject() and address parsing allocate).
std::string sort_text(const store::MessageMeta& meta, wire::SortKey key) {
  switch (key) {
    case wire::SortKey::kSubject: return ascii::lower(mime::base_subject(meta.subject));
    case wire::SortKey::kFrom: return first_address(meta.from).mailbox;
    case wire::SortKey::kTo: return first_address(meta.to).mailbox;
    case wire::SortKey::kCc: return first_address(meta.cc).mailbox;
    case wire::SortKey::kDisplayFrom: return first_address(meta.from).display;
    case wire::SortKey::kDisplayTo: return first_address(meta.to).display;
    default: return {};
  }
}

template <class T>
int three_way(const T& x, const T& y) {
  return x < y ? -1 : (y < x ? 1 : 0);
}

}  // namespace

awaitable<Completion> cmd_sort(Context& ctx, wire::Command& command) {
  auto& sort = std::get<wire::Sort>(command.body);
  if (sort.charset != "UTF-8" && sort.charset != "US-ASCII")
    co_return no("Unsupported charset", "BADCHARSET (UTF-8 US-ASCII)");
  if (sort.result_options) co_return bad("ESORT return options are not supported");
  auto matches = co_await evaluate_search(ctx, sort.key);
  if (!matches) co_return from_error(matches.error(), "sort");
  const bool with_meta = std::any_of(sort.criteria.begin(), sort.criteria.end(),
                                     [](const wire::SortCriterion& c) { return needs_meta(c.key); });
  auto loaded = co_await load_entries(ctx, *matches, with_meta);
  if (!loaded) co_return from_error(loaded.error(), "sort");
  std::vector<Entry>& entries = loaded->entries;
  // texts[c][Entry::index]: the compared string of metadata criterion c.
  std::vector<std::vector<std::string>> texts(sort.criteria.size());
  for (std::size_t c = 0; c < sort.criteria.size(); ++c) {
    if (!needs_meta(sort.criteria[c].key)) continue;
    texts[c].reserve(loaded->metas.size());
    for (const auto& meta : loaded->metas) texts[c].push_back(sort_text(meta, sort.criteria[c].key));
  }
  auto compare = [&](const Entry& a, const Entry& b, std::size_t c) {
    switch (sort.criteria[c].key) {
      // Within one second of internal date the UID still tells the arrival order.
      case wire::SortKey::kArrival: return three_way(std::pair(a.arrival, a.uid), std::pair(b.arrival, b.uid));
      case wire::SortKey::kDate: return three_way(a.date, b.date);
      case wire::SortKey::kSize: return three_way(a.size, b.size);
      default: return three_way(texts[c][a.index], texts[c][b.index]);
    }
  };
  std::stable_sort(entries.begin(), entries.end(), [&](const Entry& a, const Entry& b) {
    for (std::size_t c = 0; c < sort.criteria.size(); ++c) {
      int r = compare(a, b, c);
      if (r != 0) return sort.criteria[c].reverse ? r > 0 : r < 0;
    }
    return a.seq < b.seq;  // RFC 5256 3: ties by sequence number
  });
  std::string& out = ctx.output();
  out.reserve(out.size() + 8 + entries.size() * 7);
  out += "* SORT";
  char buf[16];
  for (const auto& e : entries) {
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, sort.uid ? e.uid : e.seq);
    out += ' ';
    out.append(buf, end);
  }
  out += "\r\n";
  co_return ok("SORT completed");
}

awaitable<Completion> cmd_thread(Context& ctx, wire::Command& command) {
  auto& thread = std::get<wire::Thread>(command.body);
  if (thread.charset != "UTF-8" && thread.charset != "US-ASCII")
    co_return no("Unsupported charset", "BADCHARSET (UTF-8 US-ASCII)");
  auto matches = co_await evaluate_search(ctx, thread.key);
  if (!matches) co_return from_error(matches.error(), "thread");
  auto loaded = co_await load_entries(ctx, *matches, true);
  if (!loaded) co_return from_error(loaded.error(), "thread");
  std::vector<ThreadMessage> messages;
  messages.reserve(loaded->entries.size());
  for (const auto& e : loaded->entries) {
    store::MessageMeta& meta = loaded->metas[e.index];
    messages.push_back(ThreadMessage{.number = thread.uid ? e.uid : e.seq,
                                     .seq = e.seq,
                                     .date = e.date,
                                     .base_subject = ascii::lower(mime::base_subject(meta.subject)),
                                     .is_reply = is_reply_subject(meta.subject),
                                     .message_id = std::move(meta.message_id),
                                     .in_reply_to = std::move(meta.in_reply_to),
                                     .references = std::move(meta.references)});
  }
  std::string threads = thread.algorithm == wire::ThreadAlgorithm::kOrderedSubject
                            ? thread_ordered_subject(std::move(messages))
                            : thread_references(std::move(messages));
  ctx.send_untagged("THREAD" + std::string(threads.empty() ? "" : " ") + threads);
  co_return ok("THREAD completed");
}

}  // namespace taube::imap::server
