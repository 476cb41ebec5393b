#include "imap/wire/tokens.hpp"

#include "base/ascii.hpp"

namespace taube::imap::wire {

bool is_atom_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u >= 0x7f) return false;
  switch (c) {
    case '(': case ')': case '{': case '%': case '*': case '"': case '\\': case ']':
      return false;
    default:
      return true;
  }
}

bool is_astring_char(char c) { return is_atom_char(c) || c == ']'; }

bool is_quoted_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u != 0 && c != '\r' && c != '\n' && c != '"' && c != '\\' && u < 0x80;
}

bool has_8bit(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  return false;
}

bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) { ++i; continue; }
    std::size_t n;
    char32_t cp;
    if (c >= 0xc2 && c <= 0xdf) { n = 1; cp = c & 0x1f; }
    else if (c >= 0xe0 && c <= 0xef) { n = 2; cp = c & 0x0f; }
    else if (c >= 0xf0 && c <= 0xf4) { n = 3; cp = c & 0x07; }
    else return false;
    for (std::size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += n + 1;
  }
  return true;
}

bool TokenCursor::peek_atom(std::string_view word) const {
  const Token* t = peek();
  return t && t->kind == TokenKind::kAtom && ascii::iequals(t->text, word);
}

bool TokenCursor::take_atom(std::string_view word) {
  if (!peek_atom(word)) return false;
  ++pos_;
  return true;
}

bool TokenCursor::take(TokenKind kind) {
  if (!peek_kind(kind)) return false;
  ++pos_;
  return true;
}

}  // namespace taube::imap::wire
