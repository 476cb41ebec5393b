// STARTTLS (RFC 3207). Pipelined input after the command was already discarded by
// dispatch() (CVE-2011-0411); here the receiver forgets any partial line too, and
// after the handshake the session starts over as if just connected (RFC 3207 4.2).
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
  reply(220, "2.0.0", "Ready to start TLS");
  if (!co_await flush()) co_return;
  consume(pending().size());
  receiver_.reset();
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
