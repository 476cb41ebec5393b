// mime::Limits: every bound the MIME parser applies to untrusted input, in one
// struct passed to mime::parse() (Dovecot's message_parser_settings). Exceeding a
// limit never fails a message: the excess is treated as opaque body bytes.
// Value type; no threading concerns.
#pragma once

#include <cstddef>

namespace taube::mime {

struct Limits {
  // Nesting of multipart and message/rfc822 parts; a part deeper than this is
  // kept as an opaque application/octet-stream leaf.
  std::size_t max_depth = 32;
  // Header fields recorded per part; further fields stay in the header block
  // (BODY[HEADER] still returns them) but are not interpreted.
  std::size_t max_header_fields = 1000;
  // Header fields recorded over the whole message, so that many parts with many
  // tiny fields cannot multiply memory (each recorded field costs 32 bytes).
  std::size_t max_total_header_fields = 100000;
  // Longest header field value (unfolded) interpreted; longer values are cut for
  // interpretation only. Boundary delimiter lines longer than this are ignored.
  std::size_t max_line_bytes = 64 * 1024;
  // Total parts in one message (all levels); later parts stay inside their
  // enclosing part's epilogue.
  std::size_t max_parts = 10000;
};

}  // namespace taube::mime
