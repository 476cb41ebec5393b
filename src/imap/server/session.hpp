// One IMAP connection: greeting, the command loop over net::Transport (framing
// by wire::Receiver, dispatch through the command table), STARTTLS, IDLE and
// change notifications from the store. Runs as one coroutine on the
// connection's strand; the store's change callback posts back to that strand.
// The only file of imap_server that uses Asio beyond awaitables.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include <functional>
#include <memory>

#include "imap/server/context.hpp"
#include "net/transport.hpp"

namespace taube::imap::server {

struct SessionServices {
  store::Store* store = nullptr;
  auth::Authenticator* authenticator = nullptr;
  // The TLS context for STARTTLS (nullptr: STARTTLS is not offered).
  std::function<std::shared_ptr<boost::asio::ssl::context>()> tls_context;
};

// Runs the session until LOGOUT, a fatal error, a timeout or the client
// leaving; then closes the transport. Never throws for client behaviour.
// REQUIRES: the services outlive the returned awaitable (sessions refer to
// them: 20,000 idle sessions should not hold 20,000 copies).
boost::asio::awaitable<void> run_session(std::unique_ptr<net::Transport> transport, const SessionServices& services,
                                         const Options& options);

}  // namespace taube::imap::server
