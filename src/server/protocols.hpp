// How protocols plug into the node: each protocol module registers a factory per
// listener name ("smtp", "submission", "imaps", ...) that makes the session handler
// for that listener from the node's shared services. serve() opens a listener for
// every configured endpoint whose name has a factory. Registration files live here
// (one per protocol: smtp_protocols.cpp, imap_protocols.cpp, ...) so that the server
// module is the only place that names concrete protocol servers.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "auth/authenticator.hpp"
#include "config/config.hpp"
#include "net/listener.hpp"
#include "net/tls.hpp"
#include "store/store.hpp"

namespace taube::server {

// What every protocol session may use. Owned by serve(); outlives every listener
// and session (sessions are ended before it is destroyed).
struct Services {
  const config::Config& config;
  store::Store& store;
  auth::Authenticator& authenticator;
  std::shared_ptr<net::TlsContexts> tls;
};

struct ProtocolFactory {
  bool implicit_tls = false;  // handshake before the session starts (submissions, imaps, ...)
  std::string busy_reply;     // sent to a connection refused by a limit, e.g. "421 ...\r\n"
  uint32_t max_connections = 10000;
  uint32_t max_connections_per_ip = 100;
  std::function<net::SessionHandler(Services&)> make_handler;
};

using ProtocolRegistry = std::map<std::string, ProtocolFactory>;

// Each adds the listener names it serves; defined in <protocol>_protocols.cpp.
void add_smtp_protocols(ProtocolRegistry& registry, const config::Config& config);
void add_imap_protocols(ProtocolRegistry& registry, const config::Config& config);
void add_http_protocols(ProtocolRegistry& registry, const config::Config& config);

}  // namespace taube::server
