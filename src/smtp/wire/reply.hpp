// SMTP replies: the value the parsers return for malformed input, and the
// writer that turns it into wire text (RFC 5321 4.2, RFC 2034 enhanced codes).
// Reply text may contain client-supplied bytes (a bad parameter's name), so the
// writer sanitises every line: no CR, LF, NUL, control or 8-bit octets reach
// the wire, and no line exceeds 512 octets (RFC 5321 4.5.3.1.5). Pure; no state.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace taube::smtp::wire {

struct Reply {
  int code = 250;                  // REQUIRES: 200..599
  std::string enhanced;            // RFC 3463 "class.subject.detail", or empty
  std::vector<std::string> lines;  // at least one line when written

  friend bool operator==(const Reply&, const Reply&) = default;
};

// One-line reply. `text` may come from a client; it is sanitised when written.
Reply make_reply(int code, std::string_view enhanced, std::string_view text);

// Replaces every octet outside %x20-7E with '?', so that reply text can never
// carry a line break or a NUL to the client.
std::string sanitize_reply_text(std::string_view text);

// Appends `250-...` continuation lines and a final `250 ...` line, each with
// the enhanced code when present (RFC 2034 4), each ending in CRLF.
void append_reply(std::string& out, const Reply& reply);
std::string format_reply(const Reply& reply);

// The EHLO/LHLO reply (RFC 5321 4.1.1.1): first line is the domain and an
// optional greeting, then one extension keyword (with parameters) per line.
// No enhanced codes here: RFC 2034 3 exempts the EHLO response.
std::string format_ehlo_reply(std::string_view domain, std::string_view greeting,
                              const std::vector<std::string>& capabilities);

}  // namespace taube::smtp::wire
