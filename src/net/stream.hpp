// A client connection as the protocol sessions see it: a TCP socket that may be
// TLS from the start (implicit TLS, RFC 8314) or become TLS later (STARTTLS), with
// one deadline that a watchdog enforces by closing the socket. Sessions own their
// Stream; it is used from one coroutine at a time (the session's), never shared.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "net/transport.hpp"

namespace taube::net {

class Stream final : public Transport {
 public:
  explicit Stream(boost::asio::ip::tcp::socket socket);
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream() override;

  // Reads what is available (at least one byte). An empty result means the peer
  // closed, the deadline passed or the connection failed; see timed_out().
  boost::asio::awaitable<std::size_t> read_some(char* buf, std::size_t size) override;
  // Socket readiness (or TLS plaintext already buffered by OpenSSL); the
  // watchdog's timer also ends the wait at `wake_at`.
  boost::asio::awaitable<Readiness> wait_readable(std::chrono::steady_clock::time_point wake_at) override;
  void cancel_wait() override;
  // Writes everything; false when the connection failed or the grace after a passed
  // deadline ran out.
  boost::asio::awaitable<bool> write(std::string_view bytes) override;
  // Server side TLS handshake on this connection (implicit TLS or STARTTLS).
  // Bytes already read from the plain connection are the caller's to discard.
  boost::asio::awaitable<bool> start_tls(std::shared_ptr<boost::asio::ssl::context> context) override;

  // Every read and write after this must finish within `timeout` from now. When it
  // passes, reads end (timed_out() is true) and writes get a few seconds' grace for
  // a last reply, then the socket is shut. Call again to extend it.
  void set_deadline(std::chrono::steady_clock::duration timeout) override;
  bool timed_out() const override { return timed_out_; }

  bool is_tls() const override { return tls_ != nullptr; }
  const std::string& remote_address() const override { return remote_address_; }
  uint16_t remote_port() const { return remote_port_; }
  bool is_loopback() const override { return loopback_; }
  // The TLS protocol and cipher, for Received: headers; empty without TLS.
  std::string tls_description() const override;

  void close() override;

  // The connection's strand: the session, its reads and the watchdog all run here.
  boost::asio::any_io_executor executor() { return socket_.get_executor(); }

 private:
  void arm_watchdog();
  enum class Want : std::uint8_t { kRead, kWrite, kFail };
  Want want(int rc) const;
  boost::asio::awaitable<bool> wait(Want want);
  struct SslFree {
    void operator()(ssl_st* ssl) const;
  };

  boost::asio::ip::tcp::socket socket_;
  std::shared_ptr<boost::asio::ssl::context> tls_context_;  // keeps the context alive
  // TLS runs on the socket itself (a BIO over the descriptor, non-blocking)
  // rather than asio::ssl::stream, which keeps two 17 KiB buffers per
  // connection for its lifetime (plus a BIO pair's): with
  // SSL_MODE_RELEASE_BUFFERS an idle TLS connection holds OpenSSL's state only.
  std::unique_ptr<ssl_st, SslFree> tls_;
  boost::asio::steady_timer timer_;
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
  std::chrono::steady_clock::time_point wake_at_ = std::chrono::steady_clock::time_point::max();  // of wait_readable()
  bool woken_ = false;  // cancel_wait() or wake_at_ ended the wait
  bool watchdog_running_ = false;
  bool timed_out_ = false;
  bool closed_ = false;
  std::string remote_address_;
  uint16_t remote_port_ = 0;
  bool loopback_ = false;
  std::shared_ptr<char> alive_ = std::make_shared<char>();  // expires with the Stream
};

}  // namespace taube::net
