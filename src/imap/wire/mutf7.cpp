#include "imap/wire/mutf7.hpp"

#include <cstdint>
#include <vector>

#include "imap/wire/tokens.hpp"

namespace taube::imap::wire {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == ',') return 63;
  return -1;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

// Decodes one "&...-" run's BASE64 body into UTF-8, strictly.
bool decode_run(std::string_view b64, std::string& out) {
  std::uint32_t bits = 0;
  int nbits = 0;
  std::vector<char16_t> units;
  for (char c : b64) {
    const int v = base64_value(c);
    if (v < 0) return false;
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    nbits += 6;
    if (nbits >= 16) {
      nbits -= 16;
      units.push_back(static_cast<char16_t>((bits >> nbits) & 0xffff));
    }
  }
  // RFC 2152: at most the bits of one partial BASE64 digit, all zero.
  if (nbits >= 6 || (bits & ((1u << nbits) - 1)) != 0 || units.empty()) return false;
  for (std::size_t i = 0; i < units.size(); ++i) {
    char32_t cp = units[i];
    if (cp >= 0xd800 && cp <= 0xdbff) {
      if (i + 1 >= units.size() || units[i + 1] < 0xdc00 || units[i + 1] > 0xdfff) return false;
      cp = 0x10000 + ((cp - 0xd800) << 10) + (units[i + 1] - 0xdc00);
      ++i;
    } else if (cp >= 0xdc00 && cp <= 0xdfff) {
      return false;
    }
    if (cp < 0x20 || (cp >= 0x20 && cp <= 0x7f)) return false;  // controls, or ASCII that must be direct
    append_utf8(out, cp);
  }
  return true;
}

char32_t next_code_point(std::string_view s, std::size_t& i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = c < 0x80 ? 0 : c < 0xe0 ? 1 : c < 0xf0 ? 2 : 3;
  char32_t cp = n == 0 ? c : n == 1 ? (c & 0x1f) : n == 2 ? (c & 0x0f) : (c & 0x07);
  for (std::size_t k = 1; k <= n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
  i += n + 1;
  return cp;
}

}  // namespace

std::optional<std::string> decode_mutf7(std::string_view in) {
  std::string out;
  bool previous_was_run = false;
  std::size_t i = 0;
  while (i < in.size()) {
    const char c = in[i];
    if (c < 0x20 || c > 0x7e) return std::nullopt;
    if (c != '&') {
      out += c;
      previous_was_run = false;
      ++i;
      continue;
    }
    const auto dash = in.find('-', i + 1);
    if (dash == std::string_view::npos) return std::nullopt;
    if (dash == i + 1) {
      out += '&';
      previous_was_run = false;
    } else {
      if (previous_was_run) return std::nullopt;  // "&AGE-&AGE-" must be one run
      if (!decode_run(in.substr(i + 1, dash - i - 1), out)) return std::nullopt;
      previous_was_run = true;
    }
    i = dash + 1;
  }
  return out;
}

std::optional<std::string> encode_mutf7(std::string_view in) {
  if (!is_valid_utf8(in)) return std::nullopt;
  std::string out;
  std::uint32_t bits = 0;
  int nbits = 0;
  bool in_run = false;
  auto flush = [&] {
    if (!in_run) return;
    if (nbits > 0) out += kAlphabet[(bits << (6 - nbits)) & 0x3f];
    out += '-';
    bits = 0;
    nbits = 0;
    in_run = false;
  };
  auto put_unit = [&](char16_t u) {
    bits = (bits << 16) | u;
    nbits += 16;
    while (nbits >= 6) {
      nbits -= 6;
      out += kAlphabet[(bits >> nbits) & 0x3f];
    }
    bits &= (1u << nbits) - 1;
  };
  std::size_t i = 0;
  while (i < in.size()) {
    const char32_t cp = next_code_point(in, i);
    if (cp >= 0x20 && cp <= 0x7e) {
      flush();
      out += static_cast<char>(cp);
      if (cp == '&') out += '-';
      continue;
    }
    if (!in_run) {
      out += '&';
      in_run = true;
    }
    if (cp >= 0x10000) {
      const char32_t v = cp - 0x10000;
      put_unit(static_cast<char16_t>(0xd800 + (v >> 10)));
      put_unit(static_cast<char16_t>(0xdc00 + (v & 0x3ff)));
    } else {
      put_unit(static_cast<char16_t>(cp));
    }
  }
  flush();
  return out;
}

}  // namespace taube::imap::wire
