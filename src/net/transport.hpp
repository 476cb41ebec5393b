// The byte stream a protocol session talks over. net::Stream implements it over TCP
// and TLS; tests implement it in memory (scripted input, captured output, failing
// the Nth read or write) so that sessions are tested without sockets or sleeps.
// Used from one coroutine at a time (the session's).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace taube::net {

class Transport {
 public:
  virtual ~Transport() = default;

  // Reads what is available (at least one byte); 0 means closed, failed or timed out.
  virtual boost::asio::awaitable<std::size_t> read_some(char* buf, std::size_t size) = 0;
  // Waits, without a buffer, until read_some() has something to return (or the
  // peer closed): kReadable. kWoken when cancel_wait() ended the wait or
  // `wake_at` came; kClosed when the connection failed, closed or timed out.
  // An idle session waits here, so it holds no read buffer and no read frame,
  // and wakes for its keepalive without a timer of its own. The default says
  // "readable" at once (read_some() then waits).
  enum class Readiness : std::uint8_t { kReadable, kWoken, kClosed };
  virtual boost::asio::awaitable<Readiness> wait_readable(
      std::chrono::steady_clock::time_point wake_at = std::chrono::steady_clock::time_point::max()) {
    (void)wake_at;
    co_return Readiness::kReadable;
  }
  // Ends a pending wait_readable() early (kWoken). Only while nothing else is
  // pending on the transport: it may cancel every pending operation.
  virtual void cancel_wait() {}
  // Writes everything; false when the connection failed or the deadline passed.
  virtual boost::asio::awaitable<bool> write(std::string_view bytes) = 0;
  // Server-side TLS handshake (implicit TLS or STARTTLS); false on failure.
  virtual boost::asio::awaitable<bool> start_tls(std::shared_ptr<boost::asio::ssl::context> context) = 0;

  // Reads and writes after this must finish within `timeout` from now.
  virtual void set_deadline(std::chrono::steady_clock::duration timeout) = 0;
  virtual bool timed_out() const = 0;
  virtual bool is_tls() const = 0;
  virtual const std::string& remote_address() const = 0;
  virtual bool is_loopback() const = 0;
  virtual std::string tls_description() const = 0;  // for Received: headers
  virtual void close() = 0;
};

}  // namespace taube::net
