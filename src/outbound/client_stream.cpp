#include "outbound/client_stream.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <openssl/ssl.h>

namespace taube::outbound {
namespace asio = boost::asio;

asio::awaitable<Result<std::unique_ptr<ClientStream>>> ClientStream::connect(
    asio::any_io_executor executor, asio::ip::tcp::endpoint endpoint, std::chrono::steady_clock::duration timeout,
    std::string server_name, bool verify) {
  asio::ip::tcp::socket socket(executor);
  asio::steady_timer timer(executor, timeout);
  bool timed_out = false;
  auto alive = std::make_shared<bool>(true);
  timer.async_wait([&socket, &timed_out, alive](boost::system::error_code ec) {
    if (ec || !*alive) return;
    timed_out = true;
    boost::system::error_code ignored;
    socket.close(ignored);
  });
  boost::system::error_code ec;
  auto token = asio::redirect_error(asio::use_awaitable, ec);
  auto op = socket.async_connect(endpoint, token);
  co_await std::move(op);
  *alive = false;
  timer.cancel();
  if (timed_out) co_return fail(ErrorCode::kUnavailable, "connect to " + endpoint.address().to_string() + " timed out");
  if (ec)
    co_return fail(ErrorCode::kUnavailable,
                   "connect to " + endpoint.address().to_string() + ":" + std::to_string(endpoint.port()) + ": " +
                       ec.message());
  socket.set_option(asio::ip::tcp::no_delay(true), ec);
  co_return std::make_unique<ClientStream>(std::move(socket), std::move(server_name), verify);
}

ClientStream::ClientStream(asio::ip::tcp::socket socket, std::string server_name, bool verify)
    : socket_(std::move(socket)), timer_(socket_.get_executor()), server_name_(std::move(server_name)),
      verify_(verify) {
  boost::system::error_code ec;
  auto ep = socket_.remote_endpoint(ec);
  if (!ec) remote_address_ = ep.address().to_string();
}

ClientStream::~ClientStream() { close(); }

void ClientStream::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ec;
  timer_.cancel();
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
}

void ClientStream::set_deadline(std::chrono::steady_clock::duration timeout) {
  deadline_ = std::chrono::steady_clock::now() + timeout;
  arm();
}

void ClientStream::arm() {
  if (watching_ || closed_) return;
  watching_ = true;
  timer_.expires_at(deadline_);
  std::weak_ptr<char> alive = alive_;
  timer_.async_wait([this, alive](boost::system::error_code) {
    if (alive.expired()) return;
    watching_ = false;
    if (closed_) return;
    if (std::chrono::steady_clock::now() >= deadline_) {
      timed_out_ = true;
      boost::system::error_code ec;
      socket_.close(ec);
      return;
    }
    arm();  // the deadline moved later
  });
}

asio::awaitable<std::size_t> ClientStream::read_some(char* buf, std::size_t size) {
  if (closed_ || timed_out_) co_return 0;
  boost::system::error_code ec;
  auto token = asio::redirect_error(asio::use_awaitable, ec);
  std::size_t n = 0;
  if (tls_) {
    auto op = tls_->async_read_some(asio::buffer(buf, size), token);
    n = co_await std::move(op);
  } else {
    auto op = socket_.async_read_some(asio::buffer(buf, size), token);
    n = co_await std::move(op);
  }
  co_return ec ? 0 : n;
}

asio::awaitable<bool> ClientStream::write(std::string_view bytes) {
  if (closed_ || timed_out_) co_return false;
  boost::system::error_code ec;
  auto token = asio::redirect_error(asio::use_awaitable, ec);
  if (tls_) {
    auto op = asio::async_write(*tls_, asio::buffer(bytes), token);
    co_await std::move(op);
  } else {
    auto op = asio::async_write(socket_, asio::buffer(bytes), token);
    co_await std::move(op);
  }
  co_return !ec;
}

asio::awaitable<bool> ClientStream::start_tls(std::shared_ptr<asio::ssl::context> context) {
  tls_context_ = std::move(context);
  auto tls = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(socket_, *tls_context_);
  if (!server_name_.empty()) SSL_set_tlsext_host_name(tls->native_handle(), server_name_.c_str());
  if (verify_) {
    tls->set_verify_mode(asio::ssl::verify_peer);
    tls->set_verify_callback(asio::ssl::host_name_verification(server_name_));
  } else {
    tls->set_verify_mode(asio::ssl::verify_none);
  }
  boost::system::error_code ec;
  auto token = asio::redirect_error(asio::use_awaitable, ec);
  auto op = tls->async_handshake(asio::ssl::stream_base::client, token);
  co_await std::move(op);
  if (ec) co_return false;
  tls_ = std::move(tls);
  co_return true;
}

std::string ClientStream::tls_description() const {
  if (!tls_) return {};
  SSL* ssl = const_cast<SSL*>(tls_->native_handle());
  return std::string(SSL_get_version(ssl)) + " " + SSL_get_cipher_name(ssl);
}

std::shared_ptr<asio::ssl::context> make_client_tls_context(bool verify) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  ctx->set_default_verify_paths(ec);
  ctx->set_verify_mode(verify ? asio::ssl::verify_peer : asio::ssl::verify_none);
  return ctx;
}

}  // namespace taube::outbound
