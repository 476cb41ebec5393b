#include "smtp/wire/command.hpp"

#include <gtest/gtest.h>

#include "smtp/wire/wire_test_support.hpp"

namespace taube::smtp::wire {
namespace {

Command parse_ok(std::string_view line, const ParseContext& ctx = {}) {
  ParsedCommand p = parse_command(line, ctx);
  if (auto* inv = std::get_if<Invalid>(&p)) {
    ADD_FAILURE() << line << " -> " << format_reply(inv->reply);
    return {};
  }
  return std::get<Command>(std::move(p));
}

// The reply for a rejected line, as sent on the wire without CRLF.
std::string reject(std::string_view line, const ParseContext& ctx = {}) {
  ParsedCommand p = parse_command(line, ctx);
  if (std::holds_alternative<Command>(p)) return "ACCEPTED";
  std::string s = format_reply(std::get<Invalid>(p).reply);
  return s.substr(0, s.size() - 2);
}

TEST(SmtpCommand, ParsesVerbsCaseInsensitively) {
  EXPECT_EQ(parse_ok("quit").verb, Verb::kQuit);
  EXPECT_EQ(parse_ok("Rset").verb, Verb::kRset);
  EXPECT_EQ(parse_ok("StartTLS").verb, Verb::kStarttls);
  EXPECT_EQ(parse_ok("data").verb, Verb::kData);
  EXPECT_EQ(parse_ok("NOOP").verb, Verb::kNoop);
  EXPECT_EQ(parse_ok("noop anything at all").argument, "anything at all");
  EXPECT_EQ(parse_ok("HELP mail").argument, "mail");
  EXPECT_EQ(parse_ok("EXPN Example-People").argument, "Example-People");
}

TEST(SmtpCommand, RejectsUnknownEmptyAndNonAsciiVerbs) {
  EXPECT_EQ(reject("FOO bar"), "500 5.5.1 Unknown command");
  EXPECT_EQ(reject("MAILFROM:<a@b.c>"), "500 5.5.1 Unknown command");
  EXPECT_EQ(reject(""), "500 5.5.2 Empty command");
  EXPECT_EQ(reject("   "), "500 5.5.2 Empty command");
  EXPECT_EQ(reject("D\xC3\x84TA"), "500 5.5.2 Non-ASCII octets in command");
  EXPECT_EQ(reject("NOOP \x01"), "500 5.5.2 Control characters in command");
}

TEST(SmtpCommand, ParsesHelloVariants) {
  Command ehlo = parse_ok("EHLO bar.com");  // RFC 5321 D.1
  EXPECT_EQ(ehlo.verb, Verb::kEhlo);
  EXPECT_EQ(ehlo.argument, "bar.com");
  EXPECT_TRUE(ehlo.argument_is_valid_domain);
  EXPECT_EQ(parse_ok("LHLO foo.edu").verb, Verb::kLhlo);  // RFC 2033 4.1
  EXPECT_TRUE(parse_ok("EHLO [192.0.2.1]").argument_is_valid_domain);
  EXPECT_TRUE(parse_ok("EHLO [IPv6:2001:db8::1]").argument_is_valid_domain);
  // Accepted with the flag down, for the session's HELO policy.
  EXPECT_FALSE(parse_ok("HELO -bad-").argument_is_valid_domain);
  EXPECT_FALSE(parse_ok("HELO my host").argument_is_valid_domain);
  EXPECT_EQ(reject("EHLO"), "501 5.5.4 Syntax: EHLO hostname");
  EXPECT_EQ(reject("HELO "), "501 5.5.4 Syntax: HELO hostname");
  EXPECT_EQ(reject("LHLO"), "501 5.5.4 Syntax: LHLO hostname");
  EXPECT_EQ(reject("EHLO h\xC3\xA4st"), "501 5.5.4 Non-ASCII octets in hostname");
}

TEST(SmtpCommand, ParsesMailFromAsInTheRfcs) {
  Command d1 = parse_ok("MAIL FROM:<Smith@bar.com>");  // RFC 5321 D.1
  EXPECT_EQ(d1.verb, Verb::kMail);
  EXPECT_EQ(d1.path.mailbox.local_part, "Smith");
  EXPECT_EQ(d1.path.mailbox.domain, "bar.com");
  EXPECT_FALSE(d1.path.null);

  Command size = parse_ok("MAIL FROM:<ned@thor.innosoft.com> SIZE=500000");  // RFC 1870
  EXPECT_EQ(size.mail_params.size, 500000u);

  Command body = parse_ok("MAIL FROM:<ned@ymir.claremont.edu> BODY=8BITMIME");  // RFC 6152
  EXPECT_EQ(body.mail_params.body, Body::k8BitMime);
  EXPECT_EQ(parse_ok("MAIL FROM:<Sam@Random.com> BODY=BINARYMIME").mail_params.body,
            Body::kBinaryMime);  // RFC 3030

  Command dsn = parse_ok("MAIL FROM:<Alice@Example.ORG> RET=HDRS ENVID=QQ314159");  // RFC 3461
  EXPECT_EQ(dsn.mail_params.ret, Ret::kHdrs);
  EXPECT_EQ(dsn.mail_params.envid, "QQ314159");

  Command auth = parse_ok("MAIL FROM:<e=mc2@example.com> AUTH=e+3Dmc2@example.com");  // RFC 4954
  EXPECT_EQ(auth.path.mailbox.local_part, "e=mc2");
  EXPECT_EQ(auth.mail_params.auth, "e=mc2@example.com");
  EXPECT_EQ(parse_ok("MAIL FROM:<a@b.example> AUTH=<>").mail_params.auth, "<>");

  Command null = parse_ok("MAIL FROM:<> SIZE=1 BODY=7BIT");
  EXPECT_TRUE(null.path.null);
  EXPECT_EQ(null.mail_params.size, 1u);
  EXPECT_EQ(null.mail_params.body, Body::k7Bit);
}

TEST(SmtpCommand, ParsesRcptToAsInTheRfcs) {
  Command r = parse_ok("RCPT TO:<Bob@Example.COM> NOTIFY=SUCCESS ORCPT=rfc822;Bob@Example.COM");
  EXPECT_EQ(r.path.mailbox.address(), "Bob@Example.COM");
  ASSERT_TRUE(r.rcpt_params.notify.has_value());
  EXPECT_TRUE(r.rcpt_params.notify->success);
  EXPECT_FALSE(r.rcpt_params.notify->failure);
  ASSERT_TRUE(r.rcpt_params.orcpt.has_value());
  EXPECT_EQ(r.rcpt_params.orcpt->addr_type, "rfc822");
  EXPECT_EQ(r.rcpt_params.orcpt->address, "Bob@Example.COM");

  Command pm = parse_ok("RCPT TO:<Postmaster>");  // RFC 5321 4.1.1.3
  EXPECT_TRUE(pm.path.postmaster_only);
  EXPECT_EQ(pm.path.mailbox.domain, "");
  EXPECT_EQ(reject("RCPT TO:<>"), "501 5.1.3 Bad recipient address syntax");
  EXPECT_EQ(reject("MAIL FROM:<Postmaster>"), "501 5.1.7 Bad sender address syntax");
}

TEST(SmtpCommand, ToleratesCommonClientDeviationsAndSaysSo) {
  Command sp = parse_ok("mail from: <a@b.example>");
  EXPECT_TRUE(sp.tolerated.space_after_colon);
  EXPECT_EQ(sp.path.mailbox.address(), "a@b.example");
  Command bare = parse_ok("RCPT TO:a@b.example NOTIFY=NEVER");
  EXPECT_TRUE(bare.tolerated.missing_brackets);
  EXPECT_TRUE(bare.rcpt_params.notify->never);
  Command trailing = parse_ok("RCPT TO:<a@b.example>  ");
  EXPECT_TRUE(trailing.tolerated.trailing_space);
  EXPECT_FALSE(parse_ok("RCPT TO:<a@b.example>").tolerated.trailing_space);
  EXPECT_FALSE(parse_ok("RCPT TO:<a@b.example>").tolerated.space_after_colon);
  // Not tolerated: a space before the colon, a missing colon, garbage after ">".
  EXPECT_EQ(reject("MAIL FROM :<a@b.example>"), "501 5.5.4 Syntax: MAIL FROM:<address>");
  EXPECT_EQ(reject("MAIL <a@b.example>"), "501 5.5.4 Syntax: MAIL FROM:<address>");
  EXPECT_EQ(reject("MAIL"), "501 5.5.4 Syntax: MAIL FROM:<address>");
  EXPECT_EQ(reject("MAIL FROM:"), "501 5.5.4 Syntax: MAIL FROM:<address>");
  EXPECT_EQ(reject("RCPT TO:<a@b.example>x"), "501 5.5.4 Syntax: RCPT TO:<address>");
  EXPECT_EQ(reject("RCPT TO:<a@b.example"), "501 5.1.3 Bad recipient address syntax");
}

TEST(SmtpCommand, RequiresSmtputf8ForUtf8Addresses) {
  // RFC 6531 3.5: 553 with X.6.7.
  EXPECT_EQ(reject("MAIL FROM:<j\xC3\xBCrgen@example.de>"),
            "553 5.6.7 Non-ASCII address requires SMTPUTF8");
  Command m = parse_ok(
      "MAIL FROM:<j\xC3\xBCrgen@b\xC3\xBC"
      "cher.example> SMTPUTF8");
  EXPECT_TRUE(m.path.mailbox.has_utf8);
  EXPECT_TRUE(m.mail_params.smtputf8);
  EXPECT_EQ(reject("RCPT TO:<\xE7\x94\xA8\xE6\x88\xB7@example.com>"),
            "553 5.6.7 Non-ASCII address requires SMTPUTF8");
  EXPECT_TRUE(
      parse_ok("RCPT TO:<\xE7\x94\xA8\xE6\x88\xB7@example.com>", {.smtputf8_transaction = true})
          .path.mailbox.has_utf8);
  EXPECT_EQ(reject("MAIL FROM:<j\xC3(@example.de> SMTPUTF8"),
            "553 5.6.7 Malformed UTF-8 in address");
  EXPECT_EQ(reject("RCPT TO:<a\xFF@example.de>", {.smtputf8_transaction = true}),
            "553 5.6.7 Malformed UTF-8 in address");
  EXPECT_FALSE(parse_ok("RCPT TO:<a@example.de>").path.mailbox.has_utf8);
}

TEST(SmtpCommand, ReportsPathLengthLimits) {
  const std::string local64(64, 'l');
  EXPECT_EQ(parse_ok("MAIL FROM:<" + local64 + "@example.com>").path.mailbox.local_part, local64);
  EXPECT_EQ(reject("MAIL FROM:<" + local64 + "l@example.com>"), "501 5.1.7 Path too long");
  std::string domain;
  while (domain.size() < 250) domain += std::string(49, 'd') + ".";
  domain += "comxx";  // 255 octets
  ASSERT_EQ(domain.size(), 255u);
  // 1 + 1 + 1 + 255 + 1 = 259 > 256: the path, not the domain, is too long.
  EXPECT_EQ(reject("RCPT TO:<a@" + domain + ">"), "501 5.1.3 Path too long");
  EXPECT_EQ(reject("RCPT TO:<a@" + domain + "x>"), "501 5.1.3 Path too long");
  const std::string fits = domain.substr(0, 252);  // <a@ + 252 + > = 256
  ASSERT_NE(fits.back(), '.');
  EXPECT_EQ(parse_ok("RCPT TO:<a@" + fits + ">").path.mailbox.domain, fits);
  EXPECT_EQ(reject("RCPT TO:<a@" + fits + "d>"), "501 5.1.3 Path too long");
}

TEST(SmtpCommand, RejectsBadParametersWithSpecificReplies) {
  EXPECT_EQ(reject("MAIL FROM:<a@b.example> FOO=1"), "555 5.5.4 Unsupported parameter: FOO");
  EXPECT_EQ(reject("RCPT TO:<a@b.example> SIZE=1"), "555 5.5.4 Unsupported parameter: SIZE");
  EXPECT_EQ(reject("MAIL FROM:<a@b.example> SIZE=1 SIZE=2"), "501 5.5.4 Duplicate parameter: SIZE");
  EXPECT_EQ(reject("MAIL FROM:<a@b.example> SIZE=1k"), "501 5.5.4 Syntax error in parameter SIZE");
  EXPECT_EQ(reject("MAIL FROM:<a@b.example> SIZE=18446744073709551616"),
            "501 5.5.4 Syntax error in parameter SIZE");
  EXPECT_EQ(reject("MAIL FROM:<a@b.example> BODY=9BIT"), "501 5.5.4 Unsupported BODY type");
  EXPECT_EQ(reject("MAIL FROM:<a@b.example> =x"), "501 5.5.4 Syntax error in parameters");
  EXPECT_EQ(reject("MAIL FROM:<a@b.example> SIZE=\xC3\xA4"),
            "501 5.5.4 Non-ASCII octets in parameters");
  EXPECT_EQ(reject("RCPT TO:<a@b.example> NOTIFY=NEVER,SUCCESS"),
            "501 5.5.4 Syntax error in parameter NOTIFY");
}

TEST(SmtpCommand, ParsesBdatAsInRfc3030) {
  Command c = parse_ok("BDAT 100000");
  EXPECT_EQ(c.bdat_size, 100000u);
  EXPECT_FALSE(c.bdat_last);
  Command last = parse_ok("BDAT 324 LAST");
  EXPECT_EQ(last.bdat_size, 324u);
  EXPECT_TRUE(last.bdat_last);
  EXPECT_TRUE(parse_ok("bdat 0 last").bdat_last);
  EXPECT_EQ(parse_ok("BDAT 18446744073709551615").bdat_size, 18446744073709551615u);
  for (std::string_view bad : {"BDAT", "BDAT x", "BDAT -1", "BDAT 1 FIRST", "BDAT 1 LAST x",
                               "BDAT 18446744073709551616", "BDAT  1"})
    EXPECT_EQ(reject(bad), "501 5.5.4 Syntax: BDAT size [LAST]") << bad;
}

TEST(SmtpCommand, SplitsAuthIntoMechanismAndInitialResponse) {
  Command c = parse_ok("AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=");  // RFC 4954 example
  EXPECT_EQ(c.auth_mechanism, "PLAIN");
  EXPECT_EQ(c.auth_initial_response, "dGVzdAB0ZXN0ADEyMzQ=");
  Command lower = parse_ok("auth login");
  EXPECT_EQ(lower.auth_mechanism, "LOGIN");
  EXPECT_FALSE(lower.auth_initial_response.has_value());
  EXPECT_EQ(parse_ok("AUTH SCRAM-SHA-256 =").auth_initial_response, "=");
  for (std::string_view bad :
       {"AUTH", "AUTH PLAIN a b", "AUTH PL@IN", "AUTH PLAIN a!b", "AUTH ABCDEFGHIJKLMNOPQRSTU"})
    EXPECT_EQ(reject(bad), "501 5.5.4 Syntax: AUTH mechanism [initial-response]") << bad;
}

TEST(SmtpCommand, RejectsArgumentsToArgumentlessVerbs) {
  EXPECT_EQ(reject("DATA now"), "501 5.5.4 Syntax: DATA");
  EXPECT_EQ(reject("QUIT please"), "501 5.5.4 Syntax: QUIT");
  EXPECT_EQ(reject("RSET x"), "501 5.5.4 Syntax: RSET");
  EXPECT_EQ(reject("STARTTLS x"), "501 5.5.4 Syntax: STARTTLS");
  EXPECT_TRUE(parse_ok("DATA ").tolerated.trailing_space);
}

TEST(SmtpCommand, ParsesVrfyWithOptionalSmtputf8) {
  EXPECT_EQ(parse_ok("VRFY Crispin").argument, "Crispin");  // RFC 5321 D.4
  EXPECT_EQ(reject("VRFY"), "501 5.5.4 Syntax: VRFY address");
  EXPECT_EQ(reject("EXPN"), "501 5.5.4 Syntax: EXPN address");
  Command u = parse_ok("VRFY j\xC3\xBCrgen SMTPUTF8");
  EXPECT_TRUE(u.smtputf8);
  EXPECT_EQ(u.argument, "j\xC3\xBCrgen");
  EXPECT_EQ(reject("VRFY j\xC3\xBCrgen"), "553 5.6.7 Non-ASCII argument requires SMTPUTF8");
  EXPECT_EQ(reject("NOOP \xC3\xBC"), "500 5.5.2 Non-ASCII octets in command");
}

// Every table line above, pipelined through the receiver and cut at every
// offset, gives the same commands and replies as parse_command on the line.
TEST(SmtpCommand, TableCasesSurviveTheReceiverAtEverySplit) {
  const std::vector<std::string> lines = {
      "EHLO bar.com",
      "LHLO foo.edu",
      "HELO -bad-",
      "EHLO",
      "MAIL FROM:<Smith@bar.com>",
      "MAIL FROM:<ned@thor.innosoft.com> SIZE=500000",
      "MAIL FROM:<ned@ymir.claremont.edu> BODY=8BITMIME",
      "MAIL FROM:<Alice@Example.ORG> RET=HDRS ENVID=QQ314159",
      "MAIL FROM:<e=mc2@example.com> AUTH=e+3Dmc2@example.com",
      "MAIL FROM:<>",
      "RCPT TO:<Bob@Example.COM> NOTIFY=SUCCESS ORCPT=rfc822;Bob@Example.COM",
      "RCPT TO:<Postmaster>",
      "RCPT TO:<@hosta.int,@jkl.org:userc@d.bar.org>",
      "mail from: <a@b.example>",
      "MAIL FROM :<a@b.example>",
      "MAIL FROM:<j\xC3\xBCrgen@example.de>",
      "MAIL FROM:<a@b.example> FOO=1",
      "BDAT 0",
      "BDAT x",  // (BDAT n > 0 switches to chunk mode: bdat_test.cpp) "AUTH PLAIN
                 // dGVzdAB0ZXN0ADEyMzQ=", "AUTH",
      "VRFY Crispin",
      "DATA now",
      "FOO",
      "",
      "RSET",
      "NOOP",
      "QUIT",
  };
  std::string input;
  std::vector<std::string> expected;
  for (const std::string& line : lines) {
    input += line + "\r\n";
    ParsedCommand p = parse_command(line);
    if (auto* c = std::get_if<Command>(&p)) {
      expected.push_back(test::describe(*c));
    } else {
      expected.push_back(test::describe(std::get<Invalid>(p)));
    }
  }
  EXPECT_EQ(test::drive_whole(input), expected);
  test::expect_split_invariant(input);
}

}  // namespace
}  // namespace taube::smtp::wire
