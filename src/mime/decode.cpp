#include "mime/decode.hpp"

#include "base/ascii.hpp"
#include "base/base64.hpp"

namespace taube::mime {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

TransferEncoding classify_encoding(std::string_view value) {
  std::string_view v = ascii::trim(value);
  if (v.empty() || ascii::iequals(v, "7bit")) return TransferEncoding::k7Bit;
  if (ascii::iequals(v, "8bit")) return TransferEncoding::k8Bit;
  if (ascii::iequals(v, "binary")) return TransferEncoding::kBinary;
  if (ascii::iequals(v, "base64")) return TransferEncoding::kBase64;
  if (ascii::iequals(v, "quoted-printable")) return TransferEncoding::kQuotedPrintable;
  return TransferEncoding::kUnknown;
}

std::string decode_base64(std::string_view in) {
  std::string out;
  out.reserve(in.size() / 4 * 3 + 3);
  unsigned acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') {
      acc = 0;
      bits = 0;
      continue;
    }
    int v = base64_sextet(c);
    if (v < 0) continue;
    acc = (acc << 6) | unsigned(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((acc >> bits) & 0xFF);
      acc &= (1u << bits) - 1;
    }
  }
  return out;
}

std::string decode_quoted_printable(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  std::size_t i = 0;
  while (i < in.size()) {
    std::size_t eol = in.find('\n', i);
    std::size_t line_end = eol == std::string_view::npos ? in.size() : eol;
    std::size_t content_end = line_end;
    bool crlf = content_end > i && in[content_end - 1] == '\r';
    if (crlf) --content_end;
    // Trailing transport padding is not part of the data.
    while (content_end > i && ascii::is_space(in[content_end - 1])) --content_end;
    bool soft_break = false;
    for (std::size_t k = i; k < content_end; ++k) {
      char c = in[k];
      if (c != '=') {
        out += c;
        continue;
      }
      if (k + 1 == content_end) {
        soft_break = true;
        break;
      }
      int h = k + 1 < content_end ? hex_value(in[k + 1]) : -1;
      int l = k + 2 < content_end ? hex_value(in[k + 2]) : -1;
      if (h >= 0 && l >= 0) {
        out += char(h * 16 + l);
        k += 2;
      } else {
        out += '=';
      }
    }
    if (eol == std::string_view::npos) break;
    if (!soft_break) out += crlf ? "\r\n" : "\n";
    i = eol + 1;
  }
  return out;
}

std::string decode_transfer(std::string_view body, TransferEncoding encoding) {
  switch (encoding) {
    case TransferEncoding::kBase64:
      return decode_base64(body);
    case TransferEncoding::kQuotedPrintable:
      return decode_quoted_printable(body);
    default:
      return std::string(body);
  }
}

}  // namespace taube::mime
