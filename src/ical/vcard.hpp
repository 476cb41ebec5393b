// vCard 3.0 (RFC 2425/2426) and 4.0 (RFC 6350) parsing and validation for CardDAV
// (RFC 6352 5.1). A small bounded parser of its own: libical does not read vCard. Untrusted
// input; the result owns copies of everything and is a plain value.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace taube::ical {

struct VcardLimits {
  std::size_t max_object_bytes = 1 << 20;
  std::size_t max_properties = 5000;
  std::size_t max_params_per_property = 32;
};

struct VcardProperty {
  std::string group;  // "item1" in "item1.EMAIL"; empty if none
  std::string name;   // upper-cased
  std::vector<std::pair<std::string, std::string>> params;  // name upper-cased, value unquoted
  std::string value;  // unfolded, still escaped as in the text (RFC 6350 3.4)
};

struct Vcard {
  std::string version;  // "3.0" or "4.0"
  std::string uid;      // may be empty: RFC 6352 5.1 requires it, the caller decides
  std::string fn;       // unescaped
  std::vector<std::string> emails;  // unescaped values, in order
  std::vector<std::string> tels;
  std::vector<VcardProperty> properties;  // all, in order, BEGIN/END excluded
};

struct VcardInvalid {
  std::string reason;  // one English sentence, safe to send (CARDDAV:valid-address-data)
};

// Parses exactly one vCard (RFC 6352 5.1: one per resource). Lines end in CRLF or LF; a line
// starting with space or tab continues the previous one (RFC 6350 3.2). Requires BEGIN:VCARD
// first, END:VCARD last, VERSION 3.0 or 4.0, and FN. No quoted-printable (vCard 2.1 only).
std::variant<Vcard, VcardInvalid> parse_vcard(std::string_view text, const VcardLimits& limits);

// RFC 6350 3.4 text unescaping: \n \N -> LF, \\ \, \; -> the character.
std::string unescape_text(std::string_view value);

}  // namespace taube::ical
