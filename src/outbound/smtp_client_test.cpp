// The SMTP client against an in-memory peer: a transport whose "server" answers
// each command line the client writes, so that pipelining, fallbacks and
// per-recipient replies are checked without sockets.
#include "outbound/smtp_client.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <functional>
#include <map>

namespace taube::outbound {
namespace {
namespace asio = boost::asio;

// A scripted SMTP server. `answer` maps a command (upper-cased verb, or the full
// line) to its reply; DATA content is collected until the final dot.
struct FakePeer {
  std::string greeting = "220 peer.test ESMTP\r\n";
  std::vector<std::string> ehlo_caps = {"PIPELINING", "SIZE 1000000", "8BITMIME"};
  bool ehlo_refused = false;
  std::map<std::string, std::string> rcpt_replies;  // address -> reply line
  std::string mail_reply = "250 2.1.0 ok\r\n";
  std::string data_end_reply = "250 2.0.0 queued\r\n";
  std::vector<std::string> commands;  // every command line received
  std::vector<std::string> writes;    // every write() call's bytes
  std::vector<std::string> messages;  // DATA/BDAT payloads received
  bool tls_ok = true;

  std::string out;  // bytes waiting to be read by the client
  std::string in;   // client bytes not yet handled
  bool in_data = false;
  size_t bdat_left = 0;
  std::string body;

  void feed(std::string_view bytes) {
    in += bytes;
    for (;;) {
      if (bdat_left) {
        size_t n = std::min(bdat_left, in.size());
        body += in.substr(0, n);
        in.erase(0, n);
        bdat_left -= n;
        if (bdat_left) return;
        messages.push_back(body);
        body.clear();
        out += data_end_reply;
        continue;
      }
      auto eol = in.find("\r\n");
      if (eol == std::string::npos) return;
      std::string line = in.substr(0, eol);
      in.erase(0, eol + 2);
      if (in_data) {
        if (line == ".") {
          in_data = false;
          messages.push_back(body);
          body.clear();
          out += data_end_reply;
        } else {
          body += line + "\r\n";
        }
        continue;
      }
      commands.push_back(line);
      std::string verb = line.substr(0, line.find(' '));
      for (auto& c : verb) c = char(std::toupper(uint8_t(c)));
      if (verb == "EHLO") {
        if (ehlo_refused) {
          out += "502 5.5.1 no EHLO here\r\n";
          continue;
        }
        std::vector<std::string> lines = {"peer.test"};
        lines.insert(lines.end(), ehlo_caps.begin(), ehlo_caps.end());
        for (size_t i = 0; i < lines.size(); ++i)
          out += (i + 1 == lines.size() ? "250 " : "250-") + lines[i] + "\r\n";
      } else if (verb == "HELO") {
        out += "250 peer.test\r\n";
      } else if (verb == "MAIL") {
        out += mail_reply;
      } else if (verb == "RCPT") {
        auto lt = line.find('<'), gt = line.find('>');
        std::string addr = line.substr(lt + 1, gt - lt - 1);
        auto it = rcpt_replies.find(addr);
        out += it != rcpt_replies.end() ? it->second : "250 2.1.5 ok\r\n";
      } else if (verb == "DATA") {
        in_data = true;
        out += "354 go ahead\r\n";
      } else if (verb == "BDAT") {
        bdat_left = std::stoul(line.substr(5));
        if (bdat_left == 0) {
          messages.push_back(body);
          out += data_end_reply;
        }
      } else if (verb == "RSET") {
        out += "250 2.0.0 ok\r\n";
      } else if (verb == "STARTTLS") {
        out += "220 2.0.0 go\r\n";
      } else if (verb == "QUIT") {
        out += "221 2.0.0 bye\r\n";
      } else {
        out += "500 5.5.2 what\r\n";
      }
    }
  }
};

class PeerTransport final : public net::Transport {
 public:
  explicit PeerTransport(FakePeer& peer) : peer_(peer) { peer_.out = peer_.greeting; }
  asio::awaitable<std::size_t> read_some(char* buf, std::size_t size) override {
    if (peer_.out.empty()) co_return 0;  // the peer has nothing to say: as if closed
    size_t n = std::min(size, peer_.out.size());
    std::copy_n(peer_.out.data(), n, buf);
    peer_.out.erase(0, n);
    co_return n;
  }
  asio::awaitable<bool> write(std::string_view bytes) override {
    peer_.writes.emplace_back(bytes);
    peer_.feed(bytes);
    co_return true;
  }
  asio::awaitable<bool> start_tls(std::shared_ptr<asio::ssl::context>) override {
    tls_ = peer_.tls_ok;
    co_return peer_.tls_ok;
  }
  void set_deadline(std::chrono::steady_clock::duration) override {}
  bool timed_out() const override { return false; }
  bool is_tls() const override { return tls_; }
  const std::string& remote_address() const override { return address_; }
  bool is_loopback() const override { return true; }
  std::string tls_description() const override { return {}; }
  void close() override {}

 private:
  FakePeer& peer_;
  bool tls_ = false;
  std::string address_ = "127.0.0.1";
};

template <class T>
T run(asio::awaitable<T> a) {
  asio::io_context io;
  auto fut = asio::co_spawn(io, std::move(a), asio::use_future);
  io.run();
  return fut.get();
}

Envelope envelope(std::vector<std::string> rcpts, std::string sender = "alice@a.test") {
  Envelope e;
  e.sender = std::move(sender);
  for (auto& r : rcpts) e.recipients.push_back(store::OutboundRecipient{r, "", 0});
  return e;
}

const std::string kMessage = "From: alice@a.test\r\nSubject: hi\r\n\r\nline\r\n.dot line\r\n";

TEST(SmtpClient, PipelinesMailAndRcptsAndReportsEachRecipient) {
  FakePeer peer;
  peer.rcpt_replies["nobody@b.test"] = "550 5.1.1 no such user\r\n";
  peer.rcpt_replies["later@b.test"] = "451 4.3.0 try later\r\n";
  SmtpClient client(std::make_unique<PeerTransport>(peer), ClientOptions{});
  SmtpReply hello = run(client.open(nullptr));
  ASSERT_EQ(hello.code, 250);
  EXPECT_TRUE(client.extensions().pipelining);
  EXPECT_EQ(client.extensions().size, 1000000u);
  auto e = envelope({"bob@b.test", "nobody@b.test", "later@b.test"});
  size_t writes_before = peer.writes.size();
  SendResult r = run(client.send(e, kMessage));
  ASSERT_EQ(r.recipients.size(), 3u);
  EXPECT_EQ(r.recipients[0].reply.code, 250);
  EXPECT_EQ(r.recipients[1].reply.code, 550);
  EXPECT_EQ(r.recipients[2].reply.code, 451);
  EXPECT_TRUE(r.connection_usable);
  // MAIL + 3 RCPT in one write (RFC 2920), then DATA, then the content.
  ASSERT_GE(peer.writes.size(), writes_before + 3);
  EXPECT_NE(peer.writes[writes_before].find("MAIL FROM:<alice@a.test> SIZE="), std::string::npos);
  EXPECT_NE(peer.writes[writes_before].find("RCPT TO:<later@b.test>"), std::string::npos);
  ASSERT_EQ(peer.messages.size(), 1u);
  EXPECT_EQ(peer.messages[0], "From: alice@a.test\r\nSubject: hi\r\n\r\nline\r\n..dot line\r\n");  // stuffed

  // The connection carries a second transaction.
  SendResult r2 = run(client.send(envelope({"carol@b.test"}), "Subject: 2\r\n\r\nx\r\n"));
  ASSERT_EQ(r2.recipients.size(), 1u);
  EXPECT_EQ(r2.recipients[0].reply.code, 250);
  EXPECT_EQ(peer.messages.size(), 2u);
}

TEST(SmtpClient, FallsBackToHeloAndSendsOneCommandAtATime) {
  FakePeer peer;
  peer.ehlo_refused = true;
  SmtpClient client(std::make_unique<PeerTransport>(peer), ClientOptions{});
  ASSERT_EQ(run(client.open(nullptr)).code, 250);
  EXPECT_FALSE(client.extensions().esmtp);
  SendResult r = run(client.send(envelope({"bob@b.test"}), kMessage));
  EXPECT_EQ(r.recipients[0].reply.code, 250);
  EXPECT_EQ(peer.commands[1].substr(0, 4), "HELO");
  EXPECT_EQ(peer.commands[2], "MAIL FROM:<alice@a.test>");  // no SIZE without ESMTP
}

TEST(SmtpClient, RefusesEightBitToAPeerWithout8BitMime) {
  FakePeer peer;
  peer.ehlo_caps = {"PIPELINING"};
  SmtpClient client(std::make_unique<PeerTransport>(peer), ClientOptions{});
  ASSERT_EQ(run(client.open(nullptr)).code, 250);
  SendResult r = run(client.send(envelope({"bob@b.test"}), "Subject: x\r\n\r\ncaf\xc3\xa9\r\n"));
  ASSERT_EQ(r.recipients.size(), 1u);
  EXPECT_EQ(r.recipients[0].reply.code, 554);
  EXPECT_NE(r.recipients[0].reply.text().find("5.6.3"), std::string::npos);
  EXPECT_TRUE(peer.messages.empty());
  for (auto& c : peer.commands) EXPECT_NE(c.substr(0, 4), "MAIL");
}

TEST(SmtpClient, DeclaresEightBitAndUsesChunkingWhenOffered) {
  FakePeer peer;
  peer.ehlo_caps = {"PIPELINING", "8BITMIME", "CHUNKING", "SMTPUTF8"};
  SmtpClient client(std::make_unique<PeerTransport>(peer), ClientOptions{});
  ASSERT_EQ(run(client.open(nullptr)).code, 250);
  std::string msg = "Subject: x\r\n\r\ncaf\xc3\xa9\r\n.no stuffing\r\n";
  SendResult r = run(client.send(envelope({"b\xc3\xb6@b.test"}), msg));
  EXPECT_EQ(r.recipients[0].reply.code, 250);
  bool saw_mail = false;
  for (auto& c : peer.commands)
    if (c.rfind("MAIL", 0) == 0) {
      saw_mail = true;
      EXPECT_NE(c.find("BODY=8BITMIME"), std::string::npos);
      EXPECT_NE(c.find("SMTPUTF8"), std::string::npos);
    }
  EXPECT_TRUE(saw_mail);
  ASSERT_EQ(peer.messages.size(), 1u);
  EXPECT_EQ(peer.messages[0], msg);  // BDAT: the bytes as they are
}

TEST(SmtpClient, NoRecipientAcceptedMeansNoData) {
  FakePeer peer;
  peer.rcpt_replies["x@b.test"] = "550 5.1.1 no\r\n";
  SmtpClient client(std::make_unique<PeerTransport>(peer), ClientOptions{});
  ASSERT_EQ(run(client.open(nullptr)).code, 250);
  SendResult r = run(client.send(envelope({"x@b.test"}), kMessage));
  EXPECT_EQ(r.recipients[0].reply.code, 550);
  EXPECT_TRUE(peer.messages.empty());
  EXPECT_EQ(peer.commands.back(), "RSET");
}

TEST(SmtpClient, FinalReplyAppliesToEveryAcceptedRecipient) {
  FakePeer peer;
  peer.data_end_reply = "452 4.3.1 disk full\r\n";
  SmtpClient client(std::make_unique<PeerTransport>(peer), ClientOptions{});
  ASSERT_EQ(run(client.open(nullptr)).code, 250);
  SendResult r = run(client.send(envelope({"a@b.test", "b@b.test"}), kMessage));
  EXPECT_EQ(r.recipients[0].reply.code, 452);
  EXPECT_EQ(r.recipients[1].reply.code, 452);
  EXPECT_TRUE(r.recipients[1].reply.transient());
}

TEST(SmtpClient, MessageOverTheAnnouncedSizeIsRefusedLocally) {
  FakePeer peer;
  peer.ehlo_caps = {"SIZE 100"};
  SmtpClient client(std::make_unique<PeerTransport>(peer), ClientOptions{});
  ASSERT_EQ(run(client.open(nullptr)).code, 250);
  SendResult r = run(client.send(envelope({"a@b.test"}), "Subject: x\r\n\r\n" + std::string(200, 'a') + "\r\n"));
  EXPECT_EQ(r.recipients[0].reply.code, 552);
}

TEST(SmtpClient, StartTlsThenEhloAgain) {
  FakePeer peer;
  peer.ehlo_caps = {"STARTTLS", "PIPELINING"};
  ClientOptions options;
  SmtpClient client(std::make_unique<PeerTransport>(peer), options);
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  ASSERT_EQ(run(client.open(ctx)).code, 250);
  EXPECT_TRUE(client.is_tls());
  ASSERT_EQ(peer.commands.size(), 3u);
  EXPECT_EQ(peer.commands[1], "STARTTLS");
  EXPECT_EQ(peer.commands[2].substr(0, 4), "EHLO");
}

TEST(SmtpClient, FailedHandshakeIsReported) {
  FakePeer peer;
  peer.ehlo_caps = {"STARTTLS"};
  peer.tls_ok = false;
  SmtpClient client(std::make_unique<PeerTransport>(peer), ClientOptions{});
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  EXPECT_EQ(run(client.open(ctx)).code, 0);
  EXPECT_TRUE(client.tls_failed());
}

TEST(SmtpClient, MultiLineRepliesAndGreetingRefusal) {
  FakePeer peer;
  peer.greeting = "554-not here\r\n554 go away\r\n";
  SmtpClient client(std::make_unique<PeerTransport>(peer), ClientOptions{});
  SmtpReply r = run(client.open(nullptr));
  EXPECT_EQ(r.code, 554);
  ASSERT_EQ(r.lines.size(), 2u);
  EXPECT_EQ(r.text(), "554 not here / go away");
}

TEST(SmtpClient, DsnParametersPassedWhenOffered) {
  FakePeer peer;
  peer.ehlo_caps = {"DSN"};
  SmtpClient client(std::make_unique<PeerTransport>(peer), ClientOptions{});
  ASSERT_EQ(run(client.open(nullptr)).code, 250);
  Envelope e = envelope({"a@b.test"});
  e.envid = "id+1";
  e.ret = store::DsnRet::kHeaders;
  e.recipients[0].notify = store::kNotifyFailure | store::kNotifyDelay;
  e.recipients[0].orcpt = "rfc822;a@b.test";
  run(client.send(e, kMessage));
  EXPECT_EQ(peer.commands[1], "MAIL FROM:<alice@a.test> RET=HDRS ENVID=id+2B1");
  EXPECT_EQ(peer.commands[2], "RCPT TO:<a@b.test> NOTIFY=FAILURE,DELAY ORCPT=rfc822;a@b.test");
}

TEST(SmtpClient, DotStuffingAndLineEnds) {
  EXPECT_EQ(dot_stuff("a\n.b\n"), "a\r\n..b\r\n.\r\n");
  EXPECT_EQ(dot_stuff("a"), "a\r\n.\r\n");
  EXPECT_EQ(to_crlf("x\r\ny\nz"), "x\r\ny\r\nz\r\n");
}

}  // namespace
}  // namespace taube::outbound
