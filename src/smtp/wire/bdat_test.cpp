#include "smtp/wire/bdat.hpp"

#include <gtest/gtest.h>

#include "smtp/wire/wire_test_support.hpp"

namespace taube::smtp::wire {
namespace {

using test::drive_whole;
using namespace std::string_view_literals;
using test::expect_split_invariant;

TEST(SmtpBdat, TakesExactlyTheAnnouncedOctetsRaw) {
  // RFC 3030 4.2-style pipelined transaction: chunk bytes are not commands,
  // dots are not unstuffed, CRLF.CRLF does not end anything.
  constexpr std::string_view kInput =
      "MAIL FROM:<Sam@Random.com> BODY=BINARYMIME\r\n"
      "RCPT TO:<Susan@Random.com>\r\n"
      "BDAT 13\r\n"
      "..\r\n.\r\nQUIT\r\n"
      "BDAT 6 LAST\r\n"
      "\x00\n\r\xFF.\r"
      "QUIT\r\n"sv;
  const std::vector<std::string> expected = {
      "MAIL <Sam@Random.com>",
      "RCPT <Susan@Random.com>",
      "BDAT 13",
      "BDAT 6 LAST",
      "MESSAGE ..\\r\\n.\\r\\nQUIT\\r\\n\\x00\\n\\r\\xff.\\r bytes=19",
      "QUIT",
  };
  EXPECT_EQ(drive_whole(kInput), expected);
  expect_split_invariant(kInput);
}

TEST(SmtpBdat, EndsAMessageWithAnEmptyLastChunk) {
  const std::vector<std::string> expected = {"BDAT 3", "BDAT 0 LAST", "MESSAGE abc bytes=3",
                                             "NOOP"};
  EXPECT_EQ(drive_whole("BDAT 3\r\nabcBDAT 0 LAST\r\nNOOP\r\n"), expected);
  expect_split_invariant("BDAT 3\r\nabcBDAT 0 LAST\r\nNOOP\r\n");
}

TEST(SmtpBdat, CountsTheMessageOverAllChunksAgainstTheLimit) {
  Limits limits;
  limits.max_message_bytes = 10;
  limits.sink_chunk_bytes = 4;
  std::string stored;
  BdatReceiver rx(limits, [&](std::string_view c) {
    EXPECT_LE(c.size(), 4u);
    stored.append(c);
  });
  rx.start_chunk(6, false);
  BdatStep a = rx.feed("123456XYZ");
  EXPECT_EQ(a.consumed, 6u);
  EXPECT_TRUE(a.chunk_done);
  EXPECT_FALSE(rx.too_large());
  rx.start_chunk(6, true);
  BdatStep b = rx.feed("789");
  EXPECT_EQ(b.consumed, 3u);
  EXPECT_FALSE(b.chunk_done);
  EXPECT_FALSE(rx.too_large());
  BdatStep c = rx.feed("abcdef");
  EXPECT_EQ(c.consumed, 3u);
  EXPECT_TRUE(c.chunk_done);
  EXPECT_TRUE(rx.too_large());
  EXPECT_TRUE(rx.last_chunk());
  EXPECT_EQ(rx.message_bytes(), 12u);
  EXPECT_EQ(stored, "123456789a");  // stopped storing at the limit
  EXPECT_EQ(rx.buffered_bytes(), 0u);
}

TEST(SmtpBdat, ConsumesAHugeChunkInBoundedMemory) {
  Limits limits;
  limits.max_message_bytes = 1000;
  std::uint64_t stored = 0;
  BdatReceiver rx(limits, [&](std::string_view c) { stored += c.size(); });
  const std::uint64_t size = 50ull * 1024 * 1024;
  rx.start_chunk(size, true);
  const std::string block(1 << 20, 'b');
  std::uint64_t fed = 0;
  while (!rx.chunk_done()) {
    const BdatStep s = rx.feed(block);
    fed += s.consumed;
    ASSERT_LE(rx.buffered_bytes(), limits.sink_chunk_bytes);
  }
  EXPECT_EQ(fed, size);
  EXPECT_EQ(stored, 1000u);
  EXPECT_TRUE(rx.too_large());
}

}  // namespace
}  // namespace taube::smtp::wire
