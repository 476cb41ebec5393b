#include "net/listener.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

#include <thread>

#include "net/self_signed.hpp"

namespace taube::net {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// A line protocol for the test: echoes lines; "STARTTLS" upgrades; "WAIT" reads with
// a 200 ms deadline and reports whether it timed out.
asio::awaitable<void> echo_session(std::shared_ptr<TlsContexts> tls, std::unique_ptr<Transport> s) {
  s->set_deadline(std::chrono::seconds(10));
  co_await s->write(s->is_tls() ? "hello tls\n" : "hello\n");
  std::string buffer;
  char chunk[256];
  for (;;) {
    size_t nl;
    while ((nl = buffer.find('\n')) == std::string::npos) {
      size_t n = co_await s->read_some(chunk, sizeof chunk);
      if (n == 0) co_return;
      buffer.append(chunk, n);
    }
    std::string line = buffer.substr(0, nl);
    buffer.erase(0, nl + 1);
    if (line == "STARTTLS") {
      co_await s->write("go ahead\n");
      buffer.clear();  // pipelined plaintext must never reach the TLS session
      if (!co_await s->start_tls(tls->server())) co_return;
    } else if (line == "IDLE") {
      // wait_readable(): woken at its time with nothing to read, then ready for the next line.
      auto first = co_await s->wait_readable(std::chrono::steady_clock::now() + std::chrono::milliseconds(100));
      co_await s->write(first == Transport::Readiness::kWoken ? "woken\n" : "not woken\n");
      auto second = co_await s->wait_readable(std::chrono::steady_clock::time_point::max());
      co_await s->write(second == Transport::Readiness::kReadable ? "readable\n" : "not readable\n");
    } else if (line == "WAIT") {
      s->set_deadline(std::chrono::milliseconds(200));
      size_t n = co_await s->read_some(chunk, sizeof chunk);
      if (n == 0 && s->timed_out()) {
        co_await s->write("timed out\n");  // the last reply still goes out
        co_return;  // and then the client sees the close
      }
      co_await s->write("no timeout\n");
    } else {
      co_await s->write("echo " + line + (s->is_tls() ? " (tls)" : "") + "\n");
    }
  }
}

class ListenerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/taube-net-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    ASSERT_TRUE(ensure_self_signed(dir_ / "cert.pem", dir_ / "key.pem", "localhost"));
    auto tls = TlsContexts::load(dir_ / "cert.pem", dir_ / "key.pem");
    ASSERT_TRUE(tls) << tls.error().detail;
    tls_ = *tls;
  }
  void TearDown() override {
    for (auto& l : listeners_) l->stop();
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
    listeners_.clear();
    std::filesystem::remove_all(dir_);
  }
  uint16_t listen(ListenerOptions options) {
    auto tls = tls_;
    auto l = Listener::open(io_.get_executor(), std::move(options), tls_,
                            [tls](std::unique_ptr<Transport> s) { return echo_session(tls, std::move(s)); });
    EXPECT_TRUE(l) << l.error().detail;
    (*l)->start();
    uint16_t port = (*l)->port();
    listeners_.push_back(std::move(*l));
    if (!thread_.joinable()) thread_ = std::thread([this] { io_.run(); });
    return port;
  }

  std::filesystem::path dir_;
  std::shared_ptr<TlsContexts> tls_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::thread thread_;
};

template <class S>
std::string read_line(S& s, std::string& buf) {
  boost::system::error_code ec;
  size_t n = asio::read_until(s, asio::dynamic_buffer(buf), '\n', ec);
  if (ec) return "<" + ec.message() + ">";
  std::string line = buf.substr(0, n - 1);
  buf.erase(0, n);
  return line;
}

TEST_F(ListenerTest, EchoesThenUpgradesWithStartTlsDiscardingPipelinedPlaintext) {
  uint16_t port = listen({.protocol = "test", .port = 0});
  asio::io_context client_io;
  asio::ssl::context client_tls(asio::ssl::context::tls_client);
  asio::ssl::stream<tcp::socket> s(client_io, client_tls);
  s.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  std::string buf;
  EXPECT_EQ(read_line(s.next_layer(), buf), "hello");
  asio::write(s.next_layer(), asio::buffer(std::string("one\n")));
  EXPECT_EQ(read_line(s.next_layer(), buf), "echo one");
  // The injected command after STARTTLS must not be executed inside TLS.
  asio::write(s.next_layer(), asio::buffer(std::string("STARTTLS\nINJECTED\n")));
  EXPECT_EQ(read_line(s.next_layer(), buf), "go ahead");
  s.set_verify_mode(asio::ssl::verify_none);
  s.handshake(asio::ssl::stream_base::client);
  asio::write(s, asio::buffer(std::string("two\n")));
  std::string tls_buf;
  EXPECT_EQ(read_line(s, tls_buf), "echo two (tls)");
}

TEST_F(ListenerTest, ImplicitTlsHandshakesBeforeTheSession) {
  uint16_t port = listen({.protocol = "tests", .port = 0, .implicit_tls = true});
  asio::io_context client_io;
  asio::ssl::context client_tls(asio::ssl::context::tls_client);
  asio::ssl::stream<tcp::socket> s(client_io, client_tls);
  s.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  s.set_verify_mode(asio::ssl::verify_none);
  s.handshake(asio::ssl::stream_base::client);
  std::string buf;
  EXPECT_EQ(read_line(s, buf), "hello tls");
}

TEST_F(ListenerTest, WaitReadableWakesAtItsTimeThenOnInputPlainAndTls) {
  uint16_t plain = listen({.protocol = "test", .port = 0});
  uint16_t tls = listen({.protocol = "tests", .port = 0, .implicit_tls = true});
  asio::io_context client_io;
  tcp::socket s(client_io);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), plain));
  std::string buf;
  EXPECT_EQ(read_line(s, buf), "hello");
  asio::write(s, asio::buffer(std::string("IDLE\n")));
  EXPECT_EQ(read_line(s, buf), "woken");
  asio::write(s, asio::buffer(std::string("after\n")));
  EXPECT_EQ(read_line(s, buf), "readable");
  EXPECT_EQ(read_line(s, buf), "echo after");

  asio::ssl::context client_tls(asio::ssl::context::tls_client);
  asio::ssl::stream<tcp::socket> t(client_io, client_tls);
  t.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), tls));
  t.set_verify_mode(asio::ssl::verify_none);
  t.handshake(asio::ssl::stream_base::client);
  std::string tbuf;
  EXPECT_EQ(read_line(t, tbuf), "hello tls");
  asio::write(t, asio::buffer(std::string("IDLE\n")));
  EXPECT_EQ(read_line(t, tbuf), "woken");
  asio::write(t, asio::buffer(std::string("after\n")));
  EXPECT_EQ(read_line(t, tbuf), "readable");
  EXPECT_EQ(read_line(t, tbuf), "echo after (tls)");
}

TEST_F(ListenerTest, RefusesOverThePerAddressLimitWithTheBusyReply) {
  uint16_t port = listen({.protocol = "test", .port = 0, .max_connections_per_ip = 1,
                          .busy_reply = "421 too many connections\r\n"});
  asio::io_context client_io;
  tcp::socket first(client_io), second(client_io);
  first.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  std::string b1, b2;
  EXPECT_EQ(read_line(first, b1), "hello");
  second.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  EXPECT_EQ(read_line(second, b2), "421 too many connections\r");
  EXPECT_EQ(read_line(second, b2), "<End of file>");
  // The first connection is unaffected, and closing it frees the place.
  asio::write(first, asio::buffer(std::string("still here\n")));
  EXPECT_EQ(read_line(first, b1), "echo still here");
  first.close();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  tcp::socket third(client_io);
  third.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  std::string b3;
  EXPECT_EQ(read_line(third, b3), "hello");
}

TEST_F(ListenerTest, DeadlineClosesASilentPeer) {
  uint16_t port = listen({.protocol = "test", .port = 0});
  asio::io_context client_io;
  tcp::socket s(client_io);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  std::string buf;
  EXPECT_EQ(read_line(s, buf), "hello");
  auto start = std::chrono::steady_clock::now();
  asio::write(s, asio::buffer(std::string("WAIT\n")));
  EXPECT_EQ(read_line(s, buf), "timed out");
  EXPECT_EQ(read_line(s, buf), "<End of file>");
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, std::chrono::milliseconds(150));
  EXPECT_LT(waited, std::chrono::seconds(5));
}

TEST(Listener, ReportsABusyPortClearly) {
  asio::io_context io;
  auto first = Listener::open(io.get_executor(), {.protocol = "smtp", .port = 0}, nullptr,
                              [](std::unique_ptr<Transport>) -> asio::awaitable<void> { co_return; });
  ASSERT_TRUE(first);
  auto second = Listener::open(io.get_executor(), {.protocol = "smtp", .port = (*first)->port()}, nullptr,
                               [](std::unique_ptr<Transport>) -> asio::awaitable<void> { co_return; });
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().detail.find("cannot listen for smtp on 127.0.0.1:"), std::string::npos)
      << second.error().detail;
}

}  // namespace
}  // namespace taube::net
