#include "imap/wire/receiver.hpp"

#include <gtest/gtest.h>

#include "imap/wire/test_support.hpp"

namespace taube::imap::wire {
namespace {

using namespace std::string_view_literals;
using test::run_whole;
using Lines = std::vector<std::string>;

// Asserts the transcript is the same whole, byte by byte and split at every offset.
void expect_transcript(const Limits& limits, std::string_view input, const Lines& expected) {
  EXPECT_EQ(run_whole(limits, input), expected) << "whole: " << test::escape(input);
  EXPECT_EQ(test::run_bytewise(limits, input), expected) << "bytewise: " << test::escape(input);
  for (std::size_t at = 1; at < input.size(); ++at) {
    ASSERT_EQ(test::run(limits, {input.substr(0, at), input.substr(at)}), expected)
        << "split at " << at << ": " << test::escape(input);
  }
}

void expect_transcript(std::string_view input, const Lines& expected) {
  expect_transcript(Limits{}, input, expected);
}

TEST(ImapReceiver, FramesSimpleCommands) {
  expect_transcript("a001 NOOP\r\n", {"CMD a001 NOOP"});
  expect_transcript("A1 login fred \"sec\\\"ret\"\r\n", {"CMD A1 LOGIN fred \"sec\"ret\""});
  expect_transcript("\r\nx CAPABILITY\n", {"CMD x CAPABILITY"});
  expect_transcript("a SELECT INBOX\r\nb FETCH 1 (FLAGS)\r\n",
                    {"CMD a SELECT INBOX", "CMD b FETCH 1 ( FLAGS )"});
}

TEST(ImapReceiver, ResolvesSynchronisingAndNonSynchronisingLiterals) {
  expect_transcript("A003 APPEND saved-messages (\\Seen) {5}\r\nhello\r\n",
                    {"LITERAL 5 sync", "CMD A003 APPEND saved-messages ( \\Seen ) {hello}"});
  expect_transcript("a LOGIN {4+}\r\nfred {3}\r\nx y\r\n",
                    {"LITERAL 4 nonsync", "LITERAL 3 sync", "CMD a LOGIN {fred} {x y}"});
  expect_transcript("a APPEND x ~{3}\r\na\0b\r\n"sv, {"LITERAL 3 sync binary", "CMD a APPEND x ~{a\\x00b}"});
  expect_transcript("a LOGIN {0}\r\n {0}\r\n\r\n", {"LITERAL 0 sync", "LITERAL 0 sync", "CMD a LOGIN {} {}"});
}

}  // namespace
}  // namespace taube::imap::wire

namespace taube::imap::wire {
namespace {

Limits small_limits() {
  Limits l;
  l.max_line_bytes = 40;
  l.max_literal_bytes = 100;
  l.max_argument_literal_bytes = 8;
  l.max_discarded_literal_bytes = 20;
  return l;
}

TEST(ImapReceiver, RefusesAppendLiteralOverLimitBeforeReadingIt) {
  // The client waits for "+" and never sends the 10 GB; the next command follows.
  expect_transcript(small_limits(), "a APPEND x {10000000000}\r\nb NOOP\r\n",
                    {"INVALID a NO [TOOBIG] Literal too large\\r\\n", "CMD b NOOP"});
  expect_transcript(small_limits(), "a APPEND x {99999999999999999999999}\r\nb NOOP\r\n",
                    {"INVALID a NO [TOOBIG] Literal too large\\r\\n", "CMD b NOOP"});
  expect_transcript(small_limits(), "a APPEND x {100}\r\n",  {"LITERAL 100 sync"});
  expect_transcript(small_limits(), "a LOGIN {9}\r\nb NOOP\r\n",
                    {"INVALID a BAD [TOOBIG] Literal too large\\r\\n", "CMD b NOOP"});
}

TEST(ImapReceiver, DiscardsRefusedNonSynchronisingLiteralsAndResyncs) {
  expect_transcript(small_limits(), "a LOGIN {12+}\r\nAB\r\nb NOOP\r\n x\r\nc NOOP\r\n",
                    {"INVALID a BAD [TOOBIG] Literal too large\\r\\n", "CMD c NOOP"});
  // The rest of the refused command announces another {n+}: it is skipped too.
  expect_transcript(small_limits(), "a LOGIN {9+}\r\n123456789 {4+}\r\nc\r\n \r\nd NOOP\r\n",
                    {"INVALID a BAD [TOOBIG] Literal too large\\r\\n", "CMD d NOOP"});
  expect_transcript(small_limits(), "a LOGIN {21+}\r\n",
                    {"INVALID a BAD [TOOBIG] Literal too large\\r\\n close"});
  Limits minus = small_limits();
  minus.literal_minus_only = true;
  minus.max_argument_literal_bytes = 10000;
  minus.max_discarded_literal_bytes = 5000;
  expect_transcript(minus, "a LOGIN {4097+}\r\n",
                    {"INVALID a BAD [TOOBIG] Non-synchronizing literal over 4096 octets\\r\\n"});
  expect_transcript(minus, "a LOGIN {4097}\r\n", {"LITERAL 4097 sync"});
}

TEST(ImapReceiver, RejectsOverlongLinesAndResyncsAtNextLine) {
  expect_transcript(small_limits(), "a1 NOOP 12345678901234567890123456789012345\r\nb NOOP\r\n",
                    {"INVALID a1 BAD Command line too long\\r\\n", "CMD b NOOP"});
  // A tag is named only when it ends within the first max_line_bytes + 1 octets (found by fuzzing:
  // it depended on the split).
  expect_transcript(small_limits(), std::string(45, 'a') + " NOOP\r\nb NOOP\r\n",
                    {"INVALID * BAD Command line too long\\r\\n", "CMD b NOOP"});
  // Exactly at the limit (CR LF not counted) is accepted.
  expect_transcript(small_limits(), "a1 NOOP 1234567890123456789012345678901\r\n",
                    {"CMD a1 NOOP 1234567890123456789012345678901"});
  // Line segments around literals count together.
  expect_transcript(small_limits(), "a LOGIN {1}\r\nx 12345678901234567890123456789012\r\nb NOOP\r\n",
                    {"LITERAL 1 sync", "INVALID a BAD Command line too long\\r\\n", "CMD b NOOP"});
}

TEST(ImapReceiver, RejectsInvalidTagsAndBytes) {
  expect_transcript("+a NOOP\r\nb NOOP\r\n", {"INVALID * BAD Invalid tag\\r\\n", "CMD b NOOP"});
  expect_transcript("a\"b NOOP\r\n", {"INVALID * BAD Invalid tag\\r\\n"});
  expect_transcript("a\x01 NOOP\r\n", {"INVALID * BAD Invalid tag\\r\\n"});
  expect_transcript("NOOP\r\n", {"INVALID * BAD Invalid tag\\r\\n"});
  expect_transcript("a[b c] NOOP\r\n", {"INVALID * BAD Invalid tag\\r\\n"});  // found by fuzzing
  expect_transcript(std::string(129, 'a') + " NOOP\r\n", {"INVALID * BAD Invalid tag\\r\\n"});
  expect_transcript(std::string(128, 'a') + " NOOP\r\n", {"CMD " + std::string(128, 'a') + " NOOP"});
  expect_transcript("a NOOP\0x\r\n"sv, {"INVALID a BAD Invalid character\\r\\n"});
  expect_transcript("a LOGIN \"x\0\" y\r\n"sv, {"INVALID a BAD Invalid character in quoted string\\r\\n"});
  expect_transcript("a LOGIN \"x\\n\" y\r\n", {"INVALID a BAD Invalid escape in quoted string\\r\\n"});
  expect_transcript("a LOGIN \xff y\r\n", {"INVALID a BAD Invalid character\\r\\n"});
  expect_transcript("a LOGIN \"\xc3\x28\" y\r\n", {"INVALID a BAD Invalid UTF-8 in quoted string\\r\\n"});
  expect_transcript("a x\ry\r\n", {"INVALID a BAD Invalid character\\r\\n"});
  expect_transcript("a {3}\r\n", {"INVALID a BAD Missing command\\r\\n"});
}

TEST(ImapReceiver, BoundsNestingAndTokens) {
  Limits l;
  l.max_depth = 3;
  l.max_tokens = 10;
  expect_transcript(l, "a FETCH 1 (((x)))\r\n", {"CMD a FETCH 1 ( ( ( x ) ) )"});
  expect_transcript(l, "a FETCH (((((((((((1\r\n", {"INVALID a BAD Too deeply nested\\r\\n"});
  expect_transcript(l, "a X 1 2 3 4 5 6 7 8 9\r\n", {"INVALID a BAD Too many arguments\\r\\n"});
  expect_transcript(l, "a X (1))\r\n", {"INVALID a BAD Unbalanced parenthesis\\r\\n"});
  expect_transcript(l, "a X (1\r\n", {"INVALID a BAD Unbalanced parenthesis\\r\\n"});
  expect_transcript(l, "a X \"a\"\"b\"\r\n", {"INVALID a BAD Missing space between arguments\\r\\n"});
}

TEST(ImapReceiver, KeepsSectionsInOneAtom) {
  expect_transcript("a FETCH 1 (BODY.PEEK[HEADER.FIELDS (From \"To\")]<0.10> UID)\r\n",
                    {"CMD a FETCH 1 ( BODY.PEEK[HEADER.FIELDS (From \"To\")]<0.10> UID )"});
  expect_transcript("a SELECT [Gmail]/Spam\r\n", {"CMD a SELECT [Gmail]/Spam"});
  expect_transcript("a FETCH 1 BODY[HEADER\r\n", {"INVALID a BAD Unterminated section\\r\\n"});
}

TEST(ImapReceiver, FramesRawLinesForSaslAndIdle) {
  const Limits limits = small_limits();
  Receiver r(limits);
  auto step = r.feed_line("dGVzdA==\r\nDONE\r\n");
  EXPECT_EQ(step.consumed, 10u);
  EXPECT_EQ(std::get<std::string>(step.result), "dGVzdA==");
  step = r.feed_line("DONE\n");
  EXPECT_EQ(std::get<std::string>(step.result), "DONE");
  step = r.feed_line(std::string(50, 'x'));
  EXPECT_EQ(std::get<Invalid>(step.result).reply.text, "Line too long");
  step = r.feed_line("xx\r\nok\r\n");  // the rest of the long line is dropped
  EXPECT_EQ(step.consumed, 8u);
  EXPECT_EQ(std::get<std::string>(step.result), "ok");
}

}  // namespace
}  // namespace taube::imap::wire
