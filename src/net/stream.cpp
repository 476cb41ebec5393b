#include "net/stream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace taube::net {

namespace asio = boost::asio;
using asio::awaitable;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr auto kFinalReplyGrace = std::chrono::seconds(5);

Stream::Stream(asio::ip::tcp::socket socket) : socket_(std::move(socket)), timer_(socket_.get_executor()) {
  boost::system::error_code ec;
  auto remote = socket_.remote_endpoint(ec);
  if (!ec) {
    auto addr = remote.address();
    if (addr.is_v6() && addr.to_v6().is_v4_mapped()) addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
    remote_address_ = addr.to_string();
    remote_port_ = remote.port();
    loopback_ = addr.is_loopback();
  }
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
}

Stream::~Stream() { close(); }

void Stream::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ec;
  timer_.cancel();
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
}

void Stream::set_deadline(std::chrono::steady_clock::duration timeout) {
  deadline_ = std::chrono::steady_clock::now() + timeout;
  if (closed_) return;
  // A later deadline needs nothing: the watchdog re-arms itself when it fires early.
  if (watchdog_running_ && timer_.expiry() <= deadline_) return;
  arm_watchdog();
}

void Stream::arm_watchdog() {
  // expires_at() aborts a pending wait; that handler sees an error and does nothing.
  // A handler may already be queued when the Stream dies, so it checks the alive
  // token before touching `this`; it runs on the session's strand, so the check
  // cannot race the destructor.
  timer_.expires_at(deadline_);
  watchdog_running_ = true;
  timer_.async_wait([this, alive = std::weak_ptr<char>(alive_)](const boost::system::error_code& ec) {
    if (alive.expired() || ec) return;
    watchdog_running_ = false;
    if (closed_) return;
    if (std::chrono::steady_clock::now() >= deadline_) {
      boost::system::error_code ignored;
      if (!timed_out_) {
        // Reads end now; the session gets a short grace to write its last reply
        // (e.g. SMTP 421 4.4.2) before the connection is shut.
        timed_out_ = true;
        socket_.cancel(ignored);
        deadline_ = std::chrono::steady_clock::now() + kFinalReplyGrace;
        arm_watchdog();
      } else {
        socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
        socket_.cancel(ignored);
      }
    } else {
      arm_watchdog();
    }
  });
}

awaitable<std::size_t> Stream::read_some(char* buf, std::size_t size) {
  if (closed_ || timed_out_) co_return 0;
  auto [ec, n] = tls_ ? co_await tls_->async_read_some(asio::buffer(buf, size), kTuple)
                      : co_await socket_.async_read_some(asio::buffer(buf, size), kTuple);
  if (ec) co_return 0;
  co_return n;
}

awaitable<bool> Stream::write(std::string_view bytes) {
  if (closed_) co_return false;  // a timed-out stream may still send its last reply
  auto [ec, n] = tls_ ? co_await asio::async_write(*tls_, asio::buffer(bytes), kTuple)
                      : co_await asio::async_write(socket_, asio::buffer(bytes), kTuple);
  co_return !ec && n == bytes.size();
}

awaitable<bool> Stream::start_tls(std::shared_ptr<asio::ssl::context> context) {
  if (tls_ || closed_) co_return false;
  tls_context_ = std::move(context);
  tls_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(socket_, *tls_context_);
  auto [ec] = co_await tls_->async_handshake(asio::ssl::stream_base::server, kTuple);
  co_return !ec;
}

std::string Stream::tls_description() const {
  if (!tls_) return {};
  SSL* ssl = const_cast<asio::ssl::stream<asio::ip::tcp::socket&>&>(*tls_).native_handle();
  const char* version = SSL_get_version(ssl);
  const char* cipher = SSL_get_cipher_name(ssl);
  return std::string(version ? version : "TLS") + " with cipher " + (cipher ? cipher : "unknown");
}

}  // namespace taube::net
