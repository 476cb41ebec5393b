// Base64 (RFC 4648 section 4): the strict codec that protocol exchanges need (SASL
// in SMTP AUTH, IMAP AUTHENTICATE, POP3 AUTH) and the alphabet lookup that the
// tolerant MIME content decoder shares. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace taube {

// The value 0-63 of a base64 character, or -1.
constexpr int base64_sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Padded, no whitespace, no URL alphabet, zero pad bits; nullopt otherwise.
std::optional<std::string> decode_base64_strict(std::string_view text);
std::string encode_base64(std::string_view bytes);

}  // namespace taube
