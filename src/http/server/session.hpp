// The HTTP/1.1 session: one coroutine per connection over net::Transport that reads
// with deadlines, parses (http::RequestParser), dispatches through a Router of
// coroutine handlers, writes, and loops while the connection is kept alive. Limit
// errors are answered with their status (400, 408, 413, 431, 505) and close the
// connection. Used by server/http_protocols.cpp for "http" and "https" (TLS is done
// by the listener first), later by DAV. Runs on the session's strand; the Service
// is shared read-only by all sessions of a listener and must outlive them.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "http/message.hpp"
#include "http/parser.hpp"
#include "http/router.hpp"
#include "metrics/registry.hpp"
#include "net/transport.hpp"

namespace taube::http::server {

// Produces the response to one request. May suspend (store calls); an exception is
// answered with 500. HEAD requests reach the GET handler; the session drops the body.
using Handler = std::function<boost::asio::awaitable<Response>(const Request&)>;
using Routes = Router<Handler>;

struct Options {
  Limits limits;
  std::chrono::milliseconds request_timeout{30'000};  // from the first byte of a request to its end
  std::chrono::milliseconds idle_timeout{60'000};     // between keep-alive requests
  std::chrono::milliseconds write_timeout{30'000};
  // After a limit error, how long unread input is drained so that the peer reads the
  // error response before the close (an unread receive buffer makes the close a RST).
  std::chrono::milliseconds linger_timeout{1'000};
  std::size_t max_requests_per_connection = 1000;
  std::string protocol = "http";  // label of taube_connections and friends
};

inline constexpr std::string_view kHttpRequestsHelp = "HTTP responses sent, by status code.";

struct Service {
  Routes routes;
  metrics::Registry* registry = &metrics::default_registry();
};

// Serves one connection until the peer closes, keep-alive ends, a limit is hit, a
// deadline passes or a write fails; then closes the transport. Takes everything by
// value (a spawned coroutine must not hold references). Never throws for peer input.
boost::asio::awaitable<void> run_session(std::unique_ptr<net::Transport> transport,
                                         std::shared_ptr<const Service> service, Options options);

}  // namespace taube::http::server
