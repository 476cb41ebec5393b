// Registers IMAP: "imap" (plaintext with STARTTLS) and "imaps" (implicit TLS).
// The session options come from config.imap; the IMAP session itself lives in
// src/imap/server/.
#include "imap/server/session.hpp"
#include "metrics/node_metrics.hpp"
#include "server/protocols.hpp"

namespace taube::server {

namespace {

// A plain function, not a coroutine lambda: its parameters live in the frame.
// The services, options and protocol name are the handler's, which the
// listener keeps alive until its sessions end: no copies per connection.
boost::asio::awaitable<void> serve_connection(std::unique_ptr<net::Transport> transport,
                                              const imap::server::SessionServices& services,
                                              const imap::server::Options& options, std::string_view protocol) {
  metrics::ConnectionScope connection(protocol);  // taube_connections{protocol=...}
  auto session = imap::server::run_session(std::move(transport), services, options);
  co_await std::move(session);
}

imap::server::Options session_options(const config::Config& config) {
  imap::server::Options options;
  options.hostname = config.hostname;
  options.allow_plaintext_auth_from_loopback = config.allow_plaintext_auth_from_loopback;
  options.idle_timeout = config.imap.idle_timeout;
  options.limits.max_literal_bytes = config.imap.max_append_bytes;
  options.limits.max_command_literal_bytes = std::max<std::uint64_t>(options.limits.max_command_literal_bytes,
                                                                     config.imap.max_append_bytes);
  options.limits.max_line_bytes = config.imap.max_command_bytes;
  return options;
}

ProtocolFactory imap_factory(const config::Config& config, bool implicit_tls) {
  ProtocolFactory factory;
  factory.implicit_tls = implicit_tls;
  factory.busy_reply = "* BYE [UNAVAILABLE] Too many connections, try again later\r\n";
  factory.max_connections = config.imap.max_connections;
  factory.max_connections_per_ip = config.imap.max_connections_per_ip;
  imap::server::Options options = session_options(config);
  options.starttls_available = !implicit_tls;
  factory.make_handler = [options, implicit_tls](Services& services) -> net::SessionHandler {
    imap::server::SessionServices session_services;
    session_services.store = &services.store;
    session_services.authenticator = &services.authenticator;
    if (!implicit_tls) {
      std::shared_ptr<net::TlsContexts> tls = services.tls;
      session_services.tls_context = [tls] { return tls->server(); };
    }
    std::string protocol = implicit_tls ? "imaps" : "imap";
    return [session_services, options, protocol](std::unique_ptr<net::Transport> transport) {
      return serve_connection(std::move(transport), session_services, options, protocol);
    };
  };
  return factory;
}

}  // namespace

void add_imap_protocols(ProtocolRegistry& registry, const config::Config& config) {
  registry["imap"] = imap_factory(config, false);
  registry["imaps"] = imap_factory(config, true);
}

}  // namespace taube::server
