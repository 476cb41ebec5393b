// Limits: every size bound the SMTP/LMTP wire layer enforces, in one struct that
// the session passes to the receivers (cf. Dovecot imap_parser_params).
// Plain value type; copied into each receiver, so no lifetime rules apply.
// Defaults follow RFC 5321 4.5.3.1 with the allowances of RFC 1869/4954.
#pragma once

#include <cstddef>
#include <cstdint>

namespace taube::smtp::wire {

struct Limits {
  // RFC 5321 4.5.3.1.4: 512 octets including CRLF, but RFC 5321 4.1.2/RFC 1869
  // let each advertised extension add its parameters' length, so real servers
  // accept more. Lines longer than this get 500 5.5.2 "Line too long".
  std::size_t max_command_line_bytes = 2048;
  // RFC 4954 4: an AUTH line with an initial response (and every SASL
  // continuation line) may be up to 12288 octets.
  std::size_t max_auth_line_bytes = 12288;
  // RFC 5321 4.5.3.1.6: a text line is at most 1000 octets including CRLF.
  // DATA lines longer than max + tolerance are counted, not rejected: the
  // session decides (552 5.5.0 or accept).
  std::size_t max_data_line_bytes = 1000;
  std::size_t data_line_tolerance_bytes = 0;
  // RFC 1870: the fixed maximum message size. Counted over the message as
  // stored (after dot-unstuffing, line endings as CRLF).
  std::uint64_t max_message_bytes = 10 * 1024 * 1024;
  // RFC 5321 4.5.3.1.8: at least 100. Enforced by the session.
  std::size_t max_recipients = 1000;
  // The DATA/BDAT receivers hand the message to their sink in chunks of at
  // most this many bytes; it bounds their memory.
  std::size_t sink_chunk_bytes = 64 * 1024;
  // RFC 5321 2.3.8 requires CRLF; most servers accept a bare LF at the end of
  // a command line (Postfix "normalize"). When false such a line is rejected.
  bool accept_bare_lf_in_commands = true;
};

}  // namespace taube::smtp::wire
