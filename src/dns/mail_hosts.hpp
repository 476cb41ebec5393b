// Where mail for a domain goes (RFC 5321 section 5.1): the MX hosts by preference
// (equal preferences shuffled), each with its addresses; without MX records the
// domain itself is the implicit MX; a null MX (RFC 7505) means the domain accepts
// no mail.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>

#include <string>
#include <vector>

#include "base/error.hpp"
#include "dns/resolver.hpp"

namespace taube::dns {

struct MailHost {
  std::string name;
  uint16_t preference = 0;
  std::vector<boost::asio::ip::address> addresses;  // AAAA first, then A
};

// Errors, with a detail fit for a DSN:
//  kNotFound: the domain does not exist (NXDOMAIN) or has neither MX nor address
//             records (permanent, 5.1.2);
//  kPermissionDenied: null MX (permanent, 5.1.10);
//  kUnavailable: a temporary DNS failure (retry; 4.4.3).
// Hosts whose address lookups fail are dropped; if none is left the result is
// kUnavailable when any lookup was temporary, else kNotFound.
boost::asio::awaitable<Result<std::vector<MailHost>>> resolve_mail_hosts(Resolver& resolver,
                                                                          std::string domain);

}  // namespace taube::dns
