#include "dns/mail_hosts.hpp"

#include <algorithm>
#include <random>

namespace taube::dns {
namespace asio = boost::asio;

namespace {

// AAAA then A for one host; `temporary` is set when a lookup failed temporarily.
asio::awaitable<std::vector<asio::ip::address>> addresses(Resolver& resolver, const std::string& host,
                                                          bool& temporary) {
  std::vector<asio::ip::address> out;
  auto op6 = resolver.aaaa(host);
  auto v6 = co_await std::move(op6);
  auto op4 = resolver.a(host);
  auto v4 = co_await std::move(op4);
  if (v6.temporary() || v4.temporary()) temporary = true;
  for (auto& a : v6.records) out.push_back(a);
  for (auto& a : v4.records) out.push_back(a);
  co_return out;
}

}  // namespace

asio::awaitable<Result<std::vector<MailHost>>> resolve_mail_hosts(Resolver& resolver, std::string domain) {
  auto op = resolver.mx(domain);
  Answer<MxRecord> mx = co_await std::move(op);
  if (mx.temporary())
    co_return fail(ErrorCode::kUnavailable, "DNS lookup of MX " + domain + " failed temporarily (" +
                                                std::string(to_string(mx.status)) + ")");
  if (mx.status == Status::kNxDomain) co_return fail(ErrorCode::kNotFound, "domain " + domain + " does not exist");
  std::vector<MailHost> hosts;
  if (mx.ok() && !mx.records.empty()) {
    // RFC 7505 3: a single MX whose exchange is "." means "no mail here".
    for (auto& r : mx.records)
      if (r.exchange.empty()) co_return fail(ErrorCode::kPermissionDenied, "domain " + domain + " accepts no mail (null MX)");
    std::shuffle(mx.records.begin(), mx.records.end(), std::mt19937(std::random_device{}()));
    std::stable_sort(mx.records.begin(), mx.records.end(),
                     [](const MxRecord& a, const MxRecord& b) { return a.preference < b.preference; });
    for (auto& r : mx.records) hosts.push_back(MailHost{r.exchange, r.preference, {}});
  } else {
    // RFC 5321 5.1: no MX records, the domain is its own implicit MX.
    std::string name = domain;
    if (!name.empty() && name.back() == '.') name.pop_back();
    hosts.push_back(MailHost{name, 0, {}});
  }
  bool temporary = false;
  std::vector<MailHost> usable;
  for (auto& h : hosts) {
    auto op2 = addresses(resolver, h.name, temporary);
    h.addresses = co_await std::move(op2);
    if (!h.addresses.empty()) usable.push_back(std::move(h));
  }
  if (usable.empty()) {
    if (temporary)
      co_return fail(ErrorCode::kUnavailable, "DNS lookup of the mail hosts of " + domain + " failed temporarily");
    co_return fail(ErrorCode::kNotFound, "no mail host address found for " + domain);
  }
  co_return usable;
}

}  // namespace taube::dns
