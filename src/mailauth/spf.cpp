#include "mailauth/spf.hpp"

#include <boost/asio/ip/address.hpp>

#include "base/ascii.hpp"

namespace taube::mailauth {

namespace asio = boost::asio;
using asio::awaitable;

std::string_view to_string(SpfResult r) {
  switch (r) {
    case SpfResult::kNone: return "none";
    case SpfResult::kNeutral: return "neutral";
    case SpfResult::kPass: return "pass";
    case SpfResult::kFail: return "fail";
    case SpfResult::kSoftFail: return "softfail";
    case SpfResult::kTempError: return "temperror";
    case SpfResult::kPermError: return "permerror";
  }
  return "none";
}

namespace {

constexpr int kMaxLookups = 10;      // RFC 7208 4.6.4
constexpr int kMaxVoidLookups = 2;   // RFC 7208 4.6.4
constexpr std::size_t kMaxNames = 10;  // per mx / ptr

IpAddress from_asio(const asio::ip::address& a) {
  IpAddress ip;
  if (a.is_v4()) {
    auto b = a.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), ip.bytes.begin());
  } else {
    ip.v6 = true;
    auto b = a.to_v6().to_bytes();
    std::copy(b.begin(), b.end(), ip.bytes.begin());
  }
  return ip;
}

asio::ip::address to_asio(const IpAddress& ip) {
  if (!ip.v6) {
    asio::ip::address_v4::bytes_type b;
    std::copy(ip.bytes.begin(), ip.bytes.begin() + 4, b.begin());
    return asio::ip::address_v4(b);
  }
  asio::ip::address_v6::bytes_type b;
  std::copy(ip.bytes.begin(), ip.bytes.end(), b.begin());
  return asio::ip::address_v6(b);
}

SpfOutcome outcome(SpfResult r, std::string reason) { return {r, {}, std::move(reason)}; }

SpfResult result_of(SpfQualifier q) {
  switch (q) {
    case SpfQualifier::kPass: return SpfResult::kPass;
    case SpfQualifier::kFail: return SpfResult::kFail;
    case SpfQualifier::kSoftFail: return SpfResult::kSoftFail;
    case SpfQualifier::kNeutral: return SpfResult::kNeutral;
  }
  return SpfResult::kNeutral;
}

bool is_void(dns::Status s) { return s == dns::Status::kNoData || s == dns::Status::kNxDomain; }

class Evaluator {
 public:
  Evaluator(dns::Resolver& resolver, const SpfRequest& request, MacroContext context)
      : resolver_(resolver), request_(request), context_(std::move(context)) {}

  awaitable<SpfOutcome> check_host(std::string domain);

 private:
  bool expired() const { return std::chrono::steady_clock::now() >= request_.deadline; }
  // Counts a DNS-querying term; false when the limit is passed.
  bool count_lookup() { return ++lookups_ <= kMaxLookups; }
  // Counts a void answer; false when the limit is passed.
  bool count_void(dns::Status s) { return !is_void(s) || ++voids_ <= kMaxVoidLookups; }

  awaitable<dns::Answer<asio::ip::address>> addresses(std::string name) {
    if (expired()) co_return dns::Answer<asio::ip::address>{dns::Status::kTimeout};
    if (request_.ip.v6) co_return co_await resolver_.aaaa(std::move(name));
    co_return co_await resolver_.a(std::move(name));
  }
  bool any_match(const dns::Answer<asio::ip::address>& answer, const SpfTerm& t) const {
    for (const asio::ip::address& a : answer.records)
      if (request_.ip.in(from_asio(a), request_.ip.v6 ? t.cidr6 : t.cidr4)) return true;
    return false;
  }
  std::optional<std::string> target(const SpfTerm& t, const std::string& domain) const {
    if (t.domain_spec.empty()) return domain;
    MacroContext c = context_;
    c.domain = domain;
    return expand_macros(t.domain_spec, c);
  }
  awaitable<bool> ptr_matches(std::string target);

  dns::Resolver& resolver_;
  const SpfRequest& request_;
  MacroContext context_;
  int lookups_ = 0;
  int voids_ = 0;
};

awaitable<bool> Evaluator::ptr_matches(std::string target) {
  if (expired()) co_return false;
  dns::Answer<std::string> names = co_await resolver_.ptr(to_asio(request_.ip));
  if (!names.ok()) co_return false;  // RFC 7208 5.5: a failed PTR lookup is no match
  target = ascii::lower(target);
  for (std::size_t i = 0; i < names.records.size() && i < kMaxNames; ++i) {
    std::string name = ascii::lower(names.records[i]);
    if (!name.empty() && name.back() == '.') name.pop_back();
    const bool in_target = name == target || (name.size() > target.size() &&
                                              name.compare(name.size() - target.size(),
                                                           target.size(), target) == 0 &&
                                              name[name.size() - target.size() - 1] == '.');
    if (!in_target) continue;
    dns::Answer<asio::ip::address> forward = co_await addresses(name);
    for (const asio::ip::address& a : forward.records)
      if (from_asio(a).in(request_.ip, 128)) co_return true;
  }
  co_return false;
}

awaitable<SpfOutcome> Evaluator::check_host(std::string domain) {
  if (!is_valid_domain(domain)) co_return outcome(SpfResult::kNone, "no valid domain");
  if (expired()) co_return outcome(SpfResult::kTempError, "deadline");
  dns::Answer<std::string> txt = co_await resolver_.txt(domain);
  if (txt.temporary() || txt.bogus)
    co_return outcome(SpfResult::kTempError, "DNS error for " + domain);
  std::vector<std::string> records;
  for (const std::string& r : txt.records)
    if (is_spf_record(r)) records.push_back(r);
  if (records.empty()) co_return outcome(SpfResult::kNone, "no SPF record at " + domain);
  if (records.size() > 1) co_return outcome(SpfResult::kPermError, "several SPF records at " + domain);
  std::string error;
  std::optional<SpfRecord> record = parse_spf_record(records.front(), &error);
  if (!record) co_return outcome(SpfResult::kPermError, error + " at " + domain);

  for (const SpfTerm& t : record->terms) {
    bool match = false;
    switch (t.mechanism) {
      case SpfMechanism::kAll:
        match = true;
        break;
      case SpfMechanism::kIp4:
      case SpfMechanism::kIp6:
        match = request_.ip.in(t.network, request_.ip.v6 ? t.cidr6 : t.cidr4);
        break;
      case SpfMechanism::kInclude: {
        if (!count_lookup()) co_return outcome(SpfResult::kPermError, "too many DNS lookups");
        std::optional<std::string> name = target(t, domain);
        if (!name) co_return outcome(SpfResult::kPermError, "bad macro");
        SpfOutcome sub = co_await check_host(std::move(*name));
        if (sub.result == SpfResult::kTempError || sub.result == SpfResult::kPermError)
          co_return sub;
        if (sub.result == SpfResult::kNone)
          co_return outcome(SpfResult::kPermError, "include without SPF record: " + sub.reason);
        match = sub.result == SpfResult::kPass;
        break;
      }
      case SpfMechanism::kA:
      case SpfMechanism::kExists: {
        if (!count_lookup()) co_return outcome(SpfResult::kPermError, "too many DNS lookups");
        std::optional<std::string> name = target(t, domain);
        if (!name) co_return outcome(SpfResult::kPermError, "bad macro");
        dns::Answer<asio::ip::address> answer;
        if (t.mechanism == SpfMechanism::kExists) {
          // RFC 7208 5.7: always an A query, whatever the client's address family.
          if (expired()) co_return outcome(SpfResult::kTempError, "deadline");
          answer = co_await resolver_.a(*name);
        } else {
          answer = co_await addresses(*name);
        }
        if (answer.temporary() || answer.bogus)
          co_return outcome(SpfResult::kTempError, "DNS error for " + *name);
        if (!count_void(answer.status))
          co_return outcome(SpfResult::kPermError, "too many void DNS lookups");
        match = t.mechanism == SpfMechanism::kExists ? !answer.records.empty() : any_match(answer, t);
        break;
      }
      case SpfMechanism::kMx: {
        if (!count_lookup()) co_return outcome(SpfResult::kPermError, "too many DNS lookups");
        std::optional<std::string> name = target(t, domain);
        if (!name) co_return outcome(SpfResult::kPermError, "bad macro");
        if (expired()) co_return outcome(SpfResult::kTempError, "deadline");
        dns::Answer<dns::MxRecord> mx = co_await resolver_.mx(*name);
        if (mx.temporary() || mx.bogus)
          co_return outcome(SpfResult::kTempError, "DNS error for " + *name);
        if (!count_void(mx.status))
          co_return outcome(SpfResult::kPermError, "too many void DNS lookups");
        if (mx.records.size() > kMaxNames)
          co_return outcome(SpfResult::kPermError, "more than 10 MX names at " + *name);
        for (const dns::MxRecord& host : mx.records) {
          if (host.exchange.empty()) continue;  // null MX
          dns::Answer<asio::ip::address> answer = co_await addresses(host.exchange);
          if (answer.temporary() || answer.bogus)
            co_return outcome(SpfResult::kTempError, "DNS error for " + host.exchange);
          if (any_match(answer, t)) {
            match = true;
            break;
          }
        }
        break;
      }
      case SpfMechanism::kPtr: {
        if (!count_lookup()) co_return outcome(SpfResult::kPermError, "too many DNS lookups");
        std::optional<std::string> name = target(t, domain);
        if (!name) co_return outcome(SpfResult::kPermError, "bad macro");
        match = co_await ptr_matches(std::move(*name));
        break;
      }
    }
    if (match) {
      static constexpr const char* kNames[] = {"all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"};
      co_return outcome(result_of(t.qualifier),
                        std::string("matched ") + kNames[static_cast<int>(t.mechanism)] + " at " + domain);
    }
  }

  if (record->redirect) {
    if (!count_lookup()) co_return outcome(SpfResult::kPermError, "too many DNS lookups");
    MacroContext c = context_;
    c.domain = domain;
    std::optional<std::string> name = expand_macros(*record->redirect, c);
    if (!name || !is_valid_domain(*name))
      co_return outcome(SpfResult::kPermError, "bad redirect domain");
    SpfOutcome sub = co_await check_host(std::move(*name));
    if (sub.result == SpfResult::kNone)  // RFC 7208 6.1
      co_return outcome(SpfResult::kPermError, "redirect without SPF record: " + sub.reason);
    co_return sub;
  }
  co_return outcome(SpfResult::kNeutral, "no mechanism matched at " + domain);
}

}  // namespace

awaitable<SpfOutcome> check_spf(dns::Resolver& resolver, SpfRequest request) {
  MacroContext context;
  context.ip = request.ip;
  context.helo = request.helo;
  std::string sender = request.mail_from;
  if (sender.empty()) sender = "postmaster@" + request.helo;
  const std::size_t at = sender.rfind('@');
  context.sender = sender;
  context.local_part = at == std::string::npos ? "postmaster" : sender.substr(0, at);
  if (context.local_part.empty()) context.local_part = "postmaster";
  context.sender_domain = at == std::string::npos ? sender : sender.substr(at + 1);
  std::string domain = ascii::lower(context.sender_domain);
  if (!domain.empty() && domain.back() == '.') domain.pop_back();
  context.domain = domain;
  // An address literal HELO ("[192.0.2.1]") or other non-name gives "none" (RFC 7208 4.3).
  for (char c : domain) {
    if (!ascii::is_alpha(c) && !ascii::is_digit(c) && c != '-' && c != '_' && c != '.') {
      SpfOutcome none{SpfResult::kNone, domain, "not a domain name"};
      co_return none;
    }
  }
  Evaluator evaluator(resolver, request, context);
  SpfOutcome result = co_await evaluator.check_host(domain);
  result.domain = domain;
  co_return result;
}

}  // namespace taube::mailauth
