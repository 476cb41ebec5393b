#include "mailauth/dmarc.hpp"

#include "mailauth/dmarc_align.hpp"

namespace taube::mailauth {

namespace asio = boost::asio;
using asio::awaitable;

std::string_view to_string(DmarcResult r) {
  switch (r) {
    case DmarcResult::kNone: return "none";
    case DmarcResult::kPass: return "pass";
    case DmarcResult::kFail: return "fail";
    case DmarcResult::kTempError: return "temperror";
    case DmarcResult::kPermError: return "permerror";
  }
  return "none";
}

namespace {

enum class Lookup { kFound, kNone, kTempError };

awaitable<Lookup> find_record(dns::Resolver& resolver, std::string domain,
                              std::chrono::steady_clock::time_point deadline,
                              std::optional<DmarcRecord>& out) {
  if (std::chrono::steady_clock::now() >= deadline) co_return Lookup::kTempError;
  dns::Answer<std::string> txt = co_await resolver.txt("_dmarc." + domain);
  if (txt.temporary() || txt.bogus) co_return Lookup::kTempError;
  std::vector<DmarcRecord> records;
  for (const std::string& text : txt.records)
    if (std::optional<DmarcRecord> r = parse_dmarc_record(text)) records.push_back(*r);
  // RFC 7489 6.6.3: none or more than one record means no policy here.
  if (records.size() != 1) co_return Lookup::kNone;
  out = records.front();
  co_return Lookup::kFound;
}

}  // namespace

awaitable<DmarcOutcome> check_dmarc(dns::Resolver& resolver, DmarcRequest request) {
  DmarcOutcome out;
  if (!request.from_domain) {
    out.reason = "no single author domain";
    co_return out;
  }
  out.from_domain = *request.from_domain;
  Lookup found = co_await find_record(resolver, out.from_domain, request.deadline, out.record);
  const std::string organizational = organizational_domain(out.from_domain);
  if (found == Lookup::kNone && organizational != out.from_domain) {
    found = co_await find_record(resolver, organizational, request.deadline, out.record);
    out.record_at_organizational_domain = found == Lookup::kFound;
  }
  if (found == Lookup::kTempError) {
    out.result = DmarcResult::kTempError;
    out.reason = "DNS error looking up the policy";
    co_return out;
  }
  if (found == Lookup::kNone) {
    out.reason = "no policy published";
    co_return out;
  }
  const DmarcRecord& record = *out.record;
  const bool spf_aligned = request.spf.result == SpfResult::kPass &&
                           aligned(request.spf.domain, out.from_domain, record.strict_spf);
  bool dkim_aligned = false;
  for (const DkimOutcome& d : request.dkim)
    dkim_aligned |= d.result == DkimResult::kPass && aligned(d.domain, out.from_domain, record.strict_dkim);
  if (spf_aligned || dkim_aligned) {
    out.result = DmarcResult::kPass;
    out.reason = spf_aligned && dkim_aligned ? "aligned spf and dkim" : spf_aligned ? "aligned spf" : "aligned dkim";
    co_return out;
  }
  out.result = DmarcResult::kFail;
  out.reason = "no aligned pass";
  out.disposition = applied_policy(record, out.record_at_organizational_domain, request.roll);
  co_return out;
}

}  // namespace taube::mailauth
