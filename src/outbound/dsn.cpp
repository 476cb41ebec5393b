#include "outbound/dsn.hpp"

#include <chrono>
#include <ctime>
#include <random>

namespace taube::outbound {

namespace {

constexpr size_t kMaxReturnedBytes = 1 << 20;  // larger originals come back as headers only

std::string boundary() {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::mt19937_64 rng(std::random_device{}());
  std::string b = "=_taube_dsn_";
  for (int i = 0; i < 24; ++i) b += kChars[rng() % 36];
  return b;
}

std::string header_block(std::string_view crlf_message) {
  auto end = crlf_message.find("\r\n\r\n");
  if (end == std::string_view::npos) return std::string(crlf_message);
  return std::string(crlf_message.substr(0, end + 2));
}

std::string crlf(std::string_view raw) {
  std::string out;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r')) out += '\r';
    out += raw[i];
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  return out;
}

// Reply text in a header field must stay on one line and in ASCII.
std::string one_line(std::string_view s) {
  std::string out;
  for (char c : s) out += (uint8_t(c) < 0x20 || uint8_t(c) > 0x7e) ? ' ' : c;
  return out;
}

}  // namespace

std::string rfc5322_date(store::UnixTime t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

std::string status_from_reply(int code, std::string_view line) {
  // "5.1.1 text": class.subject.detail with 1-3 digit subject and detail.
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  if (line.size() >= 5 && (line[0] == '2' || line[0] == '4' || line[0] == '5') && line[1] == '.') {
    size_t i = 2, d1 = 0, d2 = 0;
    while (i < line.size() && is_digit(line[i])) ++i, ++d1;
    if (d1 >= 1 && d1 <= 3 && i < line.size() && line[i] == '.') {
      ++i;
      while (i < line.size() && is_digit(line[i])) ++i, ++d2;
      if (d2 >= 1 && d2 <= 3 && (i == line.size() || line[i] == ' ')) return std::string(line.substr(0, i));
    }
  }
  if (code >= 500) return "5.0.0";
  if (code >= 400) return "4.0.0";
  return "2.0.0";
}

std::string build_dsn(const DsnInput& in) {
  const bool failed = in.action == DsnAction::kFailed;
  const std::string b = boundary();
  const std::string original = crlf(in.original);
  std::string out;
  out += "From: Mail Delivery System <MAILER-DAEMON@" + in.reporting_mta + ">\r\n";
  out += "To: <" + in.sender + ">\r\n";
  out += std::string("Subject: ") +
         (failed ? "Undelivered Mail Returned to Sender" : "Delayed Mail (still being retried)") + "\r\n";
  out += "Date: " + rfc5322_date(in.now) + "\r\n";
  {
    std::mt19937_64 rng(std::random_device{}());
    out += "Message-ID: <dsn." + std::to_string(rng()) + "@" + in.reporting_mta + ">\r\n";
  }
  out += "Auto-Submitted: auto-replied\r\n";  // RFC 3834 5
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"" + b + "\"\r\n";
  out += "\r\n";
  out += "This is a MIME-encapsulated message.\r\n\r\n";

  // 1. For people.
  out += "--" + b + "\r\n";
  out += "Content-Type: text/plain; charset=us-ascii\r\n";
  out += "Content-Description: Notification\r\n\r\n";
  out += "This is the mail system at host " + in.reporting_mta + ".\r\n\r\n";
  if (failed) {
    out += "Your message could not be delivered to one or more recipients.\r\n";
    out += "It is attached below.\r\n\r\n";
  } else {
    out += "Your message has not been delivered yet to the recipients below.\r\n";
    out += "The mail system keeps trying; you need not send it again.\r\n\r\n";
  }
  for (auto& r : in.recipients) {
    out += "<" + one_line(r.address) + ">: ";
    if (!r.diagnostic.empty()) {
      out += (r.remote_mta.empty() ? std::string() : "host " + one_line(r.remote_mta) + " said: ") +
             one_line(r.diagnostic);
    } else {
      out += one_line(r.reason);
    }
    out += "\r\n";
  }
  out += "\r\n";

  // 2. For programs (RFC 3464 2.2, 2.3).
  out += "--" + b + "\r\n";
  out += "Content-Type: message/delivery-status\r\n";
  out += "Content-Description: Delivery report\r\n\r\n";
  out += "Reporting-MTA: dns; " + in.reporting_mta + "\r\n";
  if (!in.envid.empty()) out += "Original-Envelope-Id: " + one_line(in.envid) + "\r\n";
  out += "Arrival-Date: " + rfc5322_date(in.arrival) + "\r\n";
  for (auto& r : in.recipients) {
    out += "\r\n";
    if (!r.orcpt.empty()) out += "Original-Recipient: " + one_line(r.orcpt) + "\r\n";
    out += "Final-Recipient: rfc822; " + one_line(r.address) + "\r\n";
    out += std::string("Action: ") + (failed ? "failed" : "delayed") + "\r\n";
    out += "Status: " + r.status + "\r\n";
    if (!r.remote_mta.empty()) out += "Remote-MTA: dns; " + one_line(r.remote_mta) + "\r\n";
    if (!r.diagnostic.empty()) out += "Diagnostic-Code: smtp; " + one_line(r.diagnostic) + "\r\n";
    out += "Last-Attempt-Date: " + rfc5322_date(in.now) + "\r\n";
  }
  out += "\r\n";

  // 3. The original: the whole message on failure unless RET=HDRS or it is large;
  // headers only for a delay notice (RFC 3461 4.3 leaves it to us without RET).
  out += "--" + b + "\r\n";
  bool full = failed && in.ret != store::DsnRet::kHeaders && original.size() <= kMaxReturnedBytes;
  if (in.ret == store::DsnRet::kFull && original.size() <= kMaxReturnedBytes) full = true;
  if (full) {
    out += "Content-Type: message/rfc822\r\n";
    out += "Content-Description: Undelivered Message\r\n\r\n";
    out += original;
  } else {
    out += "Content-Type: text/rfc822-headers\r\n";
    out += "Content-Description: Undelivered Message Headers\r\n\r\n";
    out += header_block(original);
  }
  out += "\r\n--" + b + "--\r\n";
  return out;
}

}  // namespace taube::outbound
