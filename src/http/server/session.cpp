#include "http/server/session.hpp"

#include <array>
#include <exception>
#include <string_view>

#include "base/ascii.hpp"
#include "log/log.hpp"
#include "metrics/node_metrics.hpp"

namespace taube::http::server {

namespace asio = boost::asio;
using asio::awaitable;

namespace {

void count_request(const Service& service, int status) {
  service.registry
      ->counter(metrics::kHttpRequestsTotal, kHttpRequestsHelp, {{"code", std::to_string(status)}})
      .inc();
}

Response error_response(int status) {
  return text_response(status, ascii::lower(reason_phrase(status)) + "\n");
}

// Answers a request through the routes: 404 for unknown paths, 405 with Allow for
// other methods, 500 when the handler throws.
awaitable<Response> dispatch(const Service& service, const Request& request) {
  auto match = service.routes.find(request.method, request.path());
  if (match.handler == nullptr) {
    if (!match.path_known) co_return error_response(404);
    Response r = error_response(405);
    r.headers.push_back({"Allow", match.allow});
    co_return r;
  }
  bool failed = false;
  std::string what;
  try {
    co_return co_await (*match.handler)(request);
  } catch (const std::exception& e) {
    failed = true;
    what = e.what();
  }
  if (failed)
    log::error("http.handler_failed", {log::kv("path", request.path()), log::kv("error", what)});
  co_return error_response(500);
}

}  // namespace

awaitable<void> run_session(std::unique_ptr<net::Transport> transport,
                            std::shared_ptr<const Service> service, Options options) {
  metrics::ConnectionScope connection(options.protocol, *service->registry);
  RequestParser parser(options.limits);
  std::array<char, 16 * 1024> buf;
  std::size_t served = 0;
  bool in_request = false;
  transport->set_deadline(options.request_timeout);
  for (;;) {
    ParseEvent event = parser.next();
    if (std::holds_alternative<NeedMore>(event)) {
      if (!in_request && parser.has_partial()) {
        in_request = true;
        transport->set_deadline(options.request_timeout);
      }
      std::size_t n = co_await transport->read_some(buf.data(), buf.size());
      if (n == 0) {
        // Closed, failed or timed out. net::Stream shuts the socket down when a
        // deadline passes, so there is no 408 to send; the log says which.
        if (transport->timed_out())
          log::debug("http.timeout", {log::kv("protocol", options.protocol),
                                      log::kv("partial", parser.has_partial())});
        break;
      }
      parser.feed(std::string_view(buf.data(), n));
      continue;
    }
    if (std::holds_alternative<ContinueExpected>(event)) {
      transport->set_deadline(options.write_timeout);
      if (!co_await transport->write("HTTP/1.1 100 Continue\r\n\r\n")) break;
      transport->set_deadline(options.request_timeout);
      continue;
    }
    if (auto* invalid = std::get_if<Invalid>(&event)) {
      log::info(
          "http.invalid_request",
          {log::kv("protocol", options.protocol), log::kv("remote", transport->remote_address()),
           log::kv("status", invalid->status), log::kv("reason", invalid->reason)});
      count_request(*service, invalid->status);
      transport->set_deadline(options.write_timeout);
      std::string bytes = serialize(error_response(invalid->status), {.keep_alive = false});
      if (co_await transport->write(bytes)) {
        // Drain what the peer is still sending (bounded in time and bytes), so that
        // it reads the error before the close.
        transport->set_deadline(options.linger_timeout);
        std::size_t drained = 0;
        while (drained < (8u << 20)) {
          std::size_t n = co_await transport->read_some(buf.data(), buf.size());
          if (n == 0) break;
          drained += n;
        }
      }
      break;
    }
    Request request = std::get<Request>(std::move(event));
    request.peer = Peer{transport->remote_address(), transport->is_tls(), transport->is_loopback()};
    in_request = false;
    ++served;
    Response response = co_await dispatch(*service, request);
    bool keep_alive = request.keep_alive && served < options.max_requests_per_connection;
    count_request(*service, response.status);
    log::debug("http.request",
               {log::kv("protocol", options.protocol), log::kv("method", request.method),
                log::kv("path", request.path()), log::kv("status", response.status)});
    SerializeOptions how{.head = request.method == "HEAD",
                         .keep_alive = keep_alive,
                         .request_version = request.version};
    std::string bytes = serialize(response, how);
    transport->set_deadline(options.write_timeout);
    if (!co_await transport->write(bytes) || !keep_alive) break;
    transport->set_deadline(options.idle_timeout);
  }
  transport->close();
}

}  // namespace taube::http::server
