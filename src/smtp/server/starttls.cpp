// STARTTLS (RFC 3207). Input the client pipelined after the command was sent in
// clear text and is discarded, never acted on after the handshake (RFC 3207 4.2,
// CVE-2011-0411); after the handshake the session starts over as if just connected.
#include "log/log.hpp"
#include "smtp/server/session.hpp"

namespace taube::smtp::server {

using boost::asio::awaitable;

awaitable<void> Session::on_starttls(const wire::Command&) {
  if (transport_.is_tls()) {
    reply(503, "5.5.1", "TLS already active");
    co_return;
  }
  std::shared_ptr<boost::asio::ssl::context> context;
  if (options_.tls_context) context = options_.tls_context();
  if (!context) {
    reply(454, "4.7.0", "TLS not available");
    co_return;
  }
  if (!pending().empty()) {
    log::warn("smtp.starttls_injection",
              {log::kv("client", client_log_name()), log::kv("discarded_bytes", pending().size())});
    consume(pending().size());
  }
  receiver_.reset();
  reply(220, "2.0.0", "Ready to start TLS");
  if (!co_await flush()) co_return;
  if (!co_await transport_.start_tls(std::move(context))) {
    log::info("smtp.tls_failed", {log::kv("client", client_log_name())});
    closing_ = true;
    co_return;
  }
  reset_transaction();
  state_ = State::kInit;
  helo_.clear();
  helo_is_domain_ = false;
  extended_ = false;
  user_.reset();
}

}  // namespace taube::smtp::server
