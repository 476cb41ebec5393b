#include "smtp/wire/reply.hpp"

#include <gtest/gtest.h>

namespace taube::smtp::wire {
namespace {
using namespace std::string_literals;

TEST(SmtpReply, WritesSingleAndMultiLineRepliesWithEnhancedCodes) {
  EXPECT_EQ(format_reply(make_reply(250, "2.1.0", "Ok")), "250 2.1.0 Ok\r\n");
  EXPECT_EQ(format_reply(make_reply(354, "", "End data with <CR><LF>.<CR><LF>")),
            "354 End data with <CR><LF>.<CR><LF>\r\n");
  // RFC 2034 4: the enhanced code starts every line of a multi-line reply.
  EXPECT_EQ(format_reply(Reply{214, "2.0.0", {"Commands:", "EHLO MAIL RCPT", "End"}}),
            "214-2.0.0 Commands:\r\n214-2.0.0 EHLO MAIL RCPT\r\n214 2.0.0 End\r\n");
  EXPECT_EQ(format_reply(Reply{250, "", {}}), "250\r\n");
}

TEST(SmtpReply, WritesEhloCapabilitiesAsInRfc5321AppendixD1) {
  EXPECT_EQ(format_ehlo_reply("foo.com", "greets bar.com", {"8BITMIME", "SIZE", "DSN", "HELP"}),
            "250-foo.com greets bar.com\r\n250-8BITMIME\r\n250-SIZE\r\n250-DSN\r\n250 HELP\r\n");
  EXPECT_EQ(format_ehlo_reply("mx.example", "", {}), "250 mx.example\r\n");
}

TEST(SmtpReply, NeverLetsClientBytesBreakTheLine) {
  const std::string evil = "Unsupported parameter: X\r\n250 fake\0\x80"s;
  const std::string out = format_reply(make_reply(555, "5.5.4", evil));
  EXPECT_EQ(out, "555 5.5.4 Unsupported parameter: X??250 fake??\r\n");
  EXPECT_EQ(out.find('\n'), out.size() - 1);
  EXPECT_EQ(sanitize_reply_text("tab\there"), "tab?here");
}

TEST(SmtpReply, TruncatesLinesTo512Octets) {
  const std::string out = format_reply(make_reply(550, "5.1.1", std::string(2000, 'x')));
  EXPECT_EQ(out.size(), 512u);
  EXPECT_EQ(out.substr(0, 10), "550 5.1.1 ");
  EXPECT_EQ(out.substr(510), "\r\n");
}

}  // namespace
}  // namespace taube::smtp::wire
