// Registers the SMTP family: "smtp" (MX, port 25 role), "submission" (STARTTLS, AUTH
// required; 587), "submissions" (implicit TLS, RFC 8314; 465) and "lmtp" (RFC 2033).
// Limits come from [smtp] in the configuration; one SessionOptions per listener,
// shared read-only by its sessions.
#include <boost/asio/awaitable.hpp>

#include "metrics/node_metrics.hpp"
#include "server/degraded.hpp"
#include "server/protocols.hpp"
#include "smtp/server/session.hpp"

namespace taube::server {
namespace {

smtp::server::SessionOptions session_options(const config::Config& config, smtp::server::Mode mode,
                                             std::shared_ptr<net::TlsContexts> tls,
                                             DegradedMode* degraded) {
  smtp::server::SessionOptions o;
  o.mode = mode;
  o.hostname = config.hostname;
  o.limits.max_message_bytes = config.smtp.max_message_bytes;
  o.limits.max_recipients = config.smtp.max_recipients;
  o.command_timeout = config.smtp.command_timeout;
  o.data_timeout = config.smtp.data_timeout;
  o.max_errors = config.smtp.max_errors;
  o.enforce_sender = config.smtp.enforce_sender;
  o.spill_threshold = static_cast<std::size_t>(config.smtp.spill_threshold_bytes);
  o.spill_dir = config.data_dir / "tmp";
  o.allow_plaintext_auth_from_loopback = config.allow_plaintext_auth_from_loopback;
  if (tls) o.tls_context = [tls] { return tls->server(); };
  if (degraded) {
    o.spool_message = [degraded](spool::Entry entry) {
      return degraded->spool_message(std::move(entry));
    };
    o.is_known_local_domain = [degraded](std::string_view domain) {
      return degraded->is_known_local_domain(domain);
    };
  }
  return o;
}

// A plain function, not a coroutine lambda: its parameters live in the coroutine
// frame, so nothing dangles when the calling lambda goes away.
boost::asio::awaitable<void> serve_connection(
    std::unique_ptr<net::Transport> transport,
    std::shared_ptr<const smtp::server::SessionOptions> options, store::Store* store,
    auth::Authenticator* authenticator, std::string protocol) {
  metrics::ConnectionScope connection(protocol);  // taube_connections{protocol=...}
  co_await smtp::server::run_session(*transport, *store, *authenticator, *options);
}

ProtocolFactory smtp_factory(const config::Config& config, std::string protocol,
                             smtp::server::Mode mode, bool implicit_tls,
                             DegradedMode* degraded) {
  ProtocolFactory f;
  f.implicit_tls = implicit_tls;
  f.busy_reply = "421 4.7.0 " + config.hostname + " Too many connections\r\n";
  f.max_connections = config.smtp.max_connections;
  f.max_connections_per_ip = config.smtp.max_connections_per_ip;
  f.make_handler = [mode, protocol, degraded](Services& services) -> net::SessionHandler {
    auto options = std::make_shared<const smtp::server::SessionOptions>(
        session_options(services.config, mode, services.tls, degraded));
    store::Store* store = &services.store;
    auth::Authenticator* authenticator = &services.authenticator;
    return [options, store, authenticator, protocol](std::unique_ptr<net::Transport> transport) {
      return serve_connection(std::move(transport), options, store, authenticator, protocol);
    };
  };
  return f;
}

}  // namespace

void add_smtp_protocols(ProtocolRegistry& registry, const config::Config& config,
                        DegradedMode* degraded) {
  using smtp::server::Mode;
  registry["smtp"] = smtp_factory(config, "smtp", Mode::kSmtp, false, degraded);
  registry["submission"] = smtp_factory(config, "submission", Mode::kSubmission, false, degraded);
  registry["submissions"] = smtp_factory(config, "submissions", Mode::kSubmission, true, degraded);
  registry["lmtp"] = smtp_factory(config, "lmtp", Mode::kLmtp, false, degraded);
}

void add_smtp_protocols(ProtocolRegistry& registry, const config::Config& config) {
  add_smtp_protocols(registry, config, nullptr);
}

}  // namespace taube::server
