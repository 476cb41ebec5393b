// RFC 5322 header blocks: splits a header into fields kept as offsets into the raw
// message (so HEADER.FIELDS can return the exact bytes), and unfolds values for
// interpretation. Tolerates bare LF, obsolete syntax (blanks before the colon),
// mbox "From " lines and other junk lines (skipped), raw 8-bit bytes.
// Pure functions; views returned borrow from the caller's raw message.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mime/limits.hpp"

namespace taube::mime {

struct HeaderField {
  std::size_t begin = 0;        // first byte of the field name
  std::size_t name_end = 0;     // end of the name (before blanks and ':')
  std::size_t value_begin = 0;  // just past the ':'
  std::size_t end = 0;          // just past the field's last line break

  std::string_view name(std::string_view raw) const { return raw.substr(begin, name_end - begin); }
  // The value as written: folding and the final line break included.
  std::string_view raw_value(std::string_view raw) const {
    return raw.substr(value_begin, end - value_begin);
  }
  // The whole field, line break(s) included.
  std::string_view bytes(std::string_view raw) const { return raw.substr(begin, end - begin); }
};

struct HeaderBlock {
  std::size_t begin = 0;
  std::size_t end = 0;  // just past the blank line ending the header, or the end of input
  std::vector<HeaderField> fields;  // in message order, at most Limits::max_header_fields
};

// Parses the header starting at raw[begin] and ending at the first empty line or
// at `end`. REQUIRES: begin <= end <= raw.size().
HeaderBlock parse_header(std::string_view raw, std::size_t begin, std::size_t end,
                         const Limits& limits);

// RFC 5322 2.2.3 unfolding: removes CR and LF, then trims blanks at both ends;
// the result is cut to `max_bytes`.
std::string unfold(std::string_view value, std::size_t max_bytes = std::string::npos);

// The first field named `name` (case-insensitive), or nullptr.
const HeaderField* find_field(std::string_view raw, std::span<const HeaderField> fields,
                              std::string_view name);

// Unfolded value of the first field named `name`, or nullopt when absent.
std::optional<std::string> field_value(std::string_view raw, std::span<const HeaderField> fields,
                                       std::string_view name,
                                       std::size_t max_bytes = std::string::npos);

}  // namespace taube::mime
