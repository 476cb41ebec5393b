// Registers the SMTP family: "smtp" (MX, port 25 role), "submission" (STARTTLS, AUTH
// required; 587), "submissions" (implicit TLS, RFC 8314; 465) and "lmtp" (RFC 2033).
// Limits come from [smtp] in the configuration; one SessionOptions per listener,
// shared read-only by its sessions.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/this_coro.hpp>

#include <mutex>
#include <random>

#include "dns/resolver.hpp"
#include "log/log.hpp"
#include "mailauth/inbound.hpp"
#include "metrics/node_metrics.hpp"
#include "server/degraded.hpp"
#include "server/protocols.hpp"
#include "smtp/server/session.hpp"

namespace taube::server {
namespace {

// The MX listener's message check ([mailauth]): SPF, DKIM and DMARC before the
// store. Its resolver is made on first use from the calling session's executor
// (the node has no shared resolver yet); a failure to make one leaves mail
// unchecked (logged once). Shared by the listener's sessions; thread-safe.
class InboundChecker {
 public:
  explicit InboundChecker(const config::Config& config) {
    settings_.authserv_id = config.hostname;
    settings_.enforce = config.mailauth.dmarc_policy == "enforce";
    resolver_options_.resolver = config.dns.resolver;
    resolver_options_.timeout = config.dns.timeout;
    resolver_options_.trust_anchor_file = config.dns.trust_anchor_file;
    // Lookups start until the deadline and each may then take dns.timeout: keep the
    // sum under the data timeout the client is waiting with.
    auto budget = std::min(config.mailauth.check_timeout, config.smtp.data_timeout - config.dns.timeout);
    timeout_ = std::max(budget, std::chrono::seconds(1));
  }

  dns::Resolver* resolver(boost::asio::any_io_executor executor) {
    std::lock_guard lock(mutex_);
    if (!resolver_ && !failed_) {
      auto made = dns::Resolver::create(std::move(executor), resolver_options_);
      if (made) {
        resolver_ = std::move(*made);
      } else {
        failed_ = true;
        log::error("mailauth.no_resolver", {log::kv("reason", made.error().detail)});
      }
    }
    return resolver_.get();
  }
  const mailauth::InboundSettings& settings() const { return settings_; }
  std::chrono::seconds timeout() const { return timeout_; }
  unsigned roll() {
    std::lock_guard lock(mutex_);
    return std::uniform_int_distribution<unsigned>(0, 99)(random_);
  }

 private:
  mailauth::InboundSettings settings_;
  dns::ResolverOptions resolver_options_;
  std::chrono::seconds timeout_{20};
  std::mutex mutex_;
  std::unique_ptr<dns::Resolver> resolver_;
  bool failed_ = false;
  std::minstd_rand random_{std::random_device{}()};
};

boost::asio::awaitable<smtp::server::MessageCheck> check_message(
    std::shared_ptr<InboundChecker> checker, smtp::server::MessageCheckRequest request) {
  using smtp::server::MessageCheck;
  MessageCheck out;
  boost::asio::any_io_executor executor = co_await boost::asio::this_coro::executor;
  dns::Resolver* resolver = checker->resolver(executor);
  if (!resolver) {
    out.raw = std::move(request.raw);
    co_return out;
  }
  mailauth::InboundRequest r;
  r.remote_address = std::move(request.remote_address);
  r.helo = std::move(request.helo);
  r.mail_from = std::move(request.mail_from);
  r.raw = std::move(request.raw);
  r.deadline = std::chrono::steady_clock::now() + checker->timeout();
  r.roll = checker->roll();
  auto op = mailauth::check_inbound(*resolver, checker->settings(), std::move(r));
  mailauth::InboundVerdict verdict = co_await std::move(op);
  std::string dkim;
  for (const mailauth::DkimOutcome& d : verdict.dkim)
    dkim += (dkim.empty() ? "" : ",") + std::string(mailauth::to_string(d.result)) + ":" + d.domain;
  log::info("smtp.mailauth", {log::kv("spf", mailauth::to_string(verdict.spf.result)),
                              log::kv("dkim", dkim.empty() ? std::string("none") : dkim),
                              log::kv("dmarc", mailauth::to_string(verdict.dmarc.result)),
                              log::kv("from_domain", verdict.dmarc.from_domain)});
  out.raw = std::move(verdict.raw);
  switch (verdict.action) {
    case mailauth::InboundVerdict::Action::kAccept:
      out.action = MessageCheck::Action::kAccept;
      break;
    case mailauth::InboundVerdict::Action::kJunk:
      out.action = MessageCheck::Action::kJunk;
      break;
    case mailauth::InboundVerdict::Action::kReject:
      out.action = MessageCheck::Action::kReject;
      out.reply_text = "Message rejected by the DMARC policy of " + verdict.dmarc.from_domain;
      break;
  }
  co_return out;
}

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
  if (mode == smtp::server::Mode::kSmtp && config.mailauth.verify_inbound) {
    auto checker = std::make_shared<InboundChecker>(config);
    o.check_message = [checker](smtp::server::MessageCheckRequest request) {
      return check_message(checker, std::move(request));
    };
  }
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
