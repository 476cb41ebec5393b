#include "smtp/server/trace.hpp"

#include <cstdio>
#include <ctime>

namespace taube::smtp::server {
namespace {

// Keeps a client-supplied token on one header line: no controls, no spaces, no
// characters that would end a comment or the Received: clauses.
std::string clean_token(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u == 0x7f || c == '(' || c == ')' || c == ';' || c == '\\') continue;
    out += c;
  }
  return out;
}

// Addresses may contain quoted spaces; only line breaks and controls must go.
std::string clean_address(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '<' || c == '>') continue;
    out += c;
  }
  return out;
}

}  // namespace

std::string with_protocol(bool lmtp, bool extended, bool tls, bool authenticated) {
  std::string p = lmtp ? "LMTP" : (extended || tls || authenticated ? "ESMTP" : "SMTP");
  if (tls) p += 'S';
  if (authenticated) p += 'A';
  return p;
}

std::string format_date(std::chrono::system_clock::time_point when) {
  const std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  // Spelled out rather than strftime(), whose names follow the process locale.
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string format_trace_headers(const TraceInfo& info) {
  std::string out = "Return-Path: <" + clean_address(info.reverse_path) + ">\r\n";
  std::string helo = info.helo_is_domain ? clean_token(info.helo) : std::string();
  if (helo.empty()) helo = "unknown";
  out += "Received: from " + helo + " ([" + clean_token(info.remote_address) + "])\r\n";
  out += "\tby " + clean_token(info.by_host) + " with " + info.protocol;
  if (!info.tls.empty()) out += " (using " + clean_address(info.tls) + ")";
  if (!info.for_recipient.empty()) out += "\r\n\tfor <" + clean_address(info.for_recipient) + ">";
  out += "; " + format_date(info.when) + "\r\n";
  return out;
}

}  // namespace taube::smtp::server
