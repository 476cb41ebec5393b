// SPF evaluation, RFC 7208 check_host() (section 4) over dns::Resolver: include,
// redirect, a, mx, ptr, ip4, ip6, exists and macros, with the limit of 10 terms
// that query DNS (4.6.4), 10 names per mx/ptr, and 2 void lookups. Used by the
// inbound checks (inbound.hpp). The resolver must outlive the call.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>

#include "dns/resolver.hpp"
#include "mailauth/spf_record.hpp"

namespace taube::mailauth {

enum class SpfResult { kNone, kNeutral, kPass, kFail, kSoftFail, kTempError, kPermError };
std::string_view to_string(SpfResult r);

struct SpfOutcome {
  SpfResult result = SpfResult::kNone;
  std::string domain;  // the domain checked (MAIL FROM's, or HELO's for <>)
  std::string reason;  // for the Authentication-Results comment
};

struct SpfRequest {
  IpAddress ip;
  std::string helo;
  std::string mail_from;  // "" for the null reverse-path: postmaster@<helo> (RFC 7208 2.4)
  // Past this instant no further lookup starts and the result is temperror.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

boost::asio::awaitable<SpfOutcome> check_spf(dns::Resolver& resolver, SpfRequest request);

}  // namespace taube::mailauth
