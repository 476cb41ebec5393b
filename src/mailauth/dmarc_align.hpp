// DMARC's pure parts (RFC 7489 3.1, 3.2, 6.6): the author domain of a message, the
// organizational domain, identifier alignment, and the policy to apply. The
// organizational domain uses a short built-in list of multi-label public suffixes
// (co.uk, com.au, ...) instead of the full Public Suffix List: a name under a
// suffix not listed is treated as if its last label were the suffix. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "mailauth/records.hpp"

namespace taube::mailauth {

// The domain of the one mailbox in the message's one From field, lower case;
// nullopt when there is no From, several, or it holds not exactly one address
// with a domain (RFC 7489 6.6.1: such a message is not evaluated).
std::optional<std::string> author_domain(std::string_view raw);

// example.com for mail.example.com, example.co.uk for a.b.example.co.uk.
std::string organizational_domain(std::string_view domain);

// RFC 7489 3.1: strict = the same name; relaxed = the same organizational domain.
bool aligned(std::string_view a, std::string_view b, bool strict);

// The policy actually applied for a failing message: p= (or sp= when the record
// came from the organizational domain and the author domain is below it), one
// step milder when the message falls outside pct= (`roll` in [0, 100)).
DmarcPolicy applied_policy(const DmarcRecord& record, bool from_organizational_domain,
                           unsigned roll);

}  // namespace taube::mailauth
