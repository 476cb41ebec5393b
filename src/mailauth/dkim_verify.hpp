// DKIM verification (RFC 6376 6; RFC 8463 for ed25519-sha256) over dns::Resolver:
// every DKIM-Signature field of a message (up to a limit) is checked against the
// key at <s>._domainkey.<d>. Used by the inbound checks. The resolver and the raw
// message must outlive the call.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "dns/resolver.hpp"

namespace taube::mailauth {

enum class DkimResult { kNone, kPass, kFail, kNeutral, kPolicy, kTempError, kPermError };
std::string_view to_string(DkimResult r);

struct DkimOutcome {
  DkimResult result = DkimResult::kNone;
  std::string domain;     // d=
  std::string selector;   // s=
  std::string identity;   // i=
  std::string b_prefix;   // the first 8 characters of b= (RFC 6008 header.b)
  std::string algorithm;  // a=
  std::string reason;
};

struct DkimVerifyOptions {
  std::size_t max_signatures = 5;  // beyond these, signatures are ignored
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

// One outcome per DKIM-Signature field, in message order; empty when unsigned.
boost::asio::awaitable<std::vector<DkimOutcome>> verify_dkim(dns::Resolver& resolver,
                                                             std::string_view raw,
                                                             DkimVerifyOptions options);

}  // namespace taube::mailauth
