#include "imap/server/view.hpp"

#include <gtest/gtest.h>

namespace taube::imap::server {
namespace {

SelectedView make_view(std::vector<store::Uid> uids) {
  store::Mailbox m;
  m.name = "INBOX";
  SelectedView view(m, false);
  for (auto u : uids) view.append(u, 1);
  return view;
}

wire::SequenceSet set(std::vector<wire::SequenceRange> ranges) { return wire::SequenceSet{std::move(ranges), false}; }

TEST(SelectedView, MapsSequenceNumbersToUids) {
  auto view = make_view({3, 7, 9, 20});
  EXPECT_EQ(view.exists(), 4u);
  EXPECT_EQ(view.uid_at(2), 7u);
  EXPECT_EQ(view.seq_of(9), 3u);
  EXPECT_EQ(view.seq_of(8), 0u);
}

TEST(SelectedView, RemovingRenumbersLaterMessages) {
  auto view = make_view({3, 7, 9, 20});
  EXPECT_EQ(view.remove(7), 2u);
  EXPECT_EQ(view.seq_of(9), 2u);
  EXPECT_EQ(view.remove(7), 0u);
  EXPECT_EQ(view.exists(), 3u);
}

TEST(SelectedView, ResolvesSequenceSetsWithStar) {
  auto view = make_view({3, 7, 9, 20});
  auto r = view.resolve(set({{2, wire::kStar}}), false);
  ASSERT_TRUE(r);
  std::vector<std::pair<std::uint32_t, store::Uid>> want = {{2, 7}, {3, 9}, {4, 20}};
  EXPECT_EQ(*r, want);
  EXPECT_FALSE(view.resolve(set({{5, 5}}), false)) << "beyond EXISTS is an error";
}

TEST(SelectedView, ResolvesUidSetsToExistingUidsOnly) {
  auto view = make_view({3, 7, 9, 20});
  auto r = view.resolve(set({{4, 10}}), true);
  std::vector<std::pair<std::uint32_t, store::Uid>> want = {{2, 7}, {3, 9}};
  EXPECT_EQ(*r, want);
  // RFC 9051 6.4.8: "21:*" names the largest UID even though 21 > 20.
  r = view.resolve(set({{21, wire::kStar}}), true);
  want = {{4, 20}};
  EXPECT_EQ(*r, want);
  EXPECT_EQ(view.resolve(set({{100, 200}}), true)->size(), 0u);
}

TEST(SelectedView, BuildsCompactUidRanges) {
  store::UidSet s = to_uid_set({1, 2, 3, 7, 9, 10});
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].first, 1u);
  EXPECT_EQ(s[0].last, 3u);
  EXPECT_EQ(s[2].first, 9u);
  EXPECT_EQ(s[2].last, 10u);
}

}  // namespace
}  // namespace taube::imap::server
