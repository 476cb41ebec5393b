#include "auth/sasl/plain.hpp"

#include <gtest/gtest.h>

namespace taube::auth::sasl {
namespace {

using namespace std::string_literals;

// RFC 4616 section 4 examples.
TEST(SaslPlain, ParsesTheRfcExamples) {
  auto a = parse_plain("\0tim\0tanstaaftanstaaf"s);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->authzid, "");
  EXPECT_EQ(a->authcid, "tim");
  EXPECT_EQ(a->password, "tanstaaftanstaaf");
  auto b = parse_plain("Ursel\0Kurt\0xipj3plmq"s);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->authzid, "Ursel");
  EXPECT_EQ(b->authcid, "Kurt");
  EXPECT_EQ(b->password, "xipj3plmq");
}

TEST(SaslPlain, RejectsMalformedMessages) {
  EXPECT_FALSE(parse_plain(""));
  EXPECT_FALSE(parse_plain("tim tanstaaf"));
  EXPECT_FALSE(parse_plain("\0tim"s));
  EXPECT_FALSE(parse_plain("\0\0pw"s));          // empty authcid
  EXPECT_FALSE(parse_plain("\0tim\0"s));         // empty password
  EXPECT_FALSE(parse_plain("\0tim\0pw\0x"s));    // extra NUL
  EXPECT_FALSE(parse_plain("\0tim\0"s + std::string(256, 'p')));
  EXPECT_TRUE(parse_plain("\0tim\0"s + std::string(255, 'p')));
}

}  // namespace
}  // namespace taube::auth::sasl
