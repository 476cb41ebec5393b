// RSET, NOOP, QUIT, HELP, VRFY and EXPN (RFC 5321 4.1.1.5-4.1.1.10).
#include "smtp/server/session.hpp"

namespace taube::smtp::server {

using boost::asio::awaitable;

awaitable<void> Session::on_rset(const wire::Command&) {
  reset_transaction();
  reply(250, "2.0.0", "OK");
  co_return;
}

awaitable<void> Session::on_noop(const wire::Command&) {
  reply(250, "2.0.0", "OK");
  co_return;
}

awaitable<void> Session::on_quit(const wire::Command&) {
  reply(221, "2.0.0", options_.hostname + " closing connection");
  closing_ = true;
  co_return;
}

awaitable<void> Session::on_help(const wire::Command&) {
  reply(214, "2.0.0", "See RFC 5321 (SMTP), RFC 2033 (LMTP); https://www.rfc-editor.org/");
  co_return;
}

// RFC 5321 3.5.3: 252 tells nothing, so VRFY cannot enumerate users.
awaitable<void> Session::on_vrfy(const wire::Command&) {
  reply(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery");
  co_return;
}

awaitable<void> Session::on_expn(const wire::Command&) {
  reply(502, "5.5.1", "EXPN not available");
  co_return;
}

}  // namespace taube::smtp::server
