// An outgoing TCP connection as a net::Transport, for the SMTP client: connect
// with a timeout, then reads and writes under one deadline that a watchdog
// enforces by closing the socket, and a client-side STARTTLS handshake (SNI, and
// certificate verification against the MX host name when the context asks for it).
// Used from one coroutine at a time, on the executor it was created with.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "base/error.hpp"
#include "net/transport.hpp"

namespace taube::outbound {

class ClientStream final : public net::Transport {
 public:
  // Connects to `endpoint` within `timeout`. `server_name` is sent as SNI and, with
  // `verify`, must match the certificate. Errors: kUnavailable with the reason.
  static boost::asio::awaitable<Result<std::unique_ptr<ClientStream>>> connect(
      boost::asio::any_io_executor executor, boost::asio::ip::tcp::endpoint endpoint,
      std::chrono::steady_clock::duration timeout, std::string server_name, bool verify);

  ClientStream(boost::asio::ip::tcp::socket socket, std::string server_name, bool verify);
  ~ClientStream() override;

  boost::asio::awaitable<std::size_t> read_some(char* buf, std::size_t size) override;
  boost::asio::awaitable<bool> write(std::string_view bytes) override;
  // Client-side handshake.
  boost::asio::awaitable<bool> start_tls(std::shared_ptr<boost::asio::ssl::context> context) override;
  void set_deadline(std::chrono::steady_clock::duration timeout) override;
  bool timed_out() const override { return timed_out_; }
  bool is_tls() const override { return tls_ != nullptr; }
  const std::string& remote_address() const override { return remote_address_; }
  bool is_loopback() const override { return false; }
  std::string tls_description() const override;
  void close() override;

 private:
  void arm();

  boost::asio::ip::tcp::socket socket_;
  std::shared_ptr<boost::asio::ssl::context> tls_context_;
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls_;
  boost::asio::steady_timer timer_;
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
  bool watching_ = false, timed_out_ = false, closed_ = false;
  std::string server_name_, remote_address_;
  bool verify_ = false;
  std::shared_ptr<char> alive_ = std::make_shared<char>();
};

// The client TLS context: system CAs; verify_peer when `verify`.
std::shared_ptr<boost::asio::ssl::context> make_client_tls_context(bool verify);

}  // namespace taube::outbound
