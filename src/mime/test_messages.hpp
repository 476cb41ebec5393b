// Hand-written messages shared by the mime unit tests.
#pragma once

#include <string>

namespace taube::mime::testing {

// multipart/mixed: quoted-printable text, base64 PDF with RFC 2231 names and two
// languages, and a message/rfc822 whose body is a multipart/alternative.
inline std::string nested_message() {
  return "From: \"Doe, John\" <john@example.com>\r\n"
         "To: jane@example.org\r\n"
         "Subject: =?utf-8?Q?Gr=C3=BC=C3=9Fe?=\r\n"
         "Date: Tue, 2 Jan 2024 10:00:00 +0100\r\n"
         "Message-ID: <m1@example.com>\r\n"
         "MIME-Version: 1.0\r\n"
         "Content-Type: multipart/mixed; boundary=\"XX\"\r\n"
         "\r\n"
         "preamble\r\n"
         "--XX\r\n"
         "Content-Type: text/plain; charset=utf-8\r\n"
         "Content-Transfer-Encoding: quoted-printable\r\n"
         "\r\n"
         "Hello w=C3=B6rld\r\n"
         "second line\r\n"
         "--XX\r\n"
         "Content-Type: application/pdf; name*=UTF-8''R%C3%A9sum%C3%A9.pdf\r\n"
         "Content-Disposition: attachment; filename*=UTF-8''R%C3%A9sum%C3%A9.pdf\r\n"
         "Content-Transfer-Encoding: base64\r\n"
         "Content-Language: en, de\r\n"
         "\r\n"
         "JVBERi0xLjQK\r\n"
         "--XX\r\n"
         "Content-Type: message/rfc822\r\n"
         "\r\n"
         "From: Bob <bob@example.net>\r\n"
         "Subject: inner\r\n"
         "Content-Type: multipart/alternative; boundary=YY\r\n"
         "\r\n"
         "--YY\r\n"
         "\r\n"
         "plain\r\n"
         "--YY\r\n"
         "Content-Type: text/html\r\n"
         "\r\n"
         "<p>html &amp; more</p>\r\n"
         "--YY--\r\n"
         "--XX--\r\n"
         "epilogue\r\n";
}

}  // namespace taube::mime::testing

#include <string_view>

namespace taube::mime::testing {

// True when `s` is one parenthesised IMAP list whose quoted strings, escapes and
// {n}\r\n literals are well formed and whose parentheses balance.
inline bool is_balanced_imap_list(std::string_view s) {
  if (s.empty() || s.front() != '(') return false;
  int depth = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"') {
      for (++i; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\') ++i;
        if (i >= s.size() || s[i] == '\r' || s[i] == '\n' ||
            static_cast<unsigned char>(s[i]) >= 0x80)
          return false;
      }
      if (i >= s.size()) return false;
    } else if (c == '{') {
      std::size_t close = s.find('}', i);
      if (close == std::string_view::npos || close == i + 1) return false;
      std::size_t n = 0;
      for (std::size_t k = i + 1; k < close; ++k) {
        if (s[k] < '0' || s[k] > '9') return false;
        n = n * 10 + std::size_t(s[k] - '0');
      }
      if (s.substr(close + 1, 2) != "\r\n" || close + 3 + n > s.size()) return false;
      i = close + 2 + n;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      if (--depth < 0) return false;
      if (depth == 0 && i + 1 != s.size()) return false;
    } else if (c == '\r' || c == '\n') {
      return false;
    }
  }
  return depth == 0;
}

}  // namespace taube::mime::testing
