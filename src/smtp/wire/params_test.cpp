#include "smtp/wire/params.hpp"

#include <gtest/gtest.h>

namespace taube::smtp::wire {
namespace {

TEST(SmtpParams, DecodesAndEncodesXtext) {
  // RFC 3461 4 (and the RFC 4954 5 example).
  EXPECT_EQ(decode_xtext("e+3Dmc2@example.com"), "e=mc2@example.com");
  EXPECT_EQ(decode_xtext("a+2Bb"), "a+b");
  EXPECT_EQ(decode_xtext(""), "");
  EXPECT_FALSE(decode_xtext("a+3d").has_value());  // hexchar is upper case
  EXPECT_FALSE(decode_xtext("a+3").has_value());
  EXPECT_FALSE(decode_xtext("a+").has_value());
  EXPECT_FALSE(decode_xtext("a=b").has_value());
  EXPECT_FALSE(decode_xtext("a b").has_value());
  const std::string raw = "x=y+z \x01\xFF";
  EXPECT_EQ(encode_xtext(raw), "x+3Dy+2Bz+20+01+FF");
  EXPECT_EQ(decode_xtext(encode_xtext(raw)), raw);
}

TEST(SmtpParams, ParsesAllMailParameters) {
  const auto r =
      parse_mail_params(" SIZE=0 body=binarymime SMTPUTF8  RET=FULL ENVID=id+2B1 AUTH=<>");
  ASSERT_TRUE(r.params.has_value()) << format_reply(r.error);
  EXPECT_EQ(r.params->size, 0u);
  EXPECT_EQ(r.params->body, Body::kBinaryMime);
  EXPECT_TRUE(r.params->smtputf8);
  EXPECT_EQ(r.params->ret, Ret::kFull);
  EXPECT_EQ(r.params->envid, "id+1");
  EXPECT_EQ(r.params->auth, "<>");
  EXPECT_EQ(parse_mail_params("").params, MailParams{});
  EXPECT_EQ(parse_mail_params(" SIZE=18446744073709551615").params->size, 18446744073709551615u);
}

TEST(SmtpParams, RejectsMalformedMailParameters) {
  auto reply = [](std::string_view text) {
    const auto r = parse_mail_params(text);
    return r.params ? std::string("ACCEPTED") : format_reply(r.error);
  };
  EXPECT_EQ(reply(" SIZE"), "501 5.5.4 Syntax error in parameter SIZE\r\n");
  EXPECT_EQ(reply(" SIZE="), "501 5.5.4 Syntax error in parameters\r\n");
  EXPECT_EQ(reply(" SIZE=123456789012345678901"), "501 5.5.4 Syntax error in parameter SIZE\r\n");
  EXPECT_EQ(reply(" SMTPUTF8=yes"), "501 5.5.4 Syntax error in parameter SMTPUTF8\r\n");
  EXPECT_EQ(reply(" RET=ALL"), "501 5.5.4 Syntax error in parameter RET\r\n");
  EXPECT_EQ(reply(" ENVID=" + std::string(101, 'e')),
            "501 5.5.4 Syntax error in parameter ENVID\r\n");
  EXPECT_EQ(reply(" ENVID=" + std::string(100, 'e')), "ACCEPTED");
  EXPECT_EQ(reply(" AUTH=a+zz"), "501 5.5.4 Syntax error in parameter AUTH\r\n");
  EXPECT_EQ(reply(" BODY=8BITMIME BODY=7BIT"), "501 5.5.4 Duplicate parameter: BODY\r\n");
  EXPECT_EQ(reply(" -X=1"), "501 5.5.4 Syntax error in parameters\r\n");
  EXPECT_EQ(reply(" X-EXT=a=b"), "501 5.5.4 Syntax error in parameters\r\n");
  EXPECT_EQ(reply(" XVERP"), "555 5.5.4 Unsupported parameter: XVERP\r\n");
}

TEST(SmtpParams, ParsesRcptParametersFromRfc3461) {
  const auto r = parse_rcpt_params(" NOTIFY=FAILURE,DELAY ORCPT=rfc822;Carol+40Ivory.EDU");
  ASSERT_TRUE(r.params.has_value()) << format_reply(r.error);
  EXPECT_EQ(r.params->notify, (Notify{.failure = true, .delay = true}));
  EXPECT_EQ(r.params->orcpt, (OriginalRecipient{"rfc822", "Carol@Ivory.EDU"}));
  for (std::string_view bad : {" NOTIFY=", " NOTIFY=NEVER,FAILURE", " NOTIFY=SUCCESS,SUCCESS",
                               " NOTIFY=SOMETIMES", " ORCPT=rfc822", " ORCPT=;a@b",
                               " ORCPT=rfc822;", " ORCPT=rf c;a", " NOTIFY=NEVER NOTIFY=NEVER"})
    EXPECT_FALSE(parse_rcpt_params(bad).params.has_value()) << bad;
  EXPECT_EQ(parse_rcpt_params(" ORCPT=rfc822;" + std::string(493, 'o')).params.has_value(), true);
  EXPECT_EQ(parse_rcpt_params(" ORCPT=rfc822;" + std::string(494, 'o')).params.has_value(), false);
}

}  // namespace
}  // namespace taube::smtp::wire
