#include "imap/wire/sequence_set.hpp"

#include <gtest/gtest.h>

namespace taube::imap::wire {
namespace {

TEST(ImapSequenceSet, ParsesRangesStarAndSaved) {
  const Limits limits;
  auto s = parse_sequence_set("1:3,5,*:4,7:*", limits);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->ranges, (std::vector<SequenceRange>{{1, 3}, {5, 5}, {kStar, 4}, {7, kStar}}));
  EXPECT_FALSE(s->saved);
  EXPECT_TRUE(parse_sequence_set("$", limits)->saved);
  EXPECT_FALSE(parse_sequence_set("$", limits, false));
  EXPECT_FALSE(parse_sequence_set("1:*", limits, true, false));
  EXPECT_EQ(parse_sequence_set("4294967295", limits)->ranges[0].first, 4294967295u);
}

TEST(ImapSequenceSet, RejectsZeroAndGarbage) {
  const Limits limits;
  for (const char* bad : {"0", "1:0", "0:*", "", ",", "1,", ",1", "1::2", "1:2:3", "a", "-1", "+1",
                          "4294967296", "01", "1,$", "$$", "1 2", "*:", ":5"})
    EXPECT_FALSE(parse_sequence_set(bad, limits)) << bad;
}

TEST(ImapSequenceSet, BoundsRangeCount) {
  Limits limits;
  limits.max_sequence_ranges = 3;
  EXPECT_TRUE(parse_sequence_set("1,2,3", limits));
  EXPECT_FALSE(parse_sequence_set("1,2,3,4", limits));
}

TEST(ImapSequenceSet, ContainsResolvesStarAndReversedRanges) {
  const auto s = *parse_sequence_set("*:8,2", Limits{});
  EXPECT_TRUE(s.contains(9, 10));
  EXPECT_TRUE(s.contains(10, 10));
  EXPECT_FALSE(s.contains(7, 10));
  EXPECT_TRUE(s.contains(2, 10));
  EXPECT_FALSE(s.contains(9, 5));  // "*" = 5: the range is 5:8
  EXPECT_TRUE(s.contains(6, 5));
}

TEST(ImapSequenceSet, FormatsCompactly) {
  EXPECT_EQ(format_sequence_set(std::vector<std::uint32_t>{9, 1, 2, 3, 5, 7, 8, 3}), "1:3,5,7:9");
  EXPECT_EQ(format_sequence_set(std::vector<std::uint32_t>{}), "");
  EXPECT_EQ(format_sequence_set(std::vector<std::uint32_t>{4294967295u, 4294967294u}), "4294967294:4294967295");
  EXPECT_EQ(format_sequence_set(*parse_sequence_set("1:3,*:4,7", Limits{})), "1:3,*:4,7");
  EXPECT_EQ(format_sequence_set(*parse_sequence_set("$", Limits{})), "$");
}

TEST(ImapSequenceSet, ParsesNumbers) {
  EXPECT_EQ(parse_number("0"), 0u);
  EXPECT_FALSE(parse_nz_number("0"));
  EXPECT_EQ(parse_mod_sequence("9223372036854775807", false), 9223372036854775807u);
  EXPECT_FALSE(parse_mod_sequence("9223372036854775808", false));
  EXPECT_FALSE(parse_mod_sequence("0", false));
  EXPECT_EQ(parse_mod_sequence("0", true), 0u);
}

}  // namespace
}  // namespace taube::imap::wire
