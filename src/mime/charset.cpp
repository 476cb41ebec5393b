#include "mime/charset.hpp"

#include <iconv.h>

#include <cerrno>

#include "base/ascii.hpp"

namespace taube::mime {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

void append_utf8(std::string& out, unsigned cp) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xE0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
}

// Length of the valid UTF-8 sequence at s[i], or 0 when invalid.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned c = b(i);
  if (c < 0x80) return 1;
  std::size_t n;
  unsigned min;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  unsigned cp = c & (0x7F >> n);
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

std::string utf8_with_replacement(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = utf8_sequence_length(s, i);
    if (n == 0) {
      out += kReplacement;
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

// Charset names reach iconv_open() only when they look like names.
bool is_plausible_charset_name(std::string_view name) {
  if (name.empty() || name.size() > 40) return false;
  for (char c : name) {
    if (!(ascii::is_alpha(c) || ascii::is_digit(c) || c == '-' || c == '_' || c == '.' || c == ':'))
      return false;
  }
  return true;
}

bool is_ascii_superset(std::string_view cs) {
  return cs == "us-ascii" || cs == "ascii" || cs == "utf-8" || cs == "utf8" ||
         cs.starts_with("iso-8859-") || cs.starts_with("windows-12") || cs.starts_with("cp12") ||
         cs.starts_with("koi8-") || cs == "gb2312" || cs == "gbk" || cs == "big5" ||
         cs == "shift_jis" || cs == "euc-jp" || cs == "euc-kr";
}

std::string iconv_to_utf8(std::string_view bytes, const std::string& charset, bool& ok) {
  ok = false;
  iconv_t cd = iconv_open("UTF-8", charset.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) return {};
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 2 + 16);
  char buf[4096];
  char* in = const_cast<char*>(bytes.data());
  std::size_t in_left = bytes.size();
  while (in_left > 0) {
    char* o = buf;
    std::size_t o_left = sizeof buf;
    std::size_t r = iconv(cd, &in, &in_left, &o, &o_left);
    out.append(buf, sizeof buf - o_left);
    if (r == static_cast<std::size_t>(-1)) {
      if (errno == E2BIG) continue;
      // EILSEQ: skip one byte; EINVAL: truncated sequence at the end.
      out += kReplacement;
      if (errno == EINVAL) break;
      ++in;
      --in_left;
    }
  }
  char* o = buf;
  std::size_t o_left = sizeof buf;
  iconv(cd, nullptr, nullptr, &o, &o_left);
  out.append(buf, sizeof buf - o_left);
  iconv_close(cd);
  ok = true;
  return out;
}

}  // namespace

bool is_valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = utf8_sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

bool is_ascii(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

std::string latin1_to_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 4);
  for (char c : s) append_utf8(out, static_cast<unsigned char>(c));
  return out;
}

std::string utf8_or_latin1(std::string_view s) {
  if (is_valid_utf8(s)) return std::string(s);
  return latin1_to_utf8(s);
}

std::string to_utf8(std::string_view bytes, std::string_view charset) {
  std::string cs = ascii::lower(ascii::trim(charset));
  if (is_ascii(bytes) && is_ascii_superset(cs)) return std::string(bytes);
  if (cs == "utf-8" || cs == "utf8") return utf8_with_replacement(bytes);
  // 8-bit bytes labelled us-ascii are mislabelled; the usual truth is UTF-8.
  if (cs == "us-ascii" || cs == "ascii") return utf8_or_latin1(bytes);
  if (cs == "iso-8859-1" || cs == "latin1") return latin1_to_utf8(bytes);
  if (!is_plausible_charset_name(cs)) return utf8_or_latin1(bytes);
  bool ok = false;
  std::string out = iconv_to_utf8(bytes, cs, ok);
  if (ok) return out;
  return utf8_or_latin1(bytes);
}

}  // namespace taube::mime
