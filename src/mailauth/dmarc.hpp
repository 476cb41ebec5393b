// DMARC evaluation (RFC 7489 6.6): policy discovery at the author domain, then at
// its organizational domain (dmarc_align.hpp), and the verdict from aligned SPF
// and DKIM results. The resolver must outlive the call.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "dns/resolver.hpp"
#include "mailauth/dkim_verify.hpp"
#include "mailauth/records.hpp"
#include "mailauth/spf.hpp"

namespace taube::mailauth {

enum class DmarcResult { kNone, kPass, kFail, kTempError, kPermError };
std::string_view to_string(DmarcResult r);

struct DmarcOutcome {
  DmarcResult result = DmarcResult::kNone;
  std::string from_domain;
  std::optional<DmarcRecord> record;
  bool record_at_organizational_domain = false;
  // What to do with a failing message (pct= and sp= applied); kNone otherwise.
  DmarcPolicy disposition = DmarcPolicy::kNone;
  std::string reason;
};

struct DmarcRequest {
  std::optional<std::string> from_domain;  // author_domain() of the message
  SpfOutcome spf;
  std::vector<DkimOutcome> dkim;
  unsigned roll = 0;  // uniform in [0, 100), compared with pct=
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

boost::asio::awaitable<DmarcOutcome> check_dmarc(dns::Resolver& resolver, DmarcRequest request);

}  // namespace taube::mailauth
