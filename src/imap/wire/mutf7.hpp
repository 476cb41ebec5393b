// Modified UTF-7 for mailbox names (RFC 3501 5.1.3), used by IMAP4rev1
// sessions without UTF8=ACCEPT. Decoding is strict: input from clients is
// untrusted, and only the one canonical encoding of a name is accepted, so a
// name cannot alias another. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace taube::imap::wire {

// Decodes to UTF-8. Rejects (nullopt): octets outside 0x20-0x7E, an "&" run
// that is unterminated, empty or not modified BASE64, non-zero padding bits,
// unpaired surrogates, encoded printable ASCII, two adjacent encoded runs,
// and control characters (U+0000-U+001F, U+007F) which no mailbox name needs.
std::optional<std::string> decode_mutf7(std::string_view mutf7);

// Encodes UTF-8 to modified UTF-7. Rejects invalid UTF-8.
std::optional<std::string> encode_mutf7(std::string_view utf8);

}  // namespace taube::imap::wire
