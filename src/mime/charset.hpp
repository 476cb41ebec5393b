// Charset conversion to UTF-8 for decoded MIME text (glibc iconv), plus the
// fallbacks used for raw 8-bit header bytes: valid UTF-8 is kept, anything else is
// read as Latin-1. Unknown or hostile charset names never fail: they fall back.
// Pure functions; no caches, no global state.
#pragma once

#include <string>
#include <string_view>

namespace taube::mime {

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates).
bool is_valid_utf8(std::string_view s);

// True when every byte of `s` is below 0x80.
bool is_ascii(std::string_view s);

// Each byte as the Unicode code point of the same value.
std::string latin1_to_utf8(std::string_view s);

// `s` if it is valid UTF-8, else its Latin-1 reading (RFC 6532 tolerance for
// raw 8-bit header bytes).
std::string utf8_or_latin1(std::string_view s);

// Converts `bytes` in `charset` (a MIME charset name, any case) to UTF-8.
// Invalid sequences become U+FFFD. Unknown, empty or malformed charset names
// fall back to utf8_or_latin1(). Never fails.
std::string to_utf8(std::string_view bytes, std::string_view charset);

}  // namespace taube::mime
