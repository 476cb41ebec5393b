#include "imap/server/message_cache.hpp"

#include <algorithm>

#include "imap/server/support.hpp"

namespace taube::imap::server {

namespace {
std::int64_t unix_of(store::UnixTime t) { return t.time_since_epoch().count(); }
bool by_uid(const CachedMessage& m, store::Uid uid) { return m.uid < uid; }
}  // namespace

const CachedMessage* MessageCache::find(store::Uid uid) const {
  auto it = std::lower_bound(messages_.begin(), messages_.end(), uid, by_uid);
  return it != messages_.end() && it->uid == uid ? &*it : nullptr;
}

std::uint32_t MessageCache::intern(const store::Flags& flags) {
  std::string formatted = format_flags(flags);
  auto [it, added] = set_index_.try_emplace(formatted, static_cast<std::uint32_t>(sets_.size()));
  if (added) sets_.push_back(FlagSet{flags, std::move(formatted)});
  return it->second;
}

void MessageCache::apply(const std::vector<store::MessageRecord>& changed,
                         const std::vector<store::Uid>& expunged) {
  // The mod-seq seen is the highest of the records: an expunge at or below it
  // committed before that record did, so before the snapshot, and is in
  // `expunged`; one above it is asked for again next time (removal is idempotent).
  for (const auto& r : changed) {
    CachedMessage m;
    m.uid = r.uid;
    m.flag_set = intern(r.flags);
    m.modseq = r.modseq;
    m.internal_date = unix_of(r.internal_date);
    m.save_date = unix_of(r.save_date);
    m.sent_date = r.sent_date ? unix_of(*r.sent_date) : m.internal_date;
    m.size = r.size;
    modseq_ = std::max(modseq_, r.modseq);
    if (messages_.empty() || messages_.back().uid < r.uid) {
      messages_.push_back(m);
      continue;
    }
    auto it = std::lower_bound(messages_.begin(), messages_.end(), r.uid, by_uid);
    if (it != messages_.end() && it->uid == r.uid) {
      *it = m;
    } else {
      messages_.insert(it, m);
    }
  }
  if (!expunged.empty()) {
    std::vector<store::Uid> gone = expunged;
    std::sort(gone.begin(), gone.end());
    std::erase_if(messages_, [&](const CachedMessage& m) { return std::binary_search(gone.begin(), gone.end(), m.uid); });
  }
}

}  // namespace taube::imap::server
