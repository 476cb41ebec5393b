// Registers HTTP (http, https): health, metrics, later CalDAV/CardDAV. Not built yet.
#include "server/protocols.hpp"

namespace taube::server {

void add_http_protocols(ProtocolRegistry&, const config::Config&) {}

}  // namespace taube::server
