// HELO, EHLO and LHLO (RFC 5321 4.1.1.1, RFC 2033 4.1) and the capability list.
#include "smtp/server/core.hpp"
#include "smtp/wire/reply.hpp"

namespace taube::smtp::server {

std::vector<std::string> SessionCore::capabilities() const {
  std::vector<std::string> caps = {
      "PIPELINING",                                                 // RFC 2920
      "SIZE " + std::to_string(options_.limits.max_message_bytes),  // RFC 1870
      "8BITMIME",                                                   // RFC 6152
      "SMTPUTF8",                                                   // RFC 6531
      "ENHANCEDSTATUSCODES",                                        // RFC 2034
      "CHUNKING",                                                   // RFC 3030
      "DSN",                                                        // RFC 3461
  };
  if (connection_.tls_available && !connection_.tls) caps.push_back("STARTTLS");  // RFC 3207
  // RFC 4954: only on submission, and only where a password cannot leak in clear.
  if (auth_allowed() && !user_) caps.push_back("AUTH PLAIN LOGIN");
  return caps;
}

// A new greeting ends any transaction (RFC 5321 4.1.4) but keeps TLS and AUTH.
void SessionCore::on_helo(const wire::Command& c) {
  reset_transaction();
  helo_ = c.argument;
  helo_is_domain_ = c.argument_is_valid_domain;
  extended_ = false;
  state_ = State::kReady;
  reply(250, {}, options_.hostname);
}

void SessionCore::on_ehlo(const wire::Command& c) {
  reset_transaction();
  helo_ = c.argument;
  helo_is_domain_ = c.argument_is_valid_domain;
  extended_ = true;
  state_ = State::kReady;
  out_ += wire::format_ehlo_reply(options_.hostname, {}, capabilities());
}

}  // namespace taube::smtp::server
