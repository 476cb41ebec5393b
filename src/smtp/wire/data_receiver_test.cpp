#include "smtp/wire/data_receiver.hpp"

#include <gtest/gtest.h>

#include "smtp/wire/wire_test_support.hpp"

namespace taube::smtp::wire {
namespace {
using namespace std::string_literals;

using test::cut;
using test::escape;

struct DataRun {
  std::string stored;
  DataOutcome outcome;
  std::size_t consumed = 0;
  bool done = false;
  std::size_t max_buffered = 0;
  std::size_t sink_calls = 0;
};

DataRun run(const std::vector<std::string_view>& pieces, const Limits& limits = {}) {
  DataRun r;
  DataReceiver rx(limits, [&](std::string_view chunk) {
    EXPECT_LE(chunk.size(), limits.sink_chunk_bytes);
    ++r.sink_calls;
    r.stored.append(chunk);
  });
  for (std::string_view p : pieces) {
    if (rx.done()) break;
    const DataStep step = rx.feed(p);
    EXPECT_LE(step.consumed, p.size());
    r.consumed += step.consumed;
    r.done = step.done;
    r.max_buffered = std::max(r.max_buffered, rx.buffered_bytes());
    if (!step.done) {
      EXPECT_EQ(step.consumed, p.size());
    }
  }
  r.outcome = rx.outcome();
  return r;
}

DataRun run_whole(std::string_view input, const Limits& limits = {}) {
  return run({input}, limits);
}

// Same stored message, outcome and consumed count however the input is cut.
void expect_split_invariant(std::string_view input, const Limits& limits = {}) {
  const DataRun whole = run_whole(input, limits);
  std::vector<std::size_t> every;
  for (std::size_t i = 1; i < input.size(); ++i) every.push_back(i);
  const DataRun bytes = run(cut(input, every), limits);
  EXPECT_EQ(bytes.stored, whole.stored) << "byte at a time";
  EXPECT_EQ(bytes.outcome, whole.outcome) << "byte at a time";
  EXPECT_EQ(bytes.consumed, whole.consumed);
  for (std::size_t i = 1; i < input.size(); ++i) {
    const DataRun split = run(cut(input, {i}), limits);
    ASSERT_EQ(split.stored, whole.stored) << "split at " << i;
    ASSERT_EQ(split.outcome, whole.outcome) << "split at " << i;
    ASSERT_EQ(split.consumed, whole.consumed) << "split at " << i;
    ASSERT_EQ(split.done, whole.done) << "split at " << i;
  }
}

// True when every CR in `s` is followed by LF and every LF preceded by CR.
bool only_crlf_line_endings(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' && (i + 1 == s.size() || s[i + 1] != '\n')) return false;
    if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) return false;
  }
  return true;
}

TEST(SmtpDataReceiver, EndsAtCrlfDotCrlfAndLeavesPipelinedInput) {
  constexpr std::string_view kInput = "Subject: hi\r\n\r\nbody\r\n.\r\nQUIT\r\n";
  const DataRun r = run_whole(kInput);
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.stored, "Subject: hi\r\n\r\nbody\r\n");
  EXPECT_EQ(r.consumed, kInput.size() - 6);
  EXPECT_EQ(r.outcome.message_bytes, r.stored.size());
  expect_split_invariant(kInput);
}

TEST(SmtpDataReceiver, AcceptsAnEmptyMessage) {
  // The CRLF of the DATA command precedes the first line (RFC 5321 4.1.1.4).
  const DataRun r = run_whole(".\r\n");
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.stored, "");
  EXPECT_EQ(r.consumed, 3u);
}

TEST(SmtpDataReceiver, RemovesOneLeadingDotPerLine) {
  // RFC 5321 4.5.2 transparency.
  constexpr std::string_view kInput = "..\r\n...x\r\n.y\r\na.b\r\n.\r\n";
  const DataRun r = run_whole(kInput);
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.stored, ".\r\n..x\r\ny\r\na.b\r\n");
  expect_split_invariant(kInput);
}

// The SMTP smuggling end-of-data variants (SEC Consult, December 2023): every
// mix of CR / LF / CRLF around a dot other than CRLF "." CRLF.
const std::vector<std::string> kSmugglingMarkers = {
    "\n.\n",   "\n.\r\n", "\n.\r",   "\r.\r",       "\r.\n",
    "\r.\r\n", "\r\n.\n", "\r\n.\r", "\r\n.\r\r\n", "\r\n\x00.\r\n"s,
};

TEST(SmtpDataReceiver, NeverEndsAtASmugglingMarker) {
  for (const std::string& marker : kSmugglingMarkers) {
    SCOPED_TRACE(escape(marker));
    const std::string smuggled =
        "Subject: x\r\n\r\nhello" + marker +
        "MAIL FROM:<admin@bank.example>\r\nRCPT TO:<victim@example.com>\r\nDATA\r\n"
        "From: admin@bank.example\r\n\r\nsend money\r\n";
    const DataRun open = run_whole(smuggled);
    EXPECT_FALSE(open.done);
    EXPECT_EQ(open.consumed, smuggled.size());

    const std::string input = smuggled + ".\r\n";
    const DataRun r = run_whole(input);
    EXPECT_TRUE(r.done);
    EXPECT_EQ(r.consumed, input.size());
    // The smuggled commands stay inside the one message...
    EXPECT_NE(r.stored.find("RCPT TO:<victim@example.com>\r\n"), std::string::npos);
    // ...which holds no line ending a lenient server could read differently.
    EXPECT_TRUE(only_crlf_line_endings(r.stored)) << escape(r.stored);
    EXPECT_EQ(r.stored.find("\r\n.\r\n"), std::string::npos) << escape(r.stored);
    EXPECT_GT(r.outcome.bare_lf + r.outcome.bare_cr + r.outcome.nul_bytes, 0u);
    expect_split_invariant(input);
  }
}

TEST(SmtpDataReceiver, NormalisesBareLineEndingsAndCountsThem) {
  const DataRun lf = run_whole("a\nb\r\n.\r\n");
  EXPECT_EQ(lf.stored, "a\r\nb\r\n");
  EXPECT_EQ(lf.outcome.bare_lf, 1u);
  EXPECT_EQ(lf.outcome.bare_cr, 0u);

  const DataRun cr = run_whole("a\rb\r\r\n.\r\n");
  EXPECT_EQ(cr.stored, "a\r\nb\r\n\r\n");
  EXPECT_EQ(cr.outcome.bare_cr, 2u);
  EXPECT_EQ(cr.outcome.bare_lf, 0u);

  // A dot line reached through a bare LF is unstuffed like any other line
  // but cannot end the message: "\n.\r\n" stores an empty line.
  const DataRun dot = run_whole("a\n.\r\nb\r\n.\r\n");
  EXPECT_TRUE(dot.done);
  EXPECT_EQ(dot.stored, "a\r\n\r\nb\r\n");
  expect_split_invariant("a\n.\r\nb\r\n.\r\n");
  expect_split_invariant("x\r\r\r\n\n\r.\r\r\n.\n.\r\n\r\n.\r\n");
}

TEST(SmtpDataReceiver, StopsStoringOverTheLimitButReadsToTheEnd) {
  Limits limits;
  limits.max_message_bytes = 100;
  const std::string body(10, 'x');
  std::string input;
  for (int i = 0; i < 20; ++i) input += body + "\r\n";  // 240 bytes
  input += ".\r\nQUIT\r\n";
  const DataRun r = run_whole(input, limits);
  EXPECT_TRUE(r.done);
  EXPECT_TRUE(r.outcome.too_large);
  EXPECT_EQ(r.outcome.message_bytes, 240u);
  EXPECT_EQ(r.stored.size(), 100u);
  EXPECT_EQ(r.consumed, input.size() - 6);
  ASSERT_TRUE(data_rejection(r.outcome, {}).has_value());
  EXPECT_EQ(format_reply(*data_rejection(r.outcome, {})),
            "552 5.3.4 Message size exceeds fixed maximum message size\r\n");
  expect_split_invariant(input, limits);

  limits.max_message_bytes = 240;  // exactly at the limit: accepted
  const DataRun fits = run_whole(input, limits);
  EXPECT_FALSE(fits.outcome.too_large);
  EXPECT_EQ(fits.stored.size(), 240u);
  EXPECT_FALSE(data_rejection(fits.outcome, {}).has_value());
}

TEST(SmtpDataReceiver, ConsumesHundredMegabytesInBoundedMemory) {
  Limits limits;  // 10 MiB message limit, 64 KiB sink chunks
  std::string block;
  while (block.size() < 64 * 1024) block += std::string(78, 'm') + "\r\n";
  const std::uint64_t target = 100ull * 1024 * 1024;
  std::uint64_t fed = 0;
  std::uint64_t stored = 0;
  std::size_t max_chunk = 0;
  DataReceiver rx(limits, [&](std::string_view chunk) {
    stored += chunk.size();
    max_chunk = std::max(max_chunk, chunk.size());
  });
  const std::size_t capacity_before = rx.buffer_capacity();
  std::size_t max_buffered = 0;
  while (fed < target) {
    const DataStep step = rx.feed(block);
    ASSERT_FALSE(step.done);
    ASSERT_EQ(step.consumed, block.size());
    fed += block.size();
    max_buffered = std::max(max_buffered, rx.buffered_bytes());
  }
  const DataStep end = rx.feed(".\r\n");
  EXPECT_TRUE(end.done);
  EXPECT_TRUE(rx.outcome().too_large);
  EXPECT_EQ(rx.outcome().message_bytes, fed);
  EXPECT_EQ(stored, limits.max_message_bytes);
  EXPECT_LE(max_buffered, limits.sink_chunk_bytes);
  EXPECT_LE(max_chunk, limits.sink_chunk_bytes);
  EXPECT_EQ(rx.buffer_capacity(), capacity_before);  // never grew
}

TEST(SmtpDataReceiver, CountsLongLinesWithTolerance) {
  Limits limits;
  limits.max_data_line_bytes = 1000;
  const std::string ok = std::string(998, 'a') + "\r\n";    // 1000 with CRLF
  const std::string over = std::string(999, 'b') + "\r\n";  // 1001
  const std::string input = ok + over + over + ".\r\n";
  EXPECT_EQ(run_whole(input, limits).outcome.long_lines, 2u);
  expect_split_invariant(input, limits);
  limits.data_line_tolerance_bytes = 1;
  EXPECT_EQ(run_whole(input, limits).outcome.long_lines, 0u);

  const DataRun r = run_whole(input);
  EXPECT_EQ(format_reply(*data_rejection(r.outcome, {.reject_long_lines = true})),
            "552 5.5.0 Message has lines that are too long\r\n");
  EXPECT_FALSE(data_rejection(r.outcome, {}).has_value());
}

TEST(SmtpDataReceiver, ReportsNulAnd8BitOctets) {
  const std::string input = "a\0b\r\n\xC3\xA4\r\n.\r\n"s;
  const DataRun r = run_whole(input);
  EXPECT_EQ(r.outcome.nul_bytes, 1u);
  EXPECT_TRUE(r.outcome.has_8bit);
  EXPECT_EQ(r.stored, "a\0b\r\n\xC3\xA4\r\n"s);
  EXPECT_EQ(format_reply(*data_rejection(r.outcome, {.reject_nul = true})),
            "554 5.6.0 Message contains NUL octets\r\n");
  EXPECT_FALSE(run_whole("plain\r\n.\r\n").outcome.has_8bit);
  expect_split_invariant(input);
}

TEST(SmtpDataReceiver, StrictPolicyRefusesBareLineEndings) {
  const DataRun r = run_whole("a\nb\r\n.\r\n");
  EXPECT_FALSE(data_rejection(r.outcome, {}).has_value());
  EXPECT_EQ(format_reply(*data_rejection(r.outcome, {.reject_bare_line_endings = true})),
            "550 5.5.2 Message contains bare CR or LF; use CRLF line endings\r\n");
  EXPECT_FALSE(data_rejection(run_whole("a\r\n.\r\n").outcome, {.reject_bare_line_endings = true})
                   .has_value());
}

TEST(SmtpDataReceiver, HandsTheSinkBoundedChunks) {
  Limits limits;
  limits.sink_chunk_bytes = 7;
  const std::string input = std::string(50, 'z') + "\r\n.\r\n";
  const DataRun r = run_whole(input, limits);
  EXPECT_EQ(r.stored, std::string(50, 'z') + "\r\n");
  EXPECT_EQ(r.sink_calls, 8u);  // 52 bytes in chunks of 7
  EXPECT_LE(r.max_buffered, 7u);
}

}  // namespace
}  // namespace taube::smtp::wire
