#include "net/stream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>

namespace taube::net {

namespace asio = boost::asio;
using asio::awaitable;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr auto kFinalReplyGrace = std::chrono::seconds(5);

namespace {

// A BIO over a non-blocking socket that sends with MSG_NOSIGNAL (OpenSSL's
// socket BIO uses write(): a client gone mid-reply would raise SIGPIPE).
int fd_of(BIO* bio) { return static_cast<int>(reinterpret_cast<std::intptr_t>(BIO_get_data(bio))); }

int bio_write(BIO* bio, const char* data, int size) {
  BIO_clear_retry_flags(bio);
  ssize_t n = ::send(fd_of(bio), data, static_cast<std::size_t>(size), MSG_NOSIGNAL);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) BIO_set_retry_write(bio);
  return static_cast<int>(n);
}

int bio_read(BIO* bio, char* data, int size) {
  BIO_clear_retry_flags(bio);
  ssize_t n = ::recv(fd_of(bio), data, static_cast<std::size_t>(size), 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) BIO_set_retry_read(bio);
  return static_cast<int>(n);
}

long bio_ctrl(BIO*, int cmd, long, void*) { return cmd == BIO_CTRL_FLUSH ? 1 : 0; }

int bio_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

BIO_METHOD* socket_method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "taube socket");
    BIO_meth_set_write(m, bio_write);
    BIO_meth_set_read(m, bio_read);
    BIO_meth_set_ctrl(m, bio_ctrl);
    BIO_meth_set_create(m, bio_create);
    return m;
  }();
  return method;
}

}  // namespace

void Stream::SslFree::operator()(SSL* ssl) const { SSL_free(ssl); }

Stream::Want Stream::want(int rc) const {
  switch (SSL_get_error(tls_.get(), rc)) {
    case SSL_ERROR_WANT_READ: return Want::kRead;
    case SSL_ERROR_WANT_WRITE: return Want::kWrite;
    default: return Want::kFail;
  }
}

awaitable<bool> Stream::wait(Want w) {
  if (w == Want::kFail || closed_) co_return false;
  auto op = socket_.async_wait(w == Want::kRead ? asio::ip::tcp::socket::wait_read : asio::ip::tcp::socket::wait_write,
                               kTuple);
  auto [ec] = co_await std::move(op);
  co_return !ec;
}

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
  timer_.expires_at(std::min(deadline_, wake_at_));
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
      if (std::chrono::steady_clock::now() >= wake_at_) {
        // wait_readable()'s wake-up (e.g. an IDLE keepalive), not a timeout.
        wake_at_ = std::chrono::steady_clock::time_point::max();
        cancel_wait();
      }
      arm_watchdog();
    }
  });
}

awaitable<std::size_t> Stream::read_some(char* buf, std::size_t size) {
  if (closed_ || timed_out_) co_return 0;
  if (!tls_) {
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(buf, size), kTuple);
    if (ec) co_return 0;
    co_return n;
  }
  for (;;) {
    ERR_clear_error();
    std::size_t n = 0;
    int rc = SSL_read_ex(tls_.get(), buf, size, &n);
    if (rc > 0) co_return n;
    // A failure, the peer's close_notify or EOF all end the stream.
    if (timed_out_ || !co_await wait(want(rc))) co_return 0;
    if (timed_out_) co_return 0;
  }
}

awaitable<Transport::Readiness> Stream::wait_readable(std::chrono::steady_clock::time_point wake_at) {
  if (closed_ || timed_out_) co_return Readiness::kClosed;
  if (tls_ && SSL_has_pending(tls_.get())) co_return Readiness::kReadable;
  woken_ = false;
  wake_at_ = wake_at;
  if (wake_at_ < deadline_ && (!watchdog_running_ || timer_.expiry() > wake_at_)) arm_watchdog();
  auto op = socket_.async_wait(asio::ip::tcp::socket::wait_read, kTuple);
  auto [ec] = co_await std::move(op);
  wake_at_ = std::chrono::steady_clock::time_point::max();
  if (timed_out_ || closed_) co_return Readiness::kClosed;
  if (!ec) co_return Readiness::kReadable;
  co_return woken_ && ec == asio::error::operation_aborted ? Readiness::kWoken : Readiness::kClosed;
}

void Stream::cancel_wait() {
  if (closed_) return;
  woken_ = true;
  boost::system::error_code ignored;
  socket_.cancel(ignored);
}

awaitable<bool> Stream::write(std::string_view bytes) {
  if (closed_) co_return false;  // a timed-out stream may still send its last reply
  if (!tls_) {
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(bytes), kTuple);
    co_return !ec && n == bytes.size();
  }
  std::size_t done = 0;
  while (done < bytes.size()) {
    ERR_clear_error();
    std::size_t n = 0;
    // After a "want", OpenSSL needs the same arguments again: `done` moves only on success.
    int rc = SSL_write_ex(tls_.get(), bytes.data() + done, bytes.size() - done, &n);
    if (rc > 0) {
      done += n;
      continue;
    }
    if (!co_await wait(want(rc))) co_return false;
  }
  co_return true;
}

awaitable<bool> Stream::start_tls(std::shared_ptr<asio::ssl::context> context) {
  if (tls_ || closed_) co_return false;
  tls_context_ = std::move(context);
  boost::system::error_code ec;
  socket_.non_blocking(true, ec);
  if (ec) co_return false;
  tls_.reset(SSL_new(tls_context_->native_handle()));
  BIO* bio = tls_ ? BIO_new(socket_method()) : nullptr;
  if (!bio) {
    tls_.reset();
    co_return false;
  }
  BIO_set_data(bio, reinterpret_cast<void*>(static_cast<std::intptr_t>(socket_.native_handle())));
  SSL_set_bio(tls_.get(), bio, bio);
  SSL_set_mode(tls_.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                               SSL_MODE_RELEASE_BUFFERS);
  SSL_set_accept_state(tls_.get());
  for (;;) {
    ERR_clear_error();
    int rc = SSL_do_handshake(tls_.get());
    if (rc == 1) co_return true;
    if (!co_await wait(want(rc))) co_return false;
  }
}

std::string Stream::tls_description() const {
  if (!tls_) return {};
  const char* version = SSL_get_version(tls_.get());
  const char* cipher = SSL_get_cipher_name(tls_.get());
  return std::string(version ? version : "TLS") + " with cipher " + (cipher ? cipher : "unknown");
}

}  // namespace taube::net
