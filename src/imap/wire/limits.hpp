// Limits: every bound the IMAP wire layer enforces, in one struct the session
// passes to the Receiver and the command parser (cf. Dovecot imap_parser_params).
// Plain value type, copied into each receiver; no lifetime rules apply. The
// defaults bound memory per connection before authentication.
#pragma once

#include <cstddef>
#include <cstdint>

namespace taube::imap::wire {

struct Limits {
  // Octets of one command excluding literal contents, summed over all of its
  // line segments (RFC 9051 4.3 leaves the bound to the server; RFC 7162 4
  // asks for at least 8192). Over it: BAD and resync at the next LF.
  std::size_t max_line_bytes = 64 * 1024;
  // Largest literal accepted (the APPENDLIMIT of RFC 7889). APPEND literals
  // over it get NO [TOOBIG]; other commands' literals over it get BAD [TOOBIG].
  std::uint64_t max_literal_bytes = 50ull * 1024 * 1024;
  // Literals in one command other than APPEND data (astrings, search strings):
  // these are buffered whole, so they get a much smaller bound.
  std::uint64_t max_argument_literal_bytes = 64 * 1024;
  // Sum of all literal octets in one command (MULTIAPPEND holds them all).
  std::uint64_t max_command_literal_bytes = 100ull * 1024 * 1024;
  // RFC 7888 4: when only LITERAL- is advertised, {n+} is limited to 4096.
  bool literal_minus_only = false;
  // A non-synchronising literal over a limit cannot be refused before the
  // client sends it. Up to this many octets are read and thrown away so the
  // connection stays usable; beyond it the session must close the connection.
  std::uint64_t max_discarded_literal_bytes = 1024 * 1024;
  // Nesting of parenthesised lists and of search keys (NOT/OR/parentheses).
  std::size_t max_depth = 64;
  // Tokens (atoms, strings, parentheses) in one command; also bounds search keys.
  std::size_t max_tokens = 10000;
  // Ranges in one sequence set, and messages in one MULTIAPPEND.
  std::size_t max_sequence_ranges = 10000;
  std::size_t max_append_messages = 1000;
  // RFC 9051 does not bound tags; 128 octets is what real clients stay under.
  std::size_t max_tag_bytes = 128;
};

// RFC 7888 4: the LITERAL- limit.
inline constexpr std::uint64_t kLiteralMinusMaxBytes = 4096;

}  // namespace taube::imap::wire
