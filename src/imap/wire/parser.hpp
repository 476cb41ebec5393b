// parse_command: turns a Receiver's RawCommand into a typed Command (see
// command.hpp) or Invalid{BAD} for malformed input; unknown commands get BAD.
// Runs on untrusted input before authentication; bounded by Limits (depth,
// tokens, sequence-set ranges). Pure function; no state between calls.
#pragma once

#include <variant>

#include "imap/wire/command.hpp"
#include "imap/wire/limits.hpp"
#include "imap/wire/receiver.hpp"

namespace taube::imap::wire {

struct ParseContext {
  Limits limits;
  // Mailbox names are UTF-8 on the wire (IMAP4rev2 or UTF8=ACCEPT enabled,
  // RFC 9051 5.1 / RFC 6855 3); otherwise they are modified UTF-7 and decoded.
  bool utf8_names = false;
};

std::variant<Command, Invalid> parse_command(const RawCommand& raw, const ParseContext& context);

}  // namespace taube::imap::wire
