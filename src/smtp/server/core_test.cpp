// The pure core on its own: no store, no transport, no coroutine. The session's
// behaviour as a whole is in session_test.cpp (golden transcripts).
#include "smtp/server/core.hpp"

#include <gtest/gtest.h>

namespace taube::smtp::server {
namespace {

using std::chrono::system_clock;

CoreOptions options(Mode mode = Mode::kSmtp) {
  CoreOptions o;
  o.mode = mode;
  o.hostname = "mx.example.org";
  return o;
}

Connection plain() {
  Connection c;
  c.remote_address = "192.0.2.1";
  c.tls_available = true;
  return c;
}

TEST(SmtpSessionCore, WaitsForTheLookupBeforeAnsweringRcptAndKeepsThePipelinedRest) {
  SessionCore core(options(), plain());
  EXPECT_EQ(core.take_output(), "220 mx.example.org ESMTP Taube ready\r\n");
  const std::string input =
      "HELO c\r\nMAIL FROM:<a@example.net>\r\nRCPT TO:<b@example.org>\r\nNOOP\r\n";
  const std::size_t used = core.feed(input, system_clock::time_point{});
  EXPECT_EQ(core.need(), Need::kResolveRecipient);
  EXPECT_EQ(core.lookup_address(), "b@example.org");
  EXPECT_EQ(input.substr(used), "NOOP\r\n") << "the rest waits for the lookup";
  core.recipient_resolved(fail(ErrorCode::kNotFound));
  EXPECT_EQ(core.need(), Need::kInput);
  core.feed(input.substr(used), system_clock::time_point{});
  EXPECT_EQ(core.take_output(),
            "250 mx.example.org\r\n250 2.1.0 Sender OK\r\n550 5.1.1 Mailbox unavailable\r\n"
            "250 2.0.0 OK\r\n");
  EXPECT_EQ(core.errors(), 1u);
}

// Degraded mode: a recipient accepted unresolved is kept apart from the targets, and
// the spool's outcome is the only reply to the message (LMTP: one per recipient).
TEST(SmtpSessionCore, DeferredRecipientIsSpooledNotDelivered) {
  SessionCore core(options(Mode::kLmtp), plain());
  core.take_output();
  core.feed("LHLO c\r\nMAIL FROM:<a@example.net>\r\nRCPT TO:<b@example.org>\r\n", {});
  ASSERT_EQ(core.need(), Need::kResolveRecipient);
  core.recipient_deferred();
  core.feed("RCPT TO:<c@example.org>\r\n", {});
  ASSERT_EQ(core.need(), Need::kResolveRecipient);
  core.recipient_resolved(std::vector<store::AccountId>{store::AccountId{7}});
  core.feed("DATA\r\nSubject: x\r\n\r\nbody\r\n.\r\n", {});
  ASSERT_EQ(core.need(), Need::kDeliver);
  EXPECT_EQ(core.deferred_addresses(), std::vector<std::string>{"b@example.org"});
  EXPECT_EQ(core.sender_address(), "a@example.net");
  ASSERT_EQ(core.targets().size(), 1u);
  EXPECT_EQ(core.targets()[0].account, store::AccountId{7});
  core.spooled(Result<void>());
  const std::string out = core.take_output();
  EXPECT_NE(out.find("250 2.0.0 <b@example.org> Message accepted"), std::string::npos) << out;
  EXPECT_NE(out.find("250 2.0.0 <c@example.org> Message accepted"), std::string::npos) << out;
  EXPECT_EQ(core.need(), Need::kInput);
  EXPECT_TRUE(core.deferred_addresses().empty()) << "the transaction is over";
}

TEST(SmtpSessionCore, FullSpoolIs452) {
  SessionCore core(options(), plain());
  core.take_output();
  core.feed("HELO c\r\nMAIL FROM:<>\r\nRCPT TO:<b@example.org>\r\n", {});
  core.recipient_deferred();
  core.feed("DATA\r\nx\r\n.\r\n", {});
  ASSERT_EQ(core.need(), Need::kDeliver);
  EXPECT_EQ(core.sender_address(), "");
  core.spooled(fail(ErrorCode::kQuotaExceeded, "full"));
  const std::string out = core.take_output();
  EXPECT_NE(out.find("452 4.3.1 "), std::string::npos) << out;
  EXPECT_EQ(core.messages(), 0u);
}

TEST(SmtpSessionCore, StarttlsDropsWhatWasPipelinedAfterIt) {
  SessionCore core(options(), plain());
  core.take_output();
  const std::string input = "EHLO c\r\nSTARTTLS\r\nMAIL FROM:<evil@example.net>\r\n";
  EXPECT_EQ(core.feed(input, {}), input.size());
  EXPECT_EQ(core.need(), Need::kStartTls);
  const auto events = core.take_events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].name, "smtp.starttls_injection");
  Connection tls = plain();
  tls.tls = true;
  core.tls_started(true, tls);
  EXPECT_EQ(core.state(), State::kInit);
  core.take_output();
  core.feed("RCPT TO:<b@example.org>\r\n", {});
  EXPECT_EQ(core.take_output(), "503 5.5.1 Send EHLO first\r\n");
}

TEST(SmtpSessionCore, AuthHandsOutCredentialsOnceAndNeverInEvents) {
  Connection local = plain();
  local.loopback = true;
  SessionCore core(options(Mode::kSubmission), local);
  core.feed("EHLO c\r\nAUTH PLAIN AGFAYi5jAHNlY3JldA==\r\n", {});  // "\0a@b.c\0secret"
  ASSERT_EQ(core.need(), Need::kAuthenticate);
  Credentials c = core.take_credentials();
  EXPECT_EQ(c.user, "a@b.c");
  EXPECT_EQ(c.password, "secret");
  EXPECT_TRUE(core.take_credentials().password.empty());
  core.authenticated(fail(ErrorCode::kPermissionDenied));
  for (const Event& e : core.take_events())
    for (const auto& [k, v] : e.fields) EXPECT_EQ(v.find("secret"), std::string::npos);
  EXPECT_NE(core.take_output().find("535 5.7.8"), std::string::npos);
}

TEST(SmtpSessionCore, DeliveryAsksOnceWithOneTargetPerAccount) {
  SessionCore core(options(), plain());
  core.feed("EHLO c\r\nMAIL FROM:<a@example.net>\r\nRCPT TO:<x@example.org>\r\n", {});
  core.recipient_resolved(std::vector<store::AccountId>{{1}, {2}});
  core.feed("RCPT TO:<y@example.org>\r\n", {});
  core.recipient_resolved(std::vector<store::AccountId>{{2}});
  core.feed("DATA\r\nSubject: s\r\n\r\nbody\r\n.\r\n", {});
  ASSERT_EQ(core.need(), Need::kDeliver);
  ASSERT_EQ(core.targets().size(), 2u);
  const std::string message = core.take_message();
  EXPECT_NE(message.find("\r\n\r\nbody\r\n"), std::string::npos);
  EXPECT_EQ(message.find("Return-Path: <a@example.net>\r\nReceived: "), 0u);
  core.take_output();
  core.delivered(fail(ErrorCode::kUnavailable));
  EXPECT_EQ(core.take_output(),
            "451 4.3.0 Temporary failure, message not stored; try again later\r\n");
  EXPECT_EQ(core.state(), State::kReady);
}

}  // namespace
}  // namespace taube::smtp::server
