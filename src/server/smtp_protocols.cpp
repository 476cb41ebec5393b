// Registers the SMTP family (smtp, submission, submissions, lmtp). Not built yet.
#include "server/protocols.hpp"

namespace taube::server {

void add_smtp_protocols(ProtocolRegistry&, const config::Config&) {}

}  // namespace taube::server
