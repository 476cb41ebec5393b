#include "net/listener.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "log/log.hpp"

namespace taube::net {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// A connection's place in the counters, released when the session ends, however it ends.
class Slot {
 public:
  Slot(std::shared_ptr<Listener::Counters> counters, std::string ip) : counters_(std::move(counters)), ip_(std::move(ip)) {}
  Slot(Slot&&) = default;
  Slot& operator=(Slot&&) = delete;
  ~Slot() {
    if (!counters_) return;
    std::lock_guard lock(counters_->mu);
    --counters_->total;
    if (--counters_->per_ip[ip_] == 0) counters_->per_ip.erase(ip_);
  }

 private:
  std::shared_ptr<Listener::Counters> counters_;
  std::string ip_;
};

// The implicit-TLS handshake, in a frame of its own that ends with it.
asio::awaitable<bool> handshake(Stream& s, const Listener::Shared& shared) {
  s.set_deadline(shared.options.tls_handshake_timeout);
  auto context = shared.tls->server();
  bool ok = co_await s.start_tls(std::move(context));
  if (!ok) log::debug("tls.handshake_failed", {log::kv("protocol", shared.options.protocol), log::kv("client", s.remote_address())});
  co_return ok;
}

// One connection: the TLS handshake for implicit TLS, then the protocol session.
// A plain coroutine function with few locals: its frame lives as long as the
// (mostly idle) connection.
asio::awaitable<void> serve(std::unique_ptr<Stream> s, [[maybe_unused]] Slot slot,
                            std::shared_ptr<const Listener::Shared> shared) {
  if (shared->options.implicit_tls) {
    const bool ok = co_await handshake(*s, *shared);
    if (!ok) co_return;
  }
  std::unique_ptr<Transport> transport = std::move(s);
  auto session = shared->handler(std::move(transport));
  co_await std::move(session);
}

}  // namespace

Listener::Listener(asio::any_io_executor executor, ListenerOptions options, std::shared_ptr<TlsContexts> tls,
                   SessionHandler handler)
    : executor_(std::move(executor)),
      shared_(std::make_shared<const Shared>(Shared{std::move(handler), std::move(tls), std::move(options)})),
      acceptor_(executor_) {}

Listener::~Listener() { stop(); }

Result<std::unique_ptr<Listener>> Listener::open(asio::any_io_executor executor, ListenerOptions options,
                                                 std::shared_ptr<TlsContexts> tls, SessionHandler handler) {
  std::unique_ptr<Listener> l(new Listener(std::move(executor), std::move(options), std::move(tls), std::move(handler)));
  boost::system::error_code ec;
  auto address = asio::ip::make_address(l->options().host, ec);
  std::string where = l->options().protocol + " on " + l->options().host + ":" + std::to_string(l->options().port);
  if (ec) return fail(ErrorCode::kInvalidArgument, where + ": bad address: " + ec.message());
  tcp::endpoint endpoint(address, l->options().port);
  l->acceptor_.open(endpoint.protocol(), ec);
  if (!ec) l->acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec && address.is_v6()) l->acceptor_.set_option(asio::ip::v6_only(true), ec);
  if (!ec) l->acceptor_.bind(endpoint, ec);
  if (!ec) l->acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail(ErrorCode::kUnavailable, "cannot listen for " + where + ": " + ec.message());
  l->port_ = l->acceptor_.local_endpoint().port();
  return l;
}

void Listener::start() {
  asio::co_spawn(executor_, accept_loop(), [protocol = options().protocol](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      log::error("listener.failed", {log::kv("protocol", protocol), log::kv("error", ex.what())});
    }
  });
}

void Listener::stop() {
  boost::system::error_code ec;
  acceptor_.close(ec);
}

uint32_t Listener::active_connections() const {
  std::lock_guard lock(counters_->mu);
  return counters_->total;
}

asio::awaitable<void> Listener::accept_loop() {
  constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
  while (acceptor_.is_open()) {
    auto [ec, socket] = co_await acceptor_.async_accept(asio::make_strand(executor_), kTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
      // EMFILE and friends: log, pause briefly, go on (never spin).
      log::warn("listener.accept_failed", {log::kv("protocol", options().protocol), log::kv("error", ec.message())});
      asio::steady_timer pause(executor_, std::chrono::milliseconds(100));
      co_await pause.async_wait(kTuple);
      continue;
    }
    spawn_session(std::move(socket));
  }
}

void Listener::spawn_session(tcp::socket socket) {
  auto stream = std::make_unique<Stream>(std::move(socket));
  const std::string ip = stream->remote_address();
  bool refused = false;
  {
    std::lock_guard lock(counters_->mu);
    uint32_t& mine = counters_->per_ip[ip];
    if (counters_->total >= options().max_connections || mine >= options().max_connections_per_ip) {
      refused = true;
      if (mine == 0) counters_->per_ip.erase(ip);
    } else {
      ++counters_->total;
      ++mine;
    }
  }
  auto strand = stream->executor();
  if (refused) {
    log::warn("listener.refused", {log::kv("protocol", options().protocol), log::kv("client", ip),
                                   log::kv("reason", "connection limit")});
    if (options().busy_reply.empty() || options().implicit_tls) return;  // closed by the destructor
    // The socket lives on its own strand; write the reply there.
    auto* raw = stream.release();
    asio::co_spawn(strand, [raw, reply = options().busy_reply]() -> asio::awaitable<void> {
      std::unique_ptr<Stream> s(raw);
      s->set_deadline(std::chrono::seconds(5));
      co_await s->write(reply);
    }, asio::detached);
    return;
  }
  Slot slot(counters_, ip);
  auto session = serve(std::move(stream), std::move(slot), shared_);
  // The completion handler lives as long as the connection: a pointer, not a copy of the name.
  asio::co_spawn(strand, std::move(session), [shared = shared_, ip](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      log::error("session.failed",
                 {log::kv("protocol", shared->options.protocol), log::kv("client", ip), log::kv("error", ex.what())});
    }
  });
}

}  // namespace taube::net
