#include "http/basic_auth.hpp"

#include <gtest/gtest.h>

namespace taube::http {
namespace {

TEST(HttpBasicAuth, ParsesRfc7617Example) {
  // RFC 7617 2: Aladdin / open sesame.
  auto c = parse_basic_authorization("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->user, "Aladdin");
  EXPECT_EQ(c->password, "open sesame");
}

TEST(HttpBasicAuth, SchemeIsCaseInsensitiveAndPasswordMayHoldColons) {
  auto c = parse_basic_authorization("  bAsIc   YUBleGFtcGxlLm9yZzpwOnc6  ");  // a@example.org:p:w:
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->user, "a@example.org");
  EXPECT_EQ(c->password, "p:w:");
  auto empty_pw = parse_basic_authorization("Basic dTo=");  // "u:"
  ASSERT_TRUE(empty_pw.has_value());
  EXPECT_EQ(empty_pw->user, "u");
  EXPECT_EQ(empty_pw->password, "");
}

TEST(HttpBasicAuth, RejectsOtherSchemesAndBadTokens) {
  EXPECT_FALSE(parse_basic_authorization("Bearer QWxhZGRpbjpvcGVuIHNlc2FtZQ=="));
  EXPECT_FALSE(parse_basic_authorization("Basic"));
  EXPECT_FALSE(parse_basic_authorization("Basic !!!"));
  EXPECT_FALSE(parse_basic_authorization("Basic QWxhZGRpbg=="));  // "Aladdin": no colon
  EXPECT_FALSE(parse_basic_authorization("Basic OnB3"));          // ":pw": empty user
  EXPECT_FALSE(parse_basic_authorization("BasicQWxhZGRpbjpvcGVuIHNlc2FtZQ=="));
  EXPECT_FALSE(parse_basic_authorization(""));
}

}  // namespace
}  // namespace taube::http
