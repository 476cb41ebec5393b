// SASL PLAIN (RFC 4616) message parsing, sans I/O: the decoded client response in,
// the three fields out. Used by SMTP AUTH, IMAP AUTHENTICATE and POP3 AUTH. Parses
// credentials from unauthenticated clients: never log its input or output.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace taube::auth::sasl {

struct PlainCredentials {
  std::string authzid;  // empty: act as authcid
  std::string authcid;
  std::string password;
};

// RFC 4616 2: [authzid] NUL authcid NUL passwd, each at most 255 bytes, authcid and
// passwd non-empty, no further NUL. nullopt when malformed.
std::optional<PlainCredentials> parse_plain(std::string_view message);

// The fixed challenges of the obsolete but ubiquitous LOGIN mechanism (Outlook and
// old phones still use it), already base64: "Username:" and "Password:".
inline constexpr std::string_view kLoginUserChallenge = "VXNlcm5hbWU6";
inline constexpr std::string_view kLoginPasswordChallenge = "UGFzc3dvcmQ6";

}  // namespace taube::auth::sasl
