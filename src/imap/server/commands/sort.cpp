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

struct Entry {
  std::uint32_t seq = 0;
  store::Uid uid = 0;
  std::int64_t arrival = 0;
  std::int64_t date = 0;
  std::uint64_t size = 0;
  store::MessageMeta meta;  // only when with_meta
};

// Loads what SORT and THREAD compare for the matching messages: dates and
// sizes from the message cache; subjects and addresses (with_meta) from the
// stored metadata.
awaitable<Result<std::vector<Entry>>> load_entries(Context& ctx, const SearchResult& matches, bool with_meta) {
  std::vector<Entry> entries;
  {
    auto loaded = co_await refresh_cache(ctx);
    if (!loaded) co_return loaded.error();
    const MessageCache& cache = **loaded;
    entries.reserve(matches.matches.size());
    for (const auto& [seq, uid] : matches.matches) {
      const CachedMessage* m = cache.find(uid);
      if (!m) continue;
      Entry e;
      e.seq = seq;
      e.uid = uid;
      e.arrival = m->internal_date;
      e.date = m->sent_date;  // RFC 5256 3: the internal date when Date: is missing
      e.size = m->size;
      entries.push_back(std::move(e));
    }
  }
  if (!with_meta) co_return entries;
  std::vector<Entry> out;
  out.reserve(entries.size());
  constexpr std::size_t kBatch = 1000;
  for (std::size_t start = 0; start < entries.size(); start += kBatch) {
    const std::size_t end = std::min(entries.size(), start + kBatch);
    std::vector<store::Uid> uids;
    for (std::size_t i = start; i < end; ++i) uids.push_back(entries[i].uid);
    auto metas = co_await ctx.account->read_meta(ctx.selected->id(), to_uid_set(uids));
    if (!metas) co_return metas.error();
    std::size_t i = start;
    for (auto& [uid, meta] : *metas) {
      while (i < end && entries[i].uid < uid) ++i;
      if (i == end) break;
      if (entries[i].uid != uid) continue;
      entries[i].meta = std::move(meta);
      out.push_back(std::move(entries[i]));
    }
  }
  co_return out;
}

bool needs_meta(wire::SortKey key) {
  return key != wire::SortKey::kArrival && key != wire::SortKey::kDate && key != wire::SortKey::kSize;
}

int compare(const Entry& a, const Entry& b, wire::SortKey key) {
  auto cmp = [](const auto& x, const auto& y) { return x < y ? -1 : (y < x ? 1 : 0); };
  switch (key) {
    // Within one second of internal date the UID still tells the arrival order.
    case wire::SortKey::kArrival: return cmp(std::pair(a.arrival, a.uid), std::pair(b.arrival, b.uid));
    case wire::SortKey::kDate: return cmp(a.date, b.date);
    case wire::SortKey::kSize: return cmp(a.size, b.size);
    case wire::SortKey::kSubject:
      return cmp(ascii::lower(mime::base_subject(a.meta.subject)), ascii::lower(mime::base_subject(b.meta.subject)));
    case wire::SortKey::kFrom: return cmp(first_address(a.meta.from).mailbox, first_address(b.meta.from).mailbox);
    case wire::SortKey::kTo: return cmp(first_address(a.meta.to).mailbox, first_address(b.meta.to).mailbox);
    case wire::SortKey::kCc: return cmp(first_address(a.meta.cc).mailbox, first_address(b.meta.cc).mailbox);
    case wire::SortKey::kDisplayFrom:
      return cmp(first_address(a.meta.from).display, first_address(b.meta.from).display);
    case wire::SortKey::kDisplayTo: return cmp(first_address(a.meta.to).display, first_address(b.meta.to).display);
  }
  return 0;
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
  auto entries = co_await load_entries(ctx, *matches, with_meta);
  if (!entries) co_return from_error(entries.error(), "sort");
  std::stable_sort(entries->begin(), entries->end(), [&](const Entry& a, const Entry& b) {
    for (const auto& c : sort.criteria) {
      int r = compare(a, b, c.key);
      if (r != 0) return c.reverse ? r > 0 : r < 0;
    }
    return a.seq < b.seq;  // RFC 5256 3: ties by sequence number
  });
  std::string& out = ctx.output();
  out.reserve(out.size() + 8 + entries->size() * 7);
  out += "* SORT";
  char buf[16];
  for (const auto& e : *entries) {
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
  auto entries = co_await load_entries(ctx, *matches, true);
  if (!entries) co_return from_error(entries.error(), "thread");
  std::vector<ThreadMessage> messages;
  for (const auto& e : *entries) {
    messages.push_back(ThreadMessage{.number = thread.uid ? e.uid : e.seq,
                                     .seq = e.seq,
                                     .date = e.date,
                                     .base_subject = ascii::lower(mime::base_subject(e.meta.subject)),
                                     .is_reply = is_reply_subject(e.meta.subject),
                                     .message_id = e.meta.message_id,
                                     .in_reply_to = e.meta.in_reply_to,
                                     .references = e.meta.references});
  }
  std::string threads = thread.algorithm == wire::ThreadAlgorithm::kOrderedSubject
                            ? thread_ordered_subject(std::move(messages))
                            : thread_references(std::move(messages));
  ctx.send_untagged("THREAD" + std::string(threads.empty() ? "" : " ") + threads);
  co_return ok("THREAD completed");
}

}  // namespace taube::imap::server
