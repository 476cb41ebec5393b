#include "store/content.hpp"

#include <gtest/gtest.h>

#include "store/types.hpp"

namespace taube::store {
namespace {

TEST(Content, Sha256MatchesKnownVector) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Content, CompressRoundTripsAndDetectsAFlippedByte) {
  std::string raw(10000, 'x');
  for (size_t i = 0; i < raw.size(); i += 7) raw[i] = char('a' + i % 26);
  auto frame = compress(raw);
  ASSERT_TRUE(frame);
  auto back = decompress(*frame, 1 << 20);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, raw);
  std::string bad = *frame;
  bad[bad.size() - 6] ^= 0x40;  // inside the data, before the 4-byte checksum
  auto broken = decompress(bad, 1 << 20);
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().code, ErrorCode::kInternal);
  EXPECT_EQ(decompress(*frame, 100).error().code, ErrorCode::kTooLarge);
}

TEST(Flags, AddRemoveKeepKeywordsSortedAndCaseInsensitive) {
  Flags f{kSeen, {"$Junk"}};
  f.add(Flags{kFlagged, {"$junk", "Work"}});
  EXPECT_EQ(f.system, kSeen | kFlagged);
  EXPECT_EQ(f.keywords, (std::vector<std::string>{"$Junk", "Work"}));
  f.remove(Flags{kSeen, {"WORK"}});
  EXPECT_EQ(f.system, kFlagged);
  EXPECT_EQ(f.keywords, std::vector<std::string>{"$Junk"});
}

TEST(Address, SplitsAtLastAtAndLowersDomain) {
  auto p = split_address("Some.One@Example.ORG");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->local, "Some.One");
  EXPECT_EQ(p->domain, "example.org");
  EXPECT_FALSE(split_address("@example.org"));
  EXPECT_TRUE(split_address("@example.org", true));
  EXPECT_FALSE(split_address("nobody"));
  EXPECT_FALSE(split_address("a b@example.org"));
}

TEST(MailboxName, ValidatesHierarchyAndUtf8) {
  EXPECT_EQ(normalize_mailbox_name("inBox"), "INBOX");
  EXPECT_EQ(normalize_mailbox_name("inBox/x"), "inBox/x");
  EXPECT_TRUE(is_valid_mailbox_name("Archiv/2024/Büro"));
  EXPECT_FALSE(is_valid_mailbox_name(""));
  EXPECT_FALSE(is_valid_mailbox_name("a//b"));
  EXPECT_FALSE(is_valid_mailbox_name("/a"));
  EXPECT_FALSE(is_valid_mailbox_name("a/"));
  EXPECT_FALSE(is_valid_mailbox_name("bad\xff"));
  EXPECT_FALSE(is_valid_mailbox_name("trunc\xc3"));
  EXPECT_FALSE(is_valid_mailbox_name("tab\there"));
}

TEST(UidSet, ContainsHandlesReversedRanges) {
  UidSet s{{5, 3}, {10, 10}};
  EXPECT_TRUE(contains(s, 4));
  EXPECT_TRUE(contains(s, 10));
  EXPECT_FALSE(contains(s, 6));
  EXPECT_TRUE(contains(all_uids(), kMaxUid));
}

}  // namespace
}  // namespace taube::store
