// Session tests over the in-memory transport with a real SQLite store:
// golden transcripts (testdata/*.txt, C:/S: lines) for the RFC 9051 examples
// we implement, and failure injection (the Nth read or write fails).
#include <gtest/gtest.h>

#include <zlib.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "imap/server/test_support.hpp"

namespace taube::imap::server {
namespace {

using testing::Harness;
using testing::Script;

const std::filesystem::path kTestData = std::filesystem::path(TAUBE_SOURCE_DIR) / "src/imap/server/testdata";

void expect_transcript(const std::string& name, bool one_read_per_line = false) {
  Harness harness;
  auto transcript = testing::load_transcript(kTestData / name);
  Script script;
  if (one_read_per_line) {
    std::size_t pos = 0;
    while (pos < transcript.client.size()) {
      std::size_t end = transcript.client.find("\r\n", pos) + 2;
      script.reads.push_back(transcript.client.substr(pos, end - pos));
      pos = end;
    }
  } else {
    script.reads.push_back(transcript.client);
  }
  std::string output = harness.run(script);
  std::string diff = testing::compare_transcript(transcript.server, output);
  EXPECT_EQ(diff, "") << name << " produced:\n" << output;
}

TEST(ImapSession, GreetsLogsInAndOut) { expect_transcript("login_logout.txt"); }
TEST(ImapSession, ManagesMailboxes) { expect_transcript("mailboxes.txt"); }
TEST(ImapSession, AppendsSelectsFetchesStoresAndExpunges) { expect_transcript("messages.txt"); }
TEST(ImapSession, SearchesWithEveryKindOfKey) { expect_transcript("search.txt"); }
TEST(ImapSession, CopiesAndMovesWithCopyUid) { expect_transcript("copy_move.txt"); }
TEST(ImapSession, AnswersHostileInputWithBadAndSurvives) { expect_transcript("hostile.txt"); }
TEST(ImapSession, DiscardsInputPipelinedAfterStartTls) { expect_transcript("starttls.txt"); }
TEST(ImapSession, HandlesInputSplitIntoOneReadPerLine) { expect_transcript("messages.txt", true); }

TEST(ImapSession, RefusesPlaintextLoginFromRemoteAddresses) {
  Harness harness;
  Script script;
  script.loopback = false;
  script.reads = {"a CAPABILITY\r\nb LOGIN a@example.org pw\r\nc AUTHENTICATE PLAIN AGFAZXhhbXBsZS5vcmcAcHc=\r\n"};
  std::string out = harness.run(script);
  EXPECT_NE(out.find("LOGINDISABLED"), std::string::npos) << out;
  EXPECT_EQ(out.find("AUTH=PLAIN"), std::string::npos) << out;
  EXPECT_NE(out.find("b NO [PRIVACYREQUIRED] Use STARTTLS first\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("c NO [PRIVACYREQUIRED] Use STARTTLS first\r\n"), std::string::npos) << out;
}

TEST(ImapSession, AcceptsLoginOverTlsFromRemoteAddresses) {
  Harness harness;
  Script script;
  script.loopback = false;
  script.tls = true;
  script.reads = {"a AUTHENTICATE PLAIN AGFAZXhhbXBsZS5vcmcAcHc=\r\n"};
  std::string out = harness.run(script);
  EXPECT_NE(out.find("a OK [CAPABILITY "), std::string::npos) << out;
}

TEST(ImapSession, EndsQuietlyWhenAReadFails) {
  Harness harness;
  Script script;
  script.reads = {"a LOGIN a@example.org pw\r\n", "b SELECT INBOX\r\n", "c NOOP\r\n"};
  script.fail_read_at = 2;
  std::string out = harness.run(script);
  EXPECT_NE(out.find("a OK "), std::string::npos);
  EXPECT_EQ(out.find("b OK"), std::string::npos) << out;
  EXPECT_EQ(out.find("c OK"), std::string::npos) << out;
}

TEST(ImapSession, StopsAfterAFailedWrite) {
  for (int n = 1; n <= 4; ++n) {
    Harness harness;
    Script script;
    script.reads = {"a LOGIN a@example.org pw\r\nb SELECT INBOX\r\nc NOOP\r\nd NOOP\r\n"};
    script.fail_write_at = n;
    std::string out = harness.run(script);
    // Write n failed: nothing after it was written, and the session ended.
    EXPECT_EQ(out.find("d OK"), std::string::npos) << "n=" << n << "\n" << out;
  }
}

TEST(ImapSession, ReportsItsOwnAppendToTheSelectedMailboxBeforeTheTaggedOk) {
  Harness harness;
  // The second session appends while the first is between commands: the
  // first learns of it at its next command, not before.
  Script first;
  first.reads = {"a LOGIN a@example.org pw\r\nb SELECT INBOX\r\n"};
  std::string out = harness.run(first);
  ASSERT_NE(out.find("* 0 EXISTS"), std::string::npos) << out;
  Script second;
  second.reads = {"a LOGIN a@example.org pw\r\nb SELECT INBOX\r\nc APPEND INBOX {9+}\r\nSubject:\r\n\r\nd NOOP\r\n"};
  out = harness.run(second);
  EXPECT_NE(out.find("* 1 EXISTS\r\nc OK [APPENDUID "), std::string::npos) << out;
}

TEST(ImapSession, IdleReportsAChangeCommittedWhileIdling) {
  Harness harness;
  Script script;
  auto output = std::make_shared<std::string>();
  script.reads = {"a LOGIN a@example.org pw\r\nb SELECT INBOX\r\nc IDLE\r\n", "DONE\r\nd NOOP\r\n"};
  // Before the second read (the session is idling): another writer appends;
  // the client "sends" DONE only once the EXISTS is out.
  Harness* h = &harness;
  auto seen_while_idling = std::make_shared<bool>(false);
  script.before_read = [h, seen_while_idling](int n, const std::string* output) -> boost::asio::awaitable<void> {
    if (n != 2) co_return;
    co_await h->append_to_inbox("while idle");
    // Let the session run until the idling session has written the EXISTS on
    // its own (its store reads complete on the engine's threads), at most 5 s.
    auto executor = co_await boost::asio::this_coro::executor;
    boost::asio::steady_timer tick(executor);
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (output->find("* 1 EXISTS") == std::string::npos && std::chrono::steady_clock::now() < give_up) {
      tick.expires_after(std::chrono::milliseconds(1));
      auto wait = tick.async_wait(boost::asio::use_awaitable);
      co_await std::move(wait);
    }
    *seen_while_idling = output->find("* 1 EXISTS") != std::string::npos;
  };
  std::string out = harness.run(script);
  EXPECT_TRUE(*seen_while_idling) << "EXISTS must arrive during IDLE, before DONE\n" << out;
  EXPECT_NE(out.find("+ idling\r\n* 1 EXISTS\r\nc OK IDLE terminated\r\nd OK NOOP completed\r\n"), std::string::npos)
      << out;
}

TEST(ImapSession, IdleSendsKeepalivesWhileNothingHappens) {
  Harness harness;
  Script script;
  script.reads = {"a LOGIN a@example.org pw\r\nb SELECT INBOX\r\nc IDLE\r\n", "DONE\r\n"};
  script.before_read = [](int n, const std::string* output) -> boost::asio::awaitable<void> {
    if (n != 2) co_return;
    auto executor = co_await boost::asio::this_coro::executor;
    boost::asio::steady_timer tick(executor);
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (output->find("* OK Still here") == std::string::npos && std::chrono::steady_clock::now() < give_up) {
      tick.expires_after(std::chrono::milliseconds(1));
      auto wait = tick.async_wait(boost::asio::use_awaitable);
      co_await std::move(wait);
    }
  };
  Options options;
  options.idle_keepalive = std::chrono::seconds(1);
  std::string out = harness.run(script, options);
  EXPECT_NE(out.find("+ idling\r\n* OK Still here\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("c OK IDLE terminated\r\n"), std::string::npos) << out;
}

// Raw DEFLATE (RFC 4978) with a sync flush, as a client sends it.
std::string deflate_raw(const std::string& text) {
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
  std::string out(text.size() + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_SYNC_FLUSH);
  out.resize(out.size() - z.avail_out);
  deflateEnd(&z);
  return out;
}

std::string inflate_raw(const std::string& data) {
  z_stream z{};
  inflateInit2(&z, -15);
  std::string out(64 * 1024, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  inflate(&z, Z_SYNC_FLUSH);
  out.resize(out.size() - z.avail_out);
  inflateEnd(&z);
  return out;
}

TEST(ImapSession, CompressesBothDirectionsAfterCompressDeflate) {
  Harness harness;
  Script script;
  // The compressed NOOP is pipelined in the same read as COMPRESS itself.
  script.reads = {"a LOGIN a@example.org pw\r\nb COMPRESS DEFLATE\r\n" + deflate_raw("c NOOP\r\nd COMPRESS DEFLATE\r\n"),
                  deflate_raw("e LOGOUT\r\n")};
  std::string out = harness.run(script);
  const std::string marker = "b OK DEFLATE active\r\n";
  auto at = out.find(marker);
  ASSERT_NE(at, std::string::npos) << out;
  std::string plain = inflate_raw(out.substr(at + marker.size()));
  EXPECT_EQ(plain,
            "c OK NOOP completed\r\n"
            "d NO [COMPRESSIONACTIVE] Compression is already active\r\n"
            "* BYE Logging out\r\ne OK LOGOUT completed\r\n");
}

}  // namespace
}  // namespace taube::imap::server
