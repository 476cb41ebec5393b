// IMAP string output for ENVELOPE and BODYSTRUCTURE (RFC 9051 section 9 grammar):
// a quoted string when every byte is a 7-bit TEXT-CHAR ('"' and '\' escaped),
// otherwise a synchronising literal "{n}\r\n" followed by the bytes.
// Pure functions appending to a caller-owned buffer.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace taube::mime {

// string = quoted / literal. NUL bytes (not CHAR8) are dropped.
void append_imap_string(std::string& out, std::string_view s);

// nstring = string / nil.
void append_imap_nstring(std::string& out, const std::optional<std::string>& s);

}  // namespace taube::mime
