#include "smtp/wire/path.hpp"

#include <gtest/gtest.h>

namespace taube::smtp::wire {
namespace {

TEST(SmtpPath, StripsSourceRoutes) {
  // RFC 5321 4.1.2 / Appendix C: accepted, ignored.
  const PathResult r =
      parse_path("<@hosta.int,@jkl.org:userc@d.bar.org> SIZE=1", PathKind::kForward);
  ASSERT_EQ(r.error, PathError::kNone);
  EXPECT_TRUE(r.path.had_source_route);
  EXPECT_EQ(r.path.mailbox.address(), "userc@d.bar.org");
  EXPECT_EQ(r.consumed, 37u);
  EXPECT_EQ(parse_path("<@hosta.int,userc@d.bar.org>", PathKind::kForward).error,
            PathError::kSyntax);
  EXPECT_EQ(parse_path("<@hosta.int:>", PathKind::kForward).error, PathError::kSyntax);
}

TEST(SmtpPath, KeepsQuotedLocalPartsAndUnquotesOnRequest) {
  const PathResult r = parse_path(R"(<"john \"jd\" doe"@example.com>)", PathKind::kForward);
  ASSERT_EQ(r.error, PathError::kNone);
  EXPECT_TRUE(r.path.mailbox.quoted_local_part);
  EXPECT_EQ(r.path.mailbox.local_part, R"("john \"jd\" doe")");
  EXPECT_EQ(r.path.mailbox.unquoted_local_part(), R"(john "jd" doe)");
  EXPECT_EQ(parse_path("<\"unterminated@example.com>", PathKind::kForward).error,
            PathError::kSyntax);
  EXPECT_EQ(parse_path("<\"tab\there\"@example.com>", PathKind::kForward).error,
            PathError::kSyntax);
}

TEST(SmtpPath, RejectsMalformedDotStrings) {
  for (std::string_view bad :
       {"<.a@b.example>", "<a.@b.example>", "<a..b@b.example>", "<a b@b.example>", "<a@>",
        "<@b.example>", "<a@b.example.>", "<a@-b.example>", "<a@b-.example>", "<a@b..example>",
        "<a@b_c.example>"})
    EXPECT_EQ(parse_path(bad, PathKind::kForward).error, PathError::kSyntax) << bad;
  EXPECT_EQ(parse_path("<a.b+tag@sub-1.b.example>", PathKind::kForward).error, PathError::kNone);
}

TEST(SmtpPath, ValidatesAddressLiterals) {
  for (std::string_view good :
       {"[192.0.2.1]", "[0.0.0.0]", "[255.255.255.255]", "[IPv6:2001:db8::1]", "[IPv6:::1]",
        "[IPv6:1:2:3:4:5:6:7:8]", "[IPv6:::ffff:192.0.2.1]", "[IPv6:1:2:3:4:5:6:192.0.2.1]",
        "[ipv6:FE80::1]", "[x-tag:anything]"})
    EXPECT_TRUE(is_valid_address_literal(good)) << good;
  for (std::string_view bad :
       {"[256.0.0.1]", "[1.2.3]", "[1.2.3.4.5]", "[1.2.3.0004]", "[]", "192.0.2.1",
        "[IPv6:1:2:3:4:5:6:7:8:9]", "[IPv6:1::2::3]", "[IPv6:1:2:3:4:5:6:7::]", "[IPv6:12345::1]",
        "[IPv6:g::1]", "[IPv6:1:2:3:4:5:6:7:192.0.2.1]", "[x-tag:]", "[-:x]", "[tag:a]b]"})
    EXPECT_FALSE(is_valid_address_literal(bad)) << bad;
  const PathResult r = parse_path("<root@[IPv6:2001:db8::1]>", PathKind::kForward);
  ASSERT_EQ(r.error, PathError::kNone);
  EXPECT_TRUE(r.path.mailbox.address_literal);
  EXPECT_EQ(r.path.mailbox.domain, "[IPv6:2001:db8::1]");
}

TEST(SmtpPath, ValidatesDomainsAndUtf8) {
  EXPECT_TRUE(is_valid_domain("example.com", false));
  EXPECT_TRUE(is_valid_domain("a", false));
  EXPECT_TRUE(is_valid_domain("xn--bcher-kva.example", false));
  EXPECT_FALSE(
      is_valid_domain("b\xC3\xBC"
                      "cher.example",
                      false));
  EXPECT_TRUE(
      is_valid_domain("b\xC3\xBC"
                      "cher.example",
                      true));
  EXPECT_FALSE(is_valid_domain(std::string(64, 'a') + ".example", false));
  EXPECT_TRUE(is_valid_domain(std::string(63, 'a') + ".example", false));
  EXPECT_FALSE(is_valid_domain("", false));

  EXPECT_TRUE(is_valid_utf8("plain \xC3\xA4 \xE2\x82\xAC \xF0\x9F\x93\xA8"));
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong "/"
  EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));      // overlong
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xC3"));              // truncated
  EXPECT_FALSE(is_valid_utf8("\x80"));              // stray continuation
}

TEST(SmtpPath, ReportsWhereThePathEnds) {
  const PathResult r = parse_path("<a@b.example> BODY=8BITMIME", PathKind::kReverse);
  EXPECT_EQ(r.consumed, 13u);
  const PathResult bare = parse_path("a@b.example SIZE=1", PathKind::kReverse);
  EXPECT_FALSE(bare.path.had_angle_brackets);
  EXPECT_EQ(bare.consumed, 11u);
  EXPECT_EQ(parse_path("<>", PathKind::kReverse).consumed, 2u);
  EXPECT_TRUE(parse_path("<>", PathKind::kReverse).path.null);
  EXPECT_EQ(parse_path("<>", PathKind::kForward).error, PathError::kSyntax);
}

}  // namespace
}  // namespace taube::smtp::wire
