#include "mime/encoded_word.hpp"

#include <optional>

#include "base/ascii.hpp"
#include "mime/charset.hpp"
#include "mime/decode.hpp"

namespace taube::mime {
namespace {

struct EncodedWord {
  std::string_view charset;
  char encoding;
  std::string_view text;
  std::size_t end;  // offset just past "?="
};

bool is_word_char(char c) {
  auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u < 0x7F && c != '?';
}

// Parses the encoded word starting at s[pos] == '='.
std::optional<EncodedWord> parse_word(std::string_view s, std::size_t pos) {
  std::size_t i = pos + 2;
  std::size_t cs_begin = i;
  while (i < s.size() && is_word_char(s[i])) ++i;
  if (i == cs_begin || i + 2 >= s.size() || s[i] != '?') return std::nullopt;
  std::string_view charset = s.substr(cs_begin, i - cs_begin);
  // RFC 2231 section 5: charset*language.
  if (std::size_t star = charset.find('*'); star != std::string_view::npos)
    charset = charset.substr(0, star);
  char enc = ascii::to_upper(s[i + 1]);
  if ((enc != 'B' && enc != 'Q') || s[i + 2] != '?') return std::nullopt;
  i += 3;
  std::size_t text_begin = i;
  while (i < s.size() && is_word_char(s[i])) ++i;
  if (i + 1 >= s.size() || s[i] != '?' || s[i + 1] != '=') return std::nullopt;
  return EncodedWord{charset, enc, s.substr(text_begin, i - text_begin), i + 2};
}

std::string decode_q(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    c = ascii::to_upper(c);
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '_') {
      out += ' ';
      continue;
    }
    if (c == '=' && i + 2 < text.size()) {
      int h = hex(text[i + 1]);
      int l = hex(text[i + 2]);
      if (h >= 0 && l >= 0) {
        out += char(h * 16 + l);
        i += 2;
        continue;
      }
    }
    out += c;
  }
  return out;
}

bool all_whitespace(std::string_view s) {
  for (char c : s)
    if (!ascii::is_space(c) && c != '\r' && c != '\n') return false;
  return true;
}

}  // namespace

std::string decode_encoded_words(std::string_view text) {
  std::string out;
  std::string pending;  // decoded bytes of a run of same-charset words
  std::string_view pending_charset;
  auto flush = [&] {
    if (!pending.empty()) out += to_utf8(pending, pending_charset);
    pending.clear();
  };
  std::size_t literal_begin = 0;
  bool after_word = false;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t pos = text.find("=?", i);
    if (pos == std::string_view::npos) break;
    std::optional<EncodedWord> word = parse_word(text, pos);
    if (!word) {
      i = pos + 1;
      continue;
    }
    std::string_view gap = text.substr(literal_begin, pos - literal_begin);
    if (!(after_word && all_whitespace(gap))) {
      flush();
      out += utf8_or_latin1(gap);
    }
    if (!ascii::iequals(word->charset, pending_charset)) flush();
    pending_charset = word->charset;
    pending += word->encoding == 'B' ? decode_base64(word->text) : decode_q(word->text);
    literal_begin = i = word->end;
    after_word = true;
  }
  flush();
  out += utf8_or_latin1(text.substr(literal_begin));
  return out;
}

}  // namespace taube::mime
