// Delivery status notifications (RFC 3464 multipart/report; RFC 3461 semantics):
// the bounce for recipients that failed permanently or expired, and the delay
// notice for mail still being retried. Pure: text in, message out.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "store/types.hpp"

namespace taube::outbound {

enum class DsnAction { kFailed, kDelayed };

struct DsnRecipient {
  std::string address;
  std::string orcpt;        // ORCPT as given ("rfc822;x@y"), "" if none
  std::string status;       // RFC 3463 "5.1.1"
  std::string remote_mta;   // the peer that answered, "" if none
  std::string diagnostic;   // the peer's reply ("550 5.1.1 no such user"), "" if none
  std::string reason;       // our own words when the peer said nothing (DNS, timeout)
};

struct DsnInput {
  DsnAction action = DsnAction::kFailed;
  std::string reporting_mta;  // our hostname
  std::string sender;         // gets the notice (never "")
  std::string envid;
  store::DsnRet ret = store::DsnRet::kUnspecified;
  store::UnixTime arrival{};
  store::UnixTime now{};
  std::vector<DsnRecipient> recipients;
  std::string original;  // the queued message
};

// The whole message (headers and body, CRLF), sent with the null reverse-path.
std::string build_dsn(const DsnInput& in);

// The RFC 3463 status in an SMTP reply ("550 5.1.1 ..." -> "5.1.1"), else the
// class from the reply code ("5.0.0", "4.0.0").
std::string status_from_reply(int code, std::string_view first_line);

// "Thu, 26 Nov 2026 23:40:00 +0000" (RFC 5322 3.3).
std::string rfc5322_date(store::UnixTime t);

}  // namespace taube::outbound
