#include "mime/imap_string.hpp"

namespace taube::mime {

void append_imap_string(std::string& out, std::string_view s) {
  bool literal = false;
  bool has_nul = false;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u == 0) has_nul = true;
    // QUOTED-CHAR is a TEXT-CHAR: CHAR (7-bit) except CR and LF.
    if (u >= 0x80 || c == '\r' || c == '\n') literal = true;
  }
  std::string clean;
  if (has_nul) {
    for (char c : s)
      if (c != '\0') clean += c;
    s = clean;
  }
  if (literal) {
    out += '{';
    out += std::to_string(s.size());
    out += "}\r\n";
    out += s;
    return;
  }
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

void append_imap_nstring(std::string& out, const std::optional<std::string>& s) {
  if (!s) {
    out += "NIL";
    return;
  }
  append_imap_string(out, *s);
}

}  // namespace taube::mime
