// Content-Type and Content-Disposition field values (RFC 2045 section 5, RFC 2183):
// media type, subtype and parameters, tolerant of comments and stray blanks.
// Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mime/params.hpp"

namespace taube::mime {

struct ContentType {
  std::string type;     // as written (case kept, as Dovecot reports it)
  std::string subtype;  // as written
  std::vector<Param> params;
  bool valid = false;  // false when there was no "type/subtype" token pair

  bool is(std::string_view t, std::string_view s) const;  // case-insensitive
  bool is_type(std::string_view t) const;
};

// Parses a Content-Type value. An unparsable value yields valid == false with the
// parameters that could still be read (RFC 2045 5.2: the caller defaults it).
ContentType parse_content_type(std::string_view value);

struct ContentDisposition {
  std::string type;  // as written, e.g. "attachment"; empty when absent or invalid
  std::vector<Param> params;
};

ContentDisposition parse_content_disposition(std::string_view value);

}  // namespace taube::mime
