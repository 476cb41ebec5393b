// Registers HTTP: "http" (plaintext) and "https" (implicit TLS, done by the
// listener). Both serve the node's endpoints (/healthz, /readyz, /metrics) and
// CalDAV/CardDAV (src/dav/server/). The session lives in src/http/server/.
#include "dav/server/service.hpp"
#include "http/server/node_endpoints.hpp"
#include "http/server/session.hpp"
#include "metrics/node_metrics.hpp"
#include "server/degraded.hpp"
#include "server/protocols.hpp"

namespace taube::server {

namespace {

// /readyz follows the degraded-mode watcher (one probe for the whole node, the
// same state as the spool and the alerts) when there is one.
http::server::StoreProbe readiness_probe(Services& services, const DegradedMode* degraded) {
  if (!degraded) return http::server::store_probe(services.store);
  return [degraded]() -> boost::asio::awaitable<Result<void>> {
    if (degraded->degraded()) co_return fail(ErrorCode::kUnavailable, "degraded (store unreachable)");
    co_return Result<void>();
  };
}

ProtocolFactory http_factory(bool implicit_tls, const DegradedMode* degraded) {
  ProtocolFactory factory;
  factory.implicit_tls = implicit_tls;
  factory.busy_reply =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  factory.max_connections = 2000;
  factory.max_connections_per_ip = 200;
  std::string protocol = implicit_tls ? "https" : "http";
  factory.make_handler = [protocol, degraded](Services& services) -> net::SessionHandler {
    auto node = http::server::make_node_service(readiness_probe(services, degraded),
                                                http::server::NodeOptions{});
    auto dav_service = std::make_shared<http::server::Service>(*node);
    dav::server::Options dav_options;
    dav_options.allow_plaintext_from_loopback = services.config.allow_plaintext_auth_from_loopback;
    dav_options.trusted_proxies = services.config.http.trusted_proxies;
    dav_options.xml.max_body_bytes = services.config.http.max_body_bytes;
    dav_options.rooms = services.config.http.rooms;
    dav::server::add_dav_routes(dav_service->routes, services.store, services.authenticator,
                                std::move(dav_options));
    std::shared_ptr<const http::server::Service> service = std::move(dav_service);
    http::server::Options options;
    options.protocol = protocol;
    options.limits.max_body_bytes = services.config.http.max_body_bytes;
    // Present from the start so that a scrape shows 0 rather than nothing.
    metrics::connections_gauge(protocol);
    metrics::connections_counter(protocol);
    // A plain function call, not a coroutine lambda: the awaitable owns copies.
    return [service, options](std::unique_ptr<net::Transport> transport) {
      return http::server::run_session(std::move(transport), service, options);
    };
  };
  return factory;
}

}  // namespace

void add_http_protocols(ProtocolRegistry& registry, const config::Config&) {
  registry["http"] = http_factory(false, nullptr);
  registry["https"] = http_factory(true, nullptr);
}

void add_http_protocols(ProtocolRegistry& registry, const config::Config&,
                        const DegradedMode* degraded) {
  registry["http"] = http_factory(false, degraded);
  registry["https"] = http_factory(true, degraded);
}

}  // namespace taube::server
