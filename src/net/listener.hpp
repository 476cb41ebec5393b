// Accepts connections on one endpoint and runs a session coroutine for each, on its
// own strand (so a session, its Stream and its watchdog never run concurrently),
// with limits on connections in total and per client address. A session that throws
// is logged and closed; the listener and other sessions go on.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "base/error.hpp"
#include "net/stream.hpp"
#include "net/tls.hpp"

namespace taube::net {

struct ListenerOptions {
  std::string protocol;  // for logs: "smtp", "imaps", ...
  std::string host = "127.0.0.1";
  uint16_t port = 0;     // 0: any free port (tests)
  bool implicit_tls = false;
  uint32_t max_connections = 10000;
  uint32_t max_connections_per_ip = 100;
  // Written to a connection refused by a limit before it is closed (e.g. SMTP 421).
  std::string busy_reply;
  std::chrono::seconds tls_handshake_timeout{30};
};

// Called once per connection. The listener keeps the handler itself (not a
// copy) alive until every session it returned has ended, so the awaitable may
// refer to what the handler holds.
using SessionHandler = std::function<boost::asio::awaitable<void>(std::unique_ptr<Transport>)>;

class Listener {
 public:
  // Binds and listens. Errors: kUnavailable naming the endpoint (e.g. in use).
  // REQUIRES: tls is set when options.implicit_tls.
  static Result<std::unique_ptr<Listener>> open(boost::asio::any_io_executor executor, ListenerOptions options,
                                                std::shared_ptr<TlsContexts> tls, SessionHandler handler);
  ~Listener();

  // Starts accepting; sessions are spawned on strands of the listener's executor.
  void start();
  // Stops accepting; running sessions go on until they end.
  void stop();
  uint16_t port() const { return port_; }
  const ListenerOptions& options() const { return shared_->options; }
  uint32_t active_connections() const;

 private:
  Listener(boost::asio::any_io_executor executor, ListenerOptions options, std::shared_ptr<TlsContexts> tls,
           SessionHandler handler);
  boost::asio::awaitable<void> accept_loop();
  void spawn_session(boost::asio::ip::tcp::socket socket);

 public:
  // Shared by the listener and its sessions (one per listener, not per connection).
  struct Counters {
    std::mutex mu;
    uint32_t total = 0;
    std::map<std::string, uint32_t> per_ip;
  };
  struct Shared {
    SessionHandler handler;
    std::shared_ptr<TlsContexts> tls;
    ListenerOptions options;
  };

 private:
  boost::asio::any_io_executor executor_;
  std::shared_ptr<const Shared> shared_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::shared_ptr<Counters> counters_ = std::make_shared<Counters>();
};

}  // namespace taube::net
