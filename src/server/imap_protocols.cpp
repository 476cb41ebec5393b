// Registers IMAP (imap, imaps). Not built yet.
#include "server/protocols.hpp"

namespace taube::server {

void add_imap_protocols(ProtocolRegistry&, const config::Config&) {}

}  // namespace taube::server
