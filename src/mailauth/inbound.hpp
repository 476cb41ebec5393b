// The inbound checks the MX listener runs on every message before storing it:
// SPF for the client and MAIL FROM, DKIM for each signature, DMARC for the From
// domain, summed up in an Authentication-Results header (RFC 8601) with this
// server's authserv-id, and what to do with the message under the configured
// policy. The resolver must outlive the call; the call stops starting lookups at
// the deadline (each running lookup is bounded by the resolver's own timeout).
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>

#include "dns/resolver.hpp"
#include "mailauth/dkim_verify.hpp"
#include "mailauth/dmarc.hpp"
#include "mailauth/spf.hpp"

namespace taube::mailauth {

struct InboundSettings {
  std::string authserv_id = "localhost";  // the server's host name
  // false: "mark" (only the header); true: "enforce" (DMARC p=reject refuses with
  // 550 5.7.1, p=quarantine files into Junk).
  bool enforce = false;
};

struct InboundRequest {
  std::string remote_address;  // the client's IP address
  std::string helo;
  std::string mail_from;       // "" for <>
  std::string raw;             // the message as received (trace headers included)
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
  unsigned roll = 0;           // uniform in [0, 100) for pct= (dmarc.hpp); 0 applies p= fully
};

struct InboundVerdict {
  enum class Action { kAccept, kJunk, kReject };
  Action action = Action::kAccept;
  // The message to store: our Authentication-Results first, any field forged
  // with our authserv-id removed.
  std::string raw;
  std::string header;  // the Authentication-Results field we added (CRLF included)
  SpfOutcome spf;
  std::vector<DkimOutcome> dkim;
  DmarcOutcome dmarc;
};

boost::asio::awaitable<InboundVerdict> check_inbound(dns::Resolver& resolver,
                                                     InboundSettings settings,
                                                     InboundRequest request);

// The Authentication-Results field for these outcomes (exposed for tests).
std::string authentication_results(const std::string& authserv_id, const InboundRequest& request,
                                   const SpfOutcome& spf, const std::vector<DkimOutcome>& dkim,
                                   const DmarcOutcome& dmarc);

}  // namespace taube::mailauth
