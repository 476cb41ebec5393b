// MIME parameters (RFC 2045 section 5.1) with RFC 2231 continuations and
// charset'language'value extensions. Values are kept in two forms: the form
// BODYSTRUCTURE reports (continuations merged, extended values still encoded,
// as Dovecot does) and a decoded UTF-8 form for display and search.
// Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace taube::mime {

struct Param {
  // Lower-cased attribute. RFC 2231 continuations ("name*0", "name*1*") are merged
  // into one; the name ends in '*' when the value carries charset'lang'.
  std::string name;
  // Quotes removed and quoted-pairs resolved; for a '*' name still "%XX"-encoded.
  std::string value;
};

// Parses "; a=b; c="d"" (the text after the media type or disposition type).
// Comments are ignored, unquoted values may contain blanks, segments without '='
// are dropped, the first of duplicate names wins. At most 128 parameters.
std::vector<Param> parse_params(std::string_view text);

// Decoded UTF-8 value of parameter `name` (lower case, without '*'): RFC 2231
// extended values are percent-decoded and converted from their charset, plain
// values have RFC 2047 encoded words decoded (common, though not standard).
std::optional<std::string> decoded_param(const std::vector<Param>& params, std::string_view name);

// Removes RFC 5322 comments outside quoted strings (nesting and quoted-pairs honoured).
std::string strip_comments(std::string_view text);

}  // namespace taube::mime
