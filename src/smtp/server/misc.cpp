// RSET, NOOP, QUIT, HELP, VRFY and EXPN (RFC 5321 4.1.1.5-4.1.1.10).
#include "smtp/server/core.hpp"

namespace taube::smtp::server {

void SessionCore::on_rset(const wire::Command&) {
  reset_transaction();
  reply(250, "2.0.0", "OK");
}

void SessionCore::on_noop(const wire::Command&) { reply(250, "2.0.0", "OK"); }

void SessionCore::on_quit(const wire::Command&) {
  reply(221, "2.0.0", options_.hostname + " closing connection");
  need_ = Need::kClose;
}

void SessionCore::on_help(const wire::Command&) {
  reply(214, "2.0.0", "See RFC 5321 (SMTP), RFC 2033 (LMTP); https://www.rfc-editor.org/");
}

// RFC 5321 3.5.3: 252 tells nothing, so VRFY cannot enumerate users.
void SessionCore::on_vrfy(const wire::Command&) {
  reply(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery");
}

void SessionCore::on_expn(const wire::Command&) { reply(502, "5.5.1", "EXPN not available"); }

}  // namespace taube::smtp::server
