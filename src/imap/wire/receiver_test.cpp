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
