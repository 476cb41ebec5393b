// STARTTLS (RFC 3207). The core answers 220 and asks for the handshake; input the
// client pipelined after the command is dropped by feed() (CVE-2011-0411). After
// the handshake the session starts over as if just connected (RFC 3207 4.2).
#include "smtp/server/core.hpp"

namespace taube::smtp::server {

void SessionCore::on_starttls(const wire::Command&) {
  if (connection_.tls) {
    reply(503, "5.5.1", "TLS already active");
    return;
  }
  if (!connection_.tls_available) {
    reply(454, "4.7.0", "TLS not available");
    return;
  }
  receiver_.reset();
  reply(220, "2.0.0", "Ready to start TLS");
  need_ = Need::kStartTls;
}

void SessionCore::tls_started(bool ok, Connection connection) {
  if (!ok) {
    event(Event::kInfo, "smtp.tls_failed");
    need_ = Need::kClose;
    return;
  }
  connection_ = std::move(connection);
  reset_transaction();
  state_ = State::kInit;
  helo_.clear();
  helo_is_domain_ = false;
  extended_ = false;
  user_.reset();
  need_ = Need::kInput;
}

}  // namespace taube::smtp::server
