#include "imap/server/view.hpp"

#include <algorithm>

namespace taube::imap::server {

std::uint32_t SelectedView::seq_of(store::Uid uid) const {
  auto it = std::lower_bound(uids_.begin(), uids_.end(), uid);
  if (it == uids_.end() || *it != uid) return 0;
  return static_cast<std::uint32_t>(it - uids_.begin()) + 1;
}

void SelectedView::append(store::Uid uid, store::ModSeq modseq) {
  uids_.push_back(uid);
  modseqs_.push_back(modseq);
}

std::uint32_t SelectedView::remove(store::Uid uid) {
  std::uint32_t seq = seq_of(uid);
  if (seq == 0) return 0;
  uids_.erase(uids_.begin() + (seq - 1));
  modseqs_.erase(modseqs_.begin() + (seq - 1));
  return seq;
}

std::optional<std::vector<std::pair<std::uint32_t, store::Uid>>> SelectedView::resolve(
    const wire::SequenceSet& set, bool by_uid) const {
  std::vector<std::pair<std::uint32_t, store::Uid>> out;
  const std::uint32_t n = exists();
  if (by_uid) {
    store::Uid largest = last_uid();
    for (const auto& r : set.ranges) {
      store::Uid a = r.first == wire::kStar ? largest : r.first;
      store::Uid b = r.last == wire::kStar ? largest : r.last;
      if (a > b) std::swap(a, b);
      auto lo = std::lower_bound(uids_.begin(), uids_.end(), a);
      auto hi = std::upper_bound(uids_.begin(), uids_.end(), b);
      for (auto it = lo; it < hi; ++it) out.emplace_back(static_cast<std::uint32_t>(it - uids_.begin()) + 1, *it);
      // RFC 9051 6.4.8: "n:*" with n beyond the largest UID still names the largest.
      if (lo == hi && r.last == wire::kStar && n > 0 && r.first != wire::kStar && r.first > largest)
        out.emplace_back(n, largest);
    }
  } else {
    for (const auto& r : set.ranges) {
      // "*" in an empty mailbox names no message (as Dovecot answers "1:*" there).
      if (n == 0 && (r.first == wire::kStar || r.last == wire::kStar)) continue;
      std::uint32_t a = r.first == wire::kStar ? n : r.first;
      std::uint32_t b = r.last == wire::kStar ? n : r.last;
      if (a > b) std::swap(a, b);
      if (b > n || a == 0) return std::nullopt;
      for (std::uint32_t s = a; s <= b; ++s) out.emplace_back(s, uids_[s - 1]);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

store::UidSet to_uid_set(const std::vector<store::Uid>& sorted_uids) {
  store::UidSet set;
  for (store::Uid u : sorted_uids) {
    if (!set.empty() && set.back().last + 1 == u) {
      set.back().last = u;
    } else {
      set.push_back(store::UidRange{u, u});
    }
  }
  return set;
}

}  // namespace taube::imap::server
