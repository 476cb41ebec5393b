// Trace header fields that a receiving server prepends to every message it accepts
// (RFC 5321 4.4): Return-Path: and Received:. Pure: values in, header text out.
// Used by the SMTP/LMTP session just before delivery.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace taube::smtp::server {

struct TraceInfo {
  std::string reverse_path;     // MAIL FROM address; empty for the null path "<>"
  std::string helo;             // the client's HELO/EHLO/LHLO argument
  bool helo_is_domain = false;  // only a syntactically valid name is written as is
  std::string remote_address;   // "192.0.2.1" or "2001:db8::1"
  std::string by_host;          // this server's name
  std::string protocol;         // RFC 3848 "with" keyword, see with_protocol()
  std::string tls;              // e.g. "TLSv1.3 with cipher ..."; empty without TLS
  std::string for_recipient;    // written only when the message has exactly one
  std::chrono::system_clock::time_point when;
};

// RFC 3848: SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA; LMTP, LMTPS, LMTPA, LMTPSA.
// The login name itself never appears (it is not the sender's business).
std::string with_protocol(bool lmtp, bool extended, bool tls, bool authenticated);

// RFC 5322 3.3 date-time in UTC, e.g. "Thu, 26 Nov 2026 12:00:00 +0000".
std::string format_date(std::chrono::system_clock::time_point when);

// "Return-Path: <...>\r\nReceived: from ...\r\n\tby ...; date\r\n". Client-supplied
// text (HELO, addresses) is stripped of octets that could end or fold a line.
std::string format_trace_headers(const TraceInfo& info);

}  // namespace taube::smtp::server
