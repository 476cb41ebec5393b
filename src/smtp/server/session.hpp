// The SMTP/submission/LMTP session as a coroutine over net::Transport: the I/O
// shell around SessionCore (core.hpp). It reads and writes, applies the RFC 5321
// timeouts, and fulfils the core's needs with the store (recipient lookup, sender
// check, delivery), the Authenticator and the transport's TLS. Threading: one
// coroutine on one strand; transport, store, authenticator and options must
// outlive it. Cancellation: destroying the suspended coroutine is safe; a delivery
// already started commits anyway (store contract) but is never acknowledged.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "auth/authenticator.hpp"
#include "net/transport.hpp"
#include "smtp/server/options.hpp"
#include "store/store.hpp"

namespace taube::smtp::server {

// Runs one session to its end and closes the transport. Never throws for client or
// store behaviour; a store failure becomes 451 4.3.0 (never a false 250).
boost::asio::awaitable<void> run_session(net::Transport& transport, store::Store& store,
                                         auth::Authenticator& authenticator,
                                         const SessionOptions& options);

}  // namespace taube::smtp::server
