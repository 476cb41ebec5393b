#include "mailauth/inbound.hpp"

#include "base/ascii.hpp"
#include "mailauth/auth_results.hpp"
#include "mailauth/dmarc_align.hpp"

namespace taube::mailauth {

namespace asio = boost::asio;
using asio::awaitable;

std::string authentication_results(const std::string& authserv_id, const InboundRequest& request,
                                   const SpfOutcome& spf, const std::vector<DkimOutcome>& dkim,
                                   const DmarcOutcome& dmarc) {
  std::vector<AuthResult> results;
  AuthResult s{"spf", std::string(to_string(spf.result)), spf.reason, {}};
  if (!request.mail_from.empty())
    s.properties.emplace_back("smtp.mailfrom", spf.domain);
  else
    s.properties.emplace_back("smtp.helo", request.helo);
  results.push_back(std::move(s));
  if (dkim.empty()) results.push_back(AuthResult{"dkim", "none", "message not signed", {}});
  for (const DkimOutcome& d : dkim) {
    AuthResult r{"dkim", std::string(to_string(d.result)), d.reason, {}};
    if (!d.domain.empty()) r.properties.emplace_back("header.d", d.domain);
    if (!d.selector.empty()) r.properties.emplace_back("header.s", d.selector);
    if (!d.algorithm.empty()) r.properties.emplace_back("header.a", d.algorithm);
    if (!d.b_prefix.empty()) r.properties.emplace_back("header.b", d.b_prefix);
    results.push_back(std::move(r));
  }
  AuthResult m{"dmarc", std::string(to_string(dmarc.result)), dmarc.reason, {}};
  if (dmarc.record) {
    m.reason = "p=" + std::string(to_string(dmarc.record->policy)) +
               " dis=" + std::string(to_string(dmarc.disposition)) +
               (dmarc.reason.empty() ? "" : " " + dmarc.reason);
  }
  if (!dmarc.from_domain.empty()) m.properties.emplace_back("header.from", dmarc.from_domain);
  results.push_back(std::move(m));
  return format_authentication_results(authserv_id, results);
}

awaitable<InboundVerdict> check_inbound(dns::Resolver& resolver, InboundSettings settings,
                                        InboundRequest request) {
  InboundVerdict verdict;
  // The forged fields go first so that DKIM sees the message as it will be stored
  // (an Authentication-Results field is never among the signed ones in practice).
  std::string raw = remove_authentication_results(request.raw, settings.authserv_id);

  SpfRequest spf_request;
  std::optional<IpAddress> ip = IpAddress::parse(request.remote_address);
  if (ip) {
    spf_request.ip = *ip;
    spf_request.helo = request.helo;
    spf_request.mail_from = request.mail_from;
    spf_request.deadline = request.deadline;
    verdict.spf = co_await check_spf(resolver, spf_request);
  } else {
    verdict.spf.result = SpfResult::kNone;
    verdict.spf.reason = "client address unknown";
  }

  DkimVerifyOptions dkim_options;
  dkim_options.now = request.now;
  dkim_options.deadline = request.deadline;
  verdict.dkim = co_await verify_dkim(resolver, raw, dkim_options);

  DmarcRequest dmarc_request;
  dmarc_request.from_domain = author_domain(raw);
  dmarc_request.spf = verdict.spf;
  dmarc_request.dkim = verdict.dkim;
  dmarc_request.roll = request.roll;
  dmarc_request.deadline = request.deadline;
  verdict.dmarc = co_await check_dmarc(resolver, std::move(dmarc_request));

  if (settings.enforce && verdict.dmarc.result == DmarcResult::kFail) {
    if (verdict.dmarc.disposition == DmarcPolicy::kReject)
      verdict.action = InboundVerdict::Action::kReject;
    else if (verdict.dmarc.disposition == DmarcPolicy::kQuarantine)
      verdict.action = InboundVerdict::Action::kJunk;
  }
  verdict.header = authentication_results(settings.authserv_id, request, verdict.spf, verdict.dkim,
                                          verdict.dmarc);
  verdict.raw = verdict.header + raw;
  co_return verdict;
}

}  // namespace taube::mailauth
