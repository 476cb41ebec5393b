#include <gtest/gtest.h>

#include "mailauth/canon.hpp"
#include "mailauth/records.hpp"

namespace taube::mailauth {
namespace {

std::string body_of(std::string_view body, Canon canon) {
  std::string out;
  canon_body(body, canon, [&](std::string_view piece) { out += piece; });
  return out;
}

// RFC 6376 3.4.5, the example message in both canonicalisations.
constexpr std::string_view kExample =
    "A: X\r\n"
    "B : Y\t\r\n"
    "\tZ  \r\n"
    "\r\n"
    " C \r\n"
    "D \t E\r\n"
    "\r\n"
    "\r\n";

TEST(DkimCanon, RelaxedMatchesRfc6376Example) {
  SplitMessage m = split_message(kExample);
  ASSERT_EQ(m.header.fields.size(), 2u);
  EXPECT_EQ(canon_header(m.header.fields[0].bytes(kExample), Canon::kRelaxed), "a:X\r\n");
  EXPECT_EQ(canon_header(m.header.fields[1].bytes(kExample), Canon::kRelaxed), "b:Y Z\r\n");
  EXPECT_EQ(body_of(m.body, Canon::kRelaxed), " C\r\nD E\r\n");
}

TEST(DkimCanon, SimpleMatchesRfc6376Example) {
  SplitMessage m = split_message(kExample);
  EXPECT_EQ(canon_header(m.header.fields[0].bytes(kExample), Canon::kSimple), "A: X\r\n");
  EXPECT_EQ(canon_header(m.header.fields[1].bytes(kExample), Canon::kSimple),
            "B : Y\t\r\n\tZ  \r\n");
  EXPECT_EQ(body_of(m.body, Canon::kSimple), " C \r\nD \t E\r\n");
}

TEST(DkimCanon, EmptyBodies) {
  EXPECT_EQ(body_of("", Canon::kSimple), "\r\n");
  EXPECT_EQ(body_of("", Canon::kRelaxed), "");
  EXPECT_EQ(body_of("\r\n\r\n", Canon::kRelaxed), "");
  EXPECT_EQ(body_of("x", Canon::kRelaxed), "x\r\n");  // a last line without CRLF gets one
}

TEST(TagList, ParsesAndRefusesDuplicates) {
  auto tags = parse_tag_list(" v=1;\r\n\ta = rsa-sha256 ; b=ab cd\r\n ef;");
  ASSERT_TRUE(tags);
  ASSERT_EQ(tags->size(), 3u);
  EXPECT_EQ(*find_tag(*tags, "a"), "rsa-sha256");
  EXPECT_EQ(*find_tag(*tags, "b"), "ab cd\r\n ef");
  EXPECT_FALSE(parse_tag_list("v=1; v=2"));
  EXPECT_FALSE(parse_tag_list("v=1; novalue"));
  EXPECT_FALSE(parse_tag_list("1v=1"));
}

TEST(DkimSignature, ParsesRequiredTagsAndDefaults) {
  std::string error;
  auto sig = parse_dkim_signature(
      "v=1; a=rsa-sha256; d=Example.COM; s=sel; h=From:To; bh=AAAA; b=AA\r\n AA", &error);
  ASSERT_TRUE(sig) << error;
  EXPECT_EQ(sig->domain, "example.com");
  EXPECT_EQ(sig->identity, "@example.com");
  EXPECT_EQ(sig->header_canon, Canon::kSimple);
  EXPECT_EQ(sig->headers, (std::vector<std::string>{"from", "to"}));
  EXPECT_EQ(sig->b_text, "AAAA");
}

TEST(DkimSignature, RefusesBrokenSignatures) {
  std::string error;
  EXPECT_FALSE(parse_dkim_signature("v=1; a=rsa-sha1; d=a.b; s=s; h=from; bh=AAAA; b=AAAA", &error));
  EXPECT_EQ(error, "unsupported algorithm rsa-sha1");
  EXPECT_FALSE(parse_dkim_signature("v=1; a=rsa-sha256; d=a.b; s=s; h=to; bh=AAAA; b=AAAA", &error));
  EXPECT_FALSE(parse_dkim_signature("v=1; a=rsa-sha256; d=a.b; s=s; h=from; bh=AAAA", &error));
  EXPECT_FALSE(parse_dkim_signature(
      "v=1; a=rsa-sha256; d=a.b; s=s; h=from; bh=AAAA; b=AAAA; i=x@evil.b", &error));
  EXPECT_TRUE(parse_dkim_signature(
      "v=1; a=rsa-sha256; d=a.b; s=s; h=from; bh=AAAA; b=AAAA; i=x@sub.a.b", &error));
  EXPECT_FALSE(parse_dkim_signature(
      "v=1; a=rsa-sha256; d=a.b; s=s; h=from; bh=AAAA; b=AAAA; t=20; x=10", &error));
}

TEST(DkimSignature, WithoutBValueKeepsEverythingElse) {
  EXPECT_EQ(without_b_value("v=1; bh=xyz; b=abc\r\n def; d=x"), "v=1; bh=xyz; b=; d=x");
  EXPECT_EQ(without_b_value("v=1; b = abc"), "v=1; b =");
}

TEST(DkimKey, ParsesRecord) {
  std::string error;
  auto key = parse_dkim_key("v=DKIM1; k=ed25519; t=y:s; p=AAAA", &error);
  ASSERT_TRUE(key) << error;
  EXPECT_EQ(key->key_type, "ed25519");
  EXPECT_TRUE(key->testing);
  EXPECT_TRUE(key->strict_identity);
  EXPECT_EQ(key->public_key.size(), 3u);
  auto revoked = parse_dkim_key("v=DKIM1; p=", &error);
  ASSERT_TRUE(revoked);
  EXPECT_TRUE(revoked->public_key.empty());
  EXPECT_FALSE(parse_dkim_key("k=rsa; v=DKIM1; p=AAAA", &error));  // v= must come first
  EXPECT_FALSE(parse_dkim_key("v=DKIM1; s=tlsrpt; p=AAAA", &error));
}

TEST(DmarcRecord, ParsesPolicyAndAlignment) {
  auto r = parse_dmarc_record("v=DMARC1; p=reject; sp=quarantine; adkim=s; pct=50");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->policy, DmarcPolicy::kReject);
  EXPECT_EQ(r->subdomain_policy, DmarcPolicy::kQuarantine);
  EXPECT_TRUE(r->strict_dkim);
  EXPECT_FALSE(r->strict_spf);
  EXPECT_EQ(r->percent, 50u);
  EXPECT_FALSE(parse_dmarc_record("p=reject; v=DMARC1"));
  EXPECT_FALSE(parse_dmarc_record("v=DMARC1; p=bogus"));
  auto rua_only = parse_dmarc_record("v=DMARC1; rua=mailto:d@example.com");
  ASSERT_TRUE(rua_only);
  EXPECT_EQ(rua_only->policy, DmarcPolicy::kNone);
}

}  // namespace
}  // namespace taube::mailauth
