#include "smtp/wire/receiver.hpp"

#include <gtest/gtest.h>

#include "smtp/wire/wire_test_support.hpp"

namespace taube::smtp::wire {
namespace {

using test::drive_whole;
using test::expect_split_invariant;

// RFC 5321 Appendix D.1, the client's side, pipelined into one buffer.
constexpr std::string_view kRfc5321D1 =
    "EHLO bar.com\r\n"
    "MAIL FROM:<Smith@bar.com>\r\n"
    "RCPT TO:<Jones@foo.com>\r\n"
    "RCPT TO:<Green@foo.com>\r\n"
    "RCPT TO:<Brown@foo.com>\r\n"
    "DATA\r\n"
    "Blah blah blah...\r\n"
    "...etc. etc. etc.\r\n"
    ".\r\n"
    "QUIT\r\n";

TEST(SmtpReceiver, RunsRfc5321AppendixD1AtEverySplit) {
  const std::vector<std::string> expected = {
      "EHLO arg=bar.com",
      "MAIL <Smith@bar.com>",
      "RCPT <Jones@foo.com>",
      "RCPT <Green@foo.com>",
      "RCPT <Brown@foo.com>",
      "DATA",
      // The stuffed "..." line loses one dot (RFC 5321 4.5.2).
      "MESSAGE Blah blah blah...\\r\\n..etc. etc. etc.\\r\\n bytes=37 bare_lf=0 bare_cr=0 nul=0 "
      "long=0",
      "QUIT",
  };
  EXPECT_EQ(drive_whole(kRfc5321D1), expected);
  expect_split_invariant(kRfc5321D1);
}

TEST(SmtpReceiver, RunsRfc5321AppendixD2To4AtEverySplit) {
  // D.2 aborted transaction, D.3 relay (source route), D.4 verify.
  constexpr std::string_view kInput =
      "HELO bar.com\r\n"
      "MAIL FROM:<Smith@bar.com>\r\n"
      "RCPT TO:<Jones@foo.com>\r\n"
      "RSET\r\n"
      "MAIL FROM:<JQP@bar.com>\r\n"
      "RCPT TO:<@foo.com:Jones@XYZ.COM>\r\n"
      "VRFY Crispin\r\n"
      "MAIL FROM:<EAK@bar.com>\r\n"
      "QUIT\r\n";
  const std::vector<std::string> expected = {
      "HELO arg=bar.com",
      "MAIL <Smith@bar.com>",
      "RCPT <Jones@foo.com>",
      "RSET",
      "MAIL <JQP@bar.com>",
      "RCPT <Jones@XYZ.COM>",
      "VRFY arg=Crispin",
      "MAIL <EAK@bar.com>",
      "QUIT",
  };
  EXPECT_EQ(drive_whole(kInput), expected);
  expect_split_invariant(kInput);
}

TEST(SmtpReceiver, ReportsConsumedBytesPerPipelinedCommand) {
  Limits limits;
  CommandReceiver rx(limits);
  std::string_view in = "NOOP\r\nRSET\r\nQUIT\r\n";
  ReceiveStep s1 = rx.feed(in);
  EXPECT_EQ(s1.consumed, 6u);
  EXPECT_TRUE(s1.has_unconsumed_input);
  in.remove_prefix(s1.consumed);
  ReceiveStep s2 = rx.feed(in);
  ASSERT_TRUE(std::holds_alternative<Command>(s2.result));
  EXPECT_EQ(std::get<Command>(s2.result).verb, Verb::kRset);
  EXPECT_EQ(s2.consumed, 6u);
  in.remove_prefix(s2.consumed);
  ReceiveStep s3 = rx.feed(in);
  EXPECT_EQ(s3.consumed, 6u);
  EXPECT_FALSE(s3.has_unconsumed_input);
  EXPECT_EQ(std::get<Command>(s3.result).verb, Verb::kQuit);
}

TEST(SmtpReceiver, FlagsInputPipelinedAfterStarttls) {
  // CVE-2011-0411: the commands after STARTTLS in the same packet must not
  // survive into the TLS session; the receiver tells the session they exist.
  Limits limits;
  CommandReceiver rx(limits);
  constexpr std::string_view kInjected = "STARTTLS\r\nRSET\r\nMAIL FROM:<evil@example.com>\r\n";
  ReceiveStep step = rx.feed(kInjected);
  ASSERT_TRUE(std::holds_alternative<Command>(step.result));
  EXPECT_EQ(std::get<Command>(step.result).verb, Verb::kStarttls);
  EXPECT_EQ(step.consumed, 10u);
  EXPECT_TRUE(step.has_unconsumed_input);

  CommandReceiver partial(limits);
  EXPECT_TRUE(partial.feed("STARTTLS\r\nM").has_unconsumed_input);

  CommandReceiver clean(limits);
  ReceiveStep alone = clean.feed("STARTTLS\r\n");
  EXPECT_FALSE(alone.has_unconsumed_input);
  EXPECT_EQ(clean.buffered_bytes(), 0u);

  // Split before the CRLF: nothing buffered is left over either.
  CommandReceiver split(limits);
  EXPECT_TRUE(std::holds_alternative<NeedMore>(split.feed("START").result));
  EXPECT_EQ(split.buffered_bytes(), 5u);
  ReceiveStep rest = split.feed("TLS\r\n");
  EXPECT_EQ(std::get<Command>(rest.result).verb, Verb::kStarttls);
  EXPECT_FALSE(rest.has_unconsumed_input);
  EXPECT_EQ(split.buffered_bytes(), 0u);
}

TEST(SmtpReceiver, RejectsOverlongLineOnceAndRecovers) {
  Limits limits;
  limits.max_command_line_bytes = 64;
  const std::string input = "NOOP " + std::string(200, 'x') + "\r\nQUIT\r\n";
  const std::vector<std::string> expected = {"INVALID 500 5.5.2 Line too long\\r\\n", "QUIT"};
  EXPECT_EQ(drive_whole(input, limits), expected);
  expect_split_invariant(input, limits);

  // The over-long line is never buffered beyond the limit.
  CommandReceiver rx(limits);
  for (int i = 0; i < 100; ++i) {
    rx.feed(std::string(50, 'y'));
    EXPECT_LT(rx.buffered_bytes(), limits.max_command_line_bytes);
  }
}

TEST(SmtpReceiver, AcceptsLineOfExactlyTheLimitIncludingCrlf) {
  Limits limits;
  limits.max_command_line_bytes = 32;
  const std::string fits = "NOOP " + std::string(32 - 7, 'a') + "\r\n";
  ASSERT_EQ(fits.size(), 32u);
  EXPECT_EQ(drive_whole(fits, limits),
            std::vector<std::string>{"NOOP arg=" + std::string(25, 'a')});
  expect_split_invariant(fits, limits);
  const std::string over = "NOOP " + std::string(32 - 6, 'a') + "\r\n";
  EXPECT_EQ(drive_whole(over, limits),
            std::vector<std::string>{"INVALID 500 5.5.2 Line too long\\r\\n"});
  expect_split_invariant(over, limits);
}

TEST(SmtpReceiver, AllowsLongAuthLinesPerRfc4954) {
  Limits limits;  // 2048 for commands, 12288 for AUTH
  const std::string ir(8000, 'A');
  const std::string input = "AUTH PLAIN " + ir + "\r\n";
  CommandReceiver rx(limits);
  ReceiveStep step = rx.feed(input);
  ASSERT_TRUE(std::holds_alternative<Command>(step.result));
  EXPECT_EQ(std::get<Command>(step.result).auth_initial_response, ir);
  const std::string noop = "NOOP " + ir + "\r\n";
  EXPECT_TRUE(std::holds_alternative<Invalid>(CommandReceiver(limits).feed(noop).result));
}

TEST(SmtpReceiver, RejectsNulAndBareCrInCommandLines) {
  const std::string input = std::string("NOOP a\0b\r\n", 10) + "NOOP a\rb\r\nRSET\r\n";
  const std::vector<std::string> expected = {
      "INVALID 500 5.5.2 NUL octet in command\\r\\n",
      "INVALID 500 5.5.2 Bare CR in command\\r\\n",
      "RSET",
  };
  EXPECT_EQ(drive_whole(input), expected);
  expect_split_invariant(input);
}

TEST(SmtpReceiver, BareLfEndsCommandOnlyWhenAllowed) {
  const std::string input = "NOOP\nRSET\r\n";
  EXPECT_EQ(drive_whole(input), (std::vector<std::string>{"NOOP (bare-lf)", "RSET"}));
  expect_split_invariant(input);
  Limits strict;
  strict.accept_bare_lf_in_commands = false;
  EXPECT_EQ(
      drive_whole(input, strict),
      (std::vector<std::string>{"INVALID 500 5.5.2 Bare LF in command; use CRLF\\r\\n", "RSET"}));
}

TEST(SmtpReceiver, ParsesWithTheTransactionContext) {
  Limits limits;
  CommandReceiver rx(limits);
  const std::string rcpt = "RCPT TO:<j\xC3\xBCrgen@example.de>\r\n";
  EXPECT_TRUE(std::holds_alternative<Invalid>(rx.feed(rcpt).result));
  EXPECT_TRUE(
      std::holds_alternative<Command>(rx.feed(rcpt, {.smtputf8_transaction = true}).result));
}

TEST(SmtpReceiver, FramesSaslLinesRaw) {
  Limits limits;
  CommandReceiver rx(limits);
  LineStep a = rx.feed_line("dGVzdA");
  EXPECT_TRUE(std::holds_alternative<NeedMore>(a.result));
  LineStep b = rx.feed_line("==\r\n*\r\n");
  ASSERT_TRUE(std::holds_alternative<std::string>(b.result));
  EXPECT_EQ(std::get<std::string>(b.result), "dGVzdA==");
  EXPECT_TRUE(b.has_unconsumed_input);
  EXPECT_EQ(b.consumed, 4u);
  LineStep c = rx.feed_line("*\r\n");
  EXPECT_EQ(std::get<std::string>(c.result), "*");
}

TEST(SmtpReceiver, ResetDropsAPartialLine) {
  Limits limits;
  CommandReceiver rx(limits);
  rx.feed("MAIL FROM:<a@b");
  EXPECT_GT(rx.buffered_bytes(), 0u);
  rx.reset();
  EXPECT_EQ(rx.buffered_bytes(), 0u);
  ReceiveStep step = rx.feed("QUIT\r\n");
  EXPECT_EQ(std::get<Command>(step.result).verb, Verb::kQuit);
}

}  // namespace
}  // namespace taube::smtp::wire
