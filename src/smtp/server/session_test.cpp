#include "smtp/server/session.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>

#include "admin/admin.hpp"
#include "smtp/server/session_test_support.hpp"
#include "store/queue.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace taube::smtp::server {
namespace {

namespace asio = boost::asio;
using test::FakeTransport;

const std::string kTestData = std::string(TAUBE_SOURCE_DIR) + "/src/smtp/server/testdata/";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// A real SQLite store in a temp dir with example.org: alice, bob, carol; the alias
// team@ -> alice, bob; sales@ -> alice. Commits can be made to fail (fail_sync_).
class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/taube-smtpd-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    store::sqlite::SqliteOptions so;
    so.path = dir_ / "taube.db";
    so.on_sync = [this] { return !fail_sync_.load(); };
    store_ = std::move(store::sqlite::open_sqlite_store(so).value());
    ASSERT_TRUE(run(admin::add_domain(*store_, "example.org")));
    for (const char* user : {"alice", "bob", "carol"})
      ASSERT_TRUE(run(admin::add_user(*store_, std::string(user) + "@example.org",
                                      std::string(user) + "-secret")));
    ASSERT_TRUE(run(
        admin::add_alias(*store_, "team@example.org", {"alice@example.org", "bob@example.org"})));
    ASSERT_TRUE(run(admin::add_alias(*store_, "sales@example.org", {"alice@example.org"})));
    authenticator_ = std::make_unique<auth::Authenticator>(
        *store_, auth::ThrottlePolicy{.failure_delay = std::chrono::milliseconds(0),
                                      .max_failures_per_address = 3});

    options_.hostname = "mx.example.org";
    options_.limits.max_message_bytes = 10 * 1024 * 1024;
    options_.max_errors = 10;
    options_.command_timeout = std::chrono::seconds(300);
    options_.data_timeout = std::chrono::seconds(600);
    auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    options_.tls_context = [context] { return context; };
    options_.now = [] {
      using namespace std::chrono;
      return system_clock::time_point(sys_days{year{2026} / 11 / 26} + hours{12});
    };
  }
  void TearDown() override {
    authenticator_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  template <class T>
  Result<T> run(asio::awaitable<Result<T>> op) {
    std::optional<Result<T>> out;
    asio::co_spawn(io_, std::move(op), [&](std::exception_ptr e, Result<T> r) {
      if (e) std::rethrow_exception(e);
      out.emplace(std::move(r));
    });
    io_.restart();
    io_.run();
    return std::move(*out);
  }

  void run_session(FakeTransport& t) {
    bool done = false;
    asio::co_spawn(io_, smtp::server::run_session(t, *store_, *authenticator_, options_),
                   [&](std::exception_ptr e) {
                     if (e) std::rethrow_exception(e);
                     done = true;
                   });
    io_.restart();
    io_.run();
    ASSERT_TRUE(done);
    EXPECT_TRUE(t.closed);
  }

  store::AccountId account(const std::string& address) {
    return run(store_->find_account(address)).value().id;
  }

  // The raw messages in a user's INBOX, in UID order.
  std::vector<std::string> inbox(const std::string& address) {
    auto a = store_->account(account(address));
    auto box = run(a->get_mailbox(std::string("INBOX"))).value();
    std::vector<std::string> out;
    for (const auto& m : run(a->list_messages(box.id)).value())
      out.push_back(run(a->read_raw(box.id, m.uid)).value());
    return out;
  }

  // Applies the directives of a transcript; see testdata/README.md.
  void apply(const std::vector<std::string>& directives, FakeTransport& t) {
    for (const std::string& d : directives) {
      std::istringstream in(d);
      std::string key;
      in >> key;
      if (key == "mode") {
        std::string m;
        in >> m;
        options_.mode = m == "lmtp"         ? Mode::kLmtp
                        : m == "submission" ? Mode::kSubmission
                                            : Mode::kSmtp;
      } else if (key == "tls") {
        t.tls = true;
      } else if (key == "loopback") {
        t.loopback = true;
        t.remote = "127.0.0.1";
      } else if (key == "no-plaintext-auth") {
        options_.allow_plaintext_auth_from_loopback = false;
      } else if (key == "no-tls-context") {
        options_.tls_context = nullptr;
      } else if (key == "max_recipients") {
        in >> options_.limits.max_recipients;
      } else if (key == "max_errors") {
        in >> options_.max_errors;
      } else if (key == "max_message_bytes") {
        in >> options_.limits.max_message_bytes;
      } else if (key == "no-enforce-sender") {
        options_.enforce_sender = false;
      } else if (key == "fail-sync") {
        fail_sync_ = true;
      } else if (key == "at-piece") {
        // "at-piece N heal-sync" | "at-piece N delete-user ADDRESS"
        std::size_t piece = 0;
        std::string action, arg;
        in >> piece >> action >> arg;
        hooks_.push_back({piece, action, arg});
      } else if (key != "stored" && key != "raw" && key != "queued" && key != "queue-sender") {
        FAIL() << "unknown directive @" << d;
      }
    }
    t.before_piece = [this](std::size_t piece) -> asio::awaitable<void> {
      for (const Hook& h : hooks_) {
        if (h.piece != piece) continue;
        if (h.action == "heal-sync") fail_sync_ = false;
        if (h.action == "delete-user") {
          Result<void> r = co_await admin::delete_user(*store_, h.arg);
          EXPECT_TRUE(r);
        }
      }
    };
  }

  void check_stored(const std::vector<std::string>& directives, const std::string& raw) {
    fail_sync_ = false;
    for (const std::string& d : directives) {
      std::istringstream in(d);
      std::string key, address;
      std::size_t count = 0;
      in >> key >> address;
      if (key == "stored") {
        in >> count;
        EXPECT_EQ(inbox(address).size(), count) << "INBOX of " << address;
      } else if (key == "raw") {
        auto messages = inbox(address);
        ASSERT_FALSE(messages.empty()) << address;
        EXPECT_EQ(test::escape(messages.front()), test::escape(raw));
      } else if (key == "queued") {
        // "@queued DOMAIN RCPT notify=N [orcpt=X]": an entry for DOMAIN holds RCPT.
        std::string rcpt, word;
        in >> rcpt;
        std::string notify = "0", orcpt;
        while (in >> word) {
          if (word.rfind("notify=", 0) == 0) notify = word.substr(7);
          if (word.rfind("orcpt=", 0) == 0) orcpt = word.substr(6);
        }
        const std::string& domain = address;
        const store::QueueEntry* entry = find_entry(domain);
        ASSERT_NE(entry, nullptr) << "no queue entry for " << domain;
        bool found = false;
        for (const store::QueueRecipient& r : entry->recipients) {
          if (r.rcpt.address != rcpt) continue;
          found = true;
          EXPECT_EQ(std::to_string(r.rcpt.notify), notify) << rcpt;
          EXPECT_EQ(r.rcpt.orcpt, orcpt) << rcpt;
          EXPECT_EQ(r.state, store::RecipientState::kPending);
        }
        EXPECT_TRUE(found) << rcpt << " not queued for " << domain;
      } else if (key == "queue-sender") {
        // "@queue-sender SENDER envid=X ret=full|hdrs": every entry has these.
        std::string word, envid, ret;
        while (in >> word) {
          if (word.rfind("envid=", 0) == 0) envid = word.substr(6);
          if (word.rfind("ret=", 0) == 0) ret = word.substr(4);
        }
        load_queue();
        ASSERT_FALSE(queue_.empty());
        for (const store::QueueEntry& e : queue_) {
          EXPECT_EQ(e.sender, address);
          EXPECT_EQ(e.envid, envid);
          EXPECT_EQ(e.ret, ret == "full"   ? store::DsnRet::kFull
                           : ret == "hdrs" ? store::DsnRet::kHeaders
                                           : store::DsnRet::kUnspecified);
          EXPECT_EQ(e.submitted_by, account("alice@example.org"));
          EXPECT_FALSE(e.blob_hash.empty());
        }
      }
    }
  }

  void load_queue() {
    Result<std::vector<store::QueueEntry>> entries = run(store_->queue().list());
    ASSERT_TRUE(entries) << entries.error().detail;
    queue_ = std::move(*entries);
  }
  const store::QueueEntry* find_entry(const std::string& domain) {
    load_queue();
    for (const store::QueueEntry& e : queue_)
      if (e.domain == domain) return &e;
    return nullptr;
  }

  // Runs testdata/<name>.txt and compares the whole rendered conversation.
  void run_transcript(const std::string& name) {
    const std::string text = read_file(kTestData + name + ".txt");
    ASSERT_FALSE(text.empty()) << "missing " << name;
    test::Transcript transcript = test::parse_transcript(text);
    FakeTransport t;
    t.script = transcript.script;
    apply(transcript.directives, t);
    run_session(t);
    EXPECT_EQ(join(test::render(t.events)), join(test::render(transcript.expected))) << name;
    check_stored(transcript.directives, transcript.raw);
  }

  struct Hook {
    std::size_t piece;
    std::string action;
    std::string arg;
  };

  std::filesystem::path dir_;
  asio::io_context io_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  std::atomic<bool> fail_sync_{false};
  std::vector<Hook> hooks_;
  SessionOptions options_;
  std::vector<store::QueueEntry> queue_;
};

// --- Golden transcripts (testdata/*.txt) -------------------------------------

TEST_F(SessionTest, HappyPathStoresTheMessageByteExactWithTraceHeaders) {
  run_transcript("happy_path");
}
TEST_F(SessionTest, PipelinedEnvelopeGetsRepliesInOrder) { run_transcript("pipelining"); }
TEST_F(SessionTest, RsetEndsTheTransaction) { run_transcript("rset"); }
TEST_F(SessionTest, UnknownUserIs550_511) { run_transcript("unknown_user"); }
TEST_F(SessionTest, RelayToForeignDomainIsDenied) { run_transcript("relay_denied"); }
TEST_F(SessionTest, SizeOverLimitIsRefusedAtMailAndAfterData) { run_transcript("size_limit"); }
TEST_F(SessionTest, TooManyRecipientsGets452) { run_transcript("too_many_recipients"); }
TEST_F(SessionTest, ErrorCounterEndsTheSession) { run_transcript("error_counter"); }
TEST_F(SessionTest, SequenceErrorsAndHelpVrfyExpn) { run_transcript("sequence"); }
TEST_F(SessionTest, AuthPlainSucceedsAndAllowsOwnAndAliasSender) { run_transcript("auth_plain"); }
TEST_F(SessionTest, AuthLoginSucceedsWithChallenges) { run_transcript("auth_login"); }
TEST_F(SessionTest, AuthFailureCancelAndThrottling) { run_transcript("auth_failure"); }
TEST_F(SessionTest, SubmissionNeedsTlsBeforeAuthAndAuthBeforeMail) {
  run_transcript("submission_policy");
}
TEST_F(SessionTest, SubmissionFromLoopbackMayAuthWithoutTls) {
  run_transcript("submission_loopback");
}
TEST_F(SessionTest, SubmissionFromLoopbackStrictNeedsTls) {
  run_transcript("submission_loopback_strict");
}
TEST_F(SessionTest, SubmissionForeignRecipientGoesToTheOutboundQueue) {
  run_transcript("submission_foreign");
}
TEST_F(SessionTest, SubmissionFromHeaderMustBelongToTheUser) {
  run_transcript("submission_header_from");
}
TEST_F(SessionTest, SubmissionWithoutSenderEnforcement) {
  run_transcript("submission_no_enforce");
}
TEST_F(SessionTest, StarttlsDiscardsInjectedPipelinedCommands) {
  run_transcript("starttls_injection");
}
TEST_F(SessionTest, StarttlsResetsTheSession) { run_transcript("starttls"); }
TEST_F(SessionTest, BdatChunksAndBdatZeroLast) { run_transcript("bdat"); }
TEST_F(SessionTest, BdatWithoutRecipientsReadsAndDropsTheChunk) { run_transcript("bdat_refused"); }
TEST_F(SessionTest, LmtpRepliesOncePerRecipient) { run_transcript("lmtp"); }
TEST_F(SessionTest, LmtpFailingTargetGetsItsOwnReply) { run_transcript("lmtp_failing_target"); }
TEST_F(SessionTest, StoreFailureIs451AndNothingStored) { run_transcript("store_failure"); }
TEST_F(SessionTest, SmugglingSequencesDoNotEndData) { run_transcript("smuggling"); }
TEST_F(SessionTest, HostileCommandLines) { run_transcript("hostile_commands"); }
TEST_F(SessionTest, AliasAndDuplicateRecipientsStoreOneCopyPerAccount) {
  run_transcript("alias_fanout");
}

// --- Behaviour that needs code rather than a transcript ----------------------

std::string ehlo_mail_rcpt_data() {
  return "EHLO c.example\r\nMAIL FROM:<s@example.net>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n";
}

TEST_F(SessionTest, TheSameConversationGivesTheSameRepliesHoweverTheBytesArrive) {
  const std::string conversation =
      ehlo_mail_rcpt_data() + "Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n";
  FakeTransport whole;
  whole.script = {conversation};
  run_session(whole);
  const std::string expected = whole.server_output();
  for (std::size_t cut : {1ul, 7ul, 17ul, 40ul, 70ul, 90ul, 100ul, conversation.size() - 3}) {
    FakeTransport t;
    t.script = {conversation.substr(0, cut), conversation.substr(cut)};
    run_session(t);
    EXPECT_EQ(t.server_output(), expected) << "cut at " << cut;
  }
  FakeTransport bytewise;
  for (char c : conversation) bytewise.script.emplace_back(1, c);
  run_session(bytewise);
  EXPECT_EQ(bytewise.server_output(), expected);
  EXPECT_EQ(inbox("alice@example.org").size(), 10u);  // whole, 8 cuts, byte by byte
}

TEST_F(SessionTest, AMessageOverTheLimitIsReadToItsEndWithoutBeingHeld) {
  options_.limits.max_message_bytes = 64 * 1024;
  FakeTransport t;
  t.script.push_back(ehlo_mail_rcpt_data());
  const std::string line(998, 'x');
  std::string block;
  while (block.size() < 256 * 1024) block += line + "\r\n";
  for (int i = 0; i < 40; ++i) t.script.push_back(block);  // 10 MiB against 64 KiB
  t.script.push_back(".\r\nQUIT\r\n");
  run_session(t);
  const std::string out = t.server_output();
  EXPECT_NE(out.find("552 5.3.4 "), std::string::npos) << out;
  EXPECT_NE(out.find("221 2.0.0 "), std::string::npos) << out;
  EXPECT_TRUE(inbox("alice@example.org").empty());
  // The deadline for content is the data timeout (RFC 5321 4.5.3.2.6).
  EXPECT_NE(std::find(t.deadlines.begin(), t.deadlines.end(), std::chrono::seconds(600)),
            t.deadlines.end());
}

// Degraded mode: the store commits nothing (kUnavailable); with a spool the message
// goes there, 250 only after spool_message() returned; never both stored and spooled.
TEST_F(SessionTest, StoreUnavailableSpoolsTheMessageAndAnswers250) {
  std::vector<spool::Entry> spooled;
  options_.spool_message = [&spooled](spool::Entry e) {
    spooled.push_back(std::move(e));
    return Result<void>();
  };
  fail_sync_ = true;
  FakeTransport t;
  t.script = {ehlo_mail_rcpt_data(), "Subject: x\r\n\r\nbody\r\n.\r\n", "QUIT\r\n"};
  run_session(t);
  fail_sync_ = false;
  EXPECT_NE(t.server_output().find("250 2.0.0 Message accepted for delivery"), std::string::npos)
      << t.server_output();
  ASSERT_EQ(spooled.size(), 1u);
  EXPECT_EQ(spooled[0].sender, "s@example.net");
  EXPECT_EQ(spooled[0].accounts, std::vector<std::int64_t>{account("alice@example.org").value});
  EXPECT_TRUE(spooled[0].addresses.empty());
  EXPECT_NE(spooled[0].raw.find("Subject: x\r\n\r\nbody\r\n"), std::string::npos);
  EXPECT_NE(spooled[0].raw.find("Received: "), std::string::npos);
  EXPECT_TRUE(inbox("alice@example.org").empty());
}

TEST_F(SessionTest, StoreUnavailableAndSpoolFullIs452) {
  options_.spool_message = [](spool::Entry) -> Result<void> {
    return fail(ErrorCode::kQuotaExceeded, "spool full");
  };
  fail_sync_ = true;
  FakeTransport t;
  t.script = {ehlo_mail_rcpt_data(), "Subject: x\r\n\r\nbody\r\n.\r\n", "QUIT\r\n"};
  run_session(t);
  fail_sync_ = false;
  EXPECT_NE(t.server_output().find("452 4.3.1 "), std::string::npos) << t.server_output();
  EXPECT_EQ(t.server_output().find("250 2.0.0"), std::string::npos);
  EXPECT_TRUE(inbox("alice@example.org").empty());
}

TEST_F(SessionTest, TimeoutEndsTheSessionWithoutStoring) {
  FakeTransport t;
  t.script = {ehlo_mail_rcpt_data(), "Subject: x\r\n\r\npartial"};
  t.timeout_read_at = 2;
  run_session(t);
  EXPECT_TRUE(t.closed);
  EXPECT_TRUE(inbox("alice@example.org").empty());
  ASSERT_FALSE(t.deadlines.empty());
  EXPECT_EQ(t.deadlines.front(), std::chrono::seconds(300));
}

TEST_F(SessionTest, FailedWriteOfTheFinalReplyEndsTheSessionButTheMessageIsStored) {
  // Write 0 is the greeting (flushed with the first read), 1 the replies up to 354,
  // 2 the final 250: it fails after the commit, so the message exists (the client
  // will retry: at-least-once, never lost).
  FakeTransport t;
  t.script = {ehlo_mail_rcpt_data(), "Subject: x\r\n\r\nbody\r\n.\r\n", "QUIT\r\n"};
  t.fail_write_at = 2;
  run_session(t);
  EXPECT_EQ(inbox("alice@example.org").size(), 1u);
  EXPECT_EQ(t.unread_pieces(), 1u);
}

TEST_F(SessionTest, FailedReadEndsTheSessionMidMessage) {
  FakeTransport t;
  t.script = {ehlo_mail_rcpt_data(), "Subject: x\r\n\r\n", "body\r\n.\r\n"};
  t.fail_read_at = 2;
  run_session(t);
  EXPECT_TRUE(inbox("alice@example.org").empty());
}

// A poor man's fuzzer for the state machine (the libFuzzer build has no coroutines):
// random sequences of protocol fragments and junk, cut at random places, in every
// mode. The session must end, and everything it writes must be well-formed reply
// lines, whatever the input (ASan/UBSan watch the rest).
TEST_F(SessionTest, RandomFragmentsNeverBreakTheReplyStream) {
  const std::vector<std::string> fragments = {"EHLO x.example\r\n",
                                              "HELO x\r\n",
                                              "LHLO x\r\n",
                                              "MAIL FROM:<a@example.net>\r\n",
                                              "MAIL FROM:<> SIZE=99999999999\r\n",
                                              "RCPT TO:<alice@example.org>\r\n",
                                              "RCPT TO:<x@example.net>\r\n",
                                              "RCPT TO:<nobody@example.org> NOTIFY=NEVER\r\n",
                                              "DATA\r\n",
                                              "BDAT 5\r\n",
                                              "BDAT 3 LAST\r\n",
                                              "BDAT 0 LAST\r\n",
                                              "BDAT 99999999999999999999\r\n",
                                              ".\r\n",
                                              "\r\n.\r\n",
                                              "\n.\n",
                                              "\r.\r",
                                              "..\r\n",
                                              "RSET\r\n",
                                              "NOOP\r\n",
                                              "STARTTLS\r\n",
                                              "AUTH PLAIN\r\n",
                                              "AUTH LOGIN\r\n",
                                              "AUTH PLAIN AGFiYw==\r\n",
                                              "*\r\n",
                                              "=\r\n",
                                              "VRFY x\r\n",
                                              "HELP\r\n",
                                              std::string(1, '\0'),
                                              "\r",
                                              "\n",
                                              std::string(3000, 'x'),
                                              "Subject: x\r\n\r\nbody\r\n",
                                              "\xff\xfe",
                                              "QUIT\r\n"};
  std::mt19937 rng(20261126);
  const std::regex line(R"([2-5][0-9][0-9][ -][\x20-\x7e]*)");
  for (int round = 0; round < 600; ++round) {
    options_.mode = static_cast<Mode>(round % 3);
    options_.limits.max_message_bytes = 1000;
    FakeTransport t;
    t.loopback = round % 2 == 0;
    t.remote = t.loopback ? "127.0.0.1" : "192.0.2.10";
    std::string input;
    const int n = std::uniform_int_distribution<int>(1, 60)(rng);
    for (int i = 0; i < n; ++i)
      input += fragments[std::uniform_int_distribution<std::size_t>(0, fragments.size() - 1)(rng)];
    for (std::size_t at = 0; at < input.size();) {
      const std::size_t len = std::uniform_int_distribution<std::size_t>(1, 700)(rng);
      t.script.push_back(input.substr(at, len));
      at += len;
    }
    run_session(t);
    const std::string out = t.server_output();
    ASSERT_GE(out.size(), 2u);
    ASSERT_EQ(out.substr(out.size() - 2), "\r\n") << test::escape(out);
    std::size_t start = 0;
    while (start < out.size()) {
      const std::size_t end = out.find("\r\n", start);
      ASSERT_NE(end, std::string::npos);
      const std::string l = out.substr(start, end - start);
      ASSERT_TRUE(std::regex_match(l, line)) << "round " << round << ": " << test::escape(l);
      ASSERT_LE(l.size(), 510u);
      start = end + 2;
    }
  }
}

// --- Large messages: the spill file -------------------------------------------

std::size_t files_in(const std::filesystem::path& dir) {
  std::size_t n = 0;
  if (std::filesystem::exists(dir))
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

TEST_F(SessionTest, MessagesOverTheMemoryThresholdGoThroughTheSpillFileByteExact) {
  options_.spill_dir = dir_ / "tmp";
  options_.spill_threshold = 4096;
  std::string body = "Subject: big\r\n\r\n";
  for (int i = 0; body.size() < 300 * 1024; ++i) body += "line " + std::to_string(i) + "\r\n";
  std::string bdat_body = "Subject: big bdat\r\n\r\n" + body.substr(20) + "bare\nLF kept\r\n";
  FakeTransport t;
  t.script.push_back(ehlo_mail_rcpt_data());
  for (std::size_t at = 0; at < body.size(); at += 10000) t.script.push_back(body.substr(at, 10000));
  // A refused message (RSET in the middle of BDAT) leaves no trace in the next one.
  t.script.push_back(".\r\nMAIL FROM:<s@example.net>\r\nRCPT TO:<bob@example.org>\r\nBDAT 20000\r\n" +
                     std::string(20000, 'z') + "RSET\r\n");
  t.script.push_back("MAIL FROM:<s@example.net>\r\nRCPT TO:<bob@example.org>\r\nBDAT " +
                     std::to_string(bdat_body.size()) + " LAST\r\n");
  for (std::size_t at = 0; at < bdat_body.size(); at += 7000)
    t.script.push_back(bdat_body.substr(at, 7000));
  t.script.push_back("QUIT\r\n");
  run_session(t);
  const std::string out = t.server_output();
  EXPECT_EQ(out.find("451"), std::string::npos) << out;
  const auto alice = inbox("alice@example.org");
  ASSERT_EQ(alice.size(), 1u) << out;
  ASSERT_GT(alice[0].size(), body.size());
  EXPECT_EQ(alice[0].substr(alice[0].size() - body.size()), body);
  EXPECT_EQ(alice[0].find("Return-Path: <s@example.net>\r\nReceived: "), 0u);
  const auto bob = inbox("bob@example.org");
  ASSERT_EQ(bob.size(), 1u) << out;
  EXPECT_EQ(bob[0].substr(bob[0].size() - bdat_body.size()), bdat_body);
  EXPECT_EQ(bob[0].find('z'), std::string::npos);
  EXPECT_EQ(files_in(dir_ / "tmp"), 0u) << "spill files are unlinked";
}

TEST_F(SessionTest, AnUnusableSpillDirectoryIs451NotALostMessage) {
  options_.spill_dir = "/proc/taube-no-such-dir";
  options_.spill_threshold = 4096;
  FakeTransport t;
  t.script.push_back(ehlo_mail_rcpt_data() + "Subject: x\r\n\r\n" + std::string(50000, 'a') +
                     "\r\n.\r\nMAIL FROM:<s@example.net>\r\nRCPT TO:<alice@example.org>\r\n"
                     "DATA\r\nSubject: small\r\n\r\nfits in memory\r\n.\r\nQUIT\r\n");
  run_session(t);
  const std::string out = t.server_output();
  EXPECT_NE(out.find("451 4.3.0 Temporary failure, message not stored"), std::string::npos) << out;
  const auto alice = inbox("alice@example.org");
  ASSERT_EQ(alice.size(), 1u) << out;
  EXPECT_NE(alice[0].find("fits in memory"), std::string::npos);
}

// --- Outbound -------------------------------------------------------------------

TEST_F(SessionTest, OnlyForeignRecipientsAreQueuedWithoutALocalCopy) {
  options_.mode = Mode::kSubmission;
  FakeTransport t;
  t.tls = true;
  t.script.push_back(
      "EHLO c.example\r\nAUTH PLAIN AGFsaWNlQGV4YW1wbGUub3JnAGFsaWNlLXNlY3JldA==\r\n"
      "MAIL FROM:<>\r\nRCPT TO:<a@example.net>\r\nRCPT TO:<b@example.net>\r\n"
      "RCPT TO:<c@[192.0.2.1]>\r\nDATA\r\n");
  t.script.push_back("From: alice@example.org\r\nSubject: out\r\n\r\nhi\r\n.\r\nQUIT\r\n");
  run_session(t);
  const std::string out = t.server_output();
  EXPECT_NE(out.find("250 2.0.0 Message accepted for delivery"), std::string::npos) << out;
  load_queue();
  std::size_t recipients = 0;
  for (const store::QueueEntry& e : queue_) {
    EXPECT_EQ(e.sender, "");
    recipients += e.recipients.size();
  }
  EXPECT_EQ(recipients, 3u);
  ASSERT_NE(find_entry("example.net"), nullptr);
  EXPECT_EQ(find_entry("example.net")->recipients.size(), 2u);
  EXPECT_TRUE(inbox("alice@example.org").empty());
}

TEST_F(SessionTest, AFailedCommitWithOutboundRecipientsIs451AndQueuesNothing) {
  options_.mode = Mode::kSubmission;
  fail_sync_ = true;
  FakeTransport t;
  t.tls = true;
  t.script.push_back(
      "EHLO c.example\r\nAUTH PLAIN AGFsaWNlQGV4YW1wbGUub3JnAGFsaWNlLXNlY3JldA==\r\n"
      "MAIL FROM:<alice@example.org>\r\nRCPT TO:<a@example.net>\r\nRCPT TO:<bob@example.org>\r\n"
      "DATA\r\n");
  t.script.push_back("Subject: out\r\n\r\nhi\r\n.\r\nQUIT\r\n");
  run_session(t);
  fail_sync_ = false;
  const std::string out = t.server_output();
  EXPECT_NE(out.find("451 4.3.0"), std::string::npos) << out;
  EXPECT_EQ(out.find("250 2.0.0 Message accepted"), std::string::npos) << out;
  load_queue();
  EXPECT_TRUE(queue_.empty());
  EXPECT_TRUE(inbox("bob@example.org").empty());
}

TEST_F(SessionTest, MxAndLmtpNeverRelayEvenForAKnownSender) {
  for (Mode mode : {Mode::kSmtp, Mode::kLmtp}) {
    options_.mode = mode;
    FakeTransport t;
    t.script.push_back(std::string(mode == Mode::kLmtp ? "LHLO" : "EHLO") +
                       " c.example\r\nMAIL FROM:<alice@example.org>\r\n"
                       "RCPT TO:<victim@example.net>\r\nQUIT\r\n");
    run_session(t);
    EXPECT_NE(t.server_output().find("550 5.7.1 Relaying denied"), std::string::npos)
        << t.server_output();
  }
  load_queue();
  EXPECT_TRUE(queue_.empty());
}

TEST_F(SessionTest, AFromFieldBehindManyOrLongHeadersIsStillChecked) {
  options_.mode = Mode::kSubmission;
  std::string many;
  for (int i = 0; i < 3000; ++i) many += "X-Filler-" + std::to_string(i) + ": x\r\n";
  std::string huge;
  while (huge.size() < 300 * 1024) huge += "X-Long: " + std::string(900, 'h') + "\r\n";
  FakeTransport t;
  t.tls = true;
  const std::string envelope =
      "MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n";
  t.script.push_back("EHLO c.example\r\nAUTH PLAIN AGFsaWNlQGV4YW1wbGUub3JnAGFsaWNlLXNlY3JldA==\r\n" +
                     envelope + many + "From: carol@example.org\r\n\r\nx\r\n.\r\n" + envelope +
                     huge + "From: carol@example.org\r\n\r\nx\r\n.\r\n" + envelope + many +
                     "From: alice@example.org\r\n\r\nx\r\n.\r\nQUIT\r\n");
  run_session(t);
  const std::string out = t.server_output();
  EXPECT_NE(out.find("550 5.7.1 From: header address not owned by the authenticated user"),
            std::string::npos) << out;
  EXPECT_NE(out.find("550 5.7.1 Header section too long to check the From: address"),
            std::string::npos) << out;
  EXPECT_EQ(inbox("bob@example.org").size(), 1u) << out;
}

}  // namespace
}  // namespace taube::smtp::server
