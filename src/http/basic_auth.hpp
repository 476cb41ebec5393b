// HTTP Basic authentication credentials (RFC 7617) from an Authorization field
// value. Pure; the DAV server checks them with auth::Authenticator (over TLS only,
// or from loopback). Parses untrusted input before authentication.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace taube::http {

struct BasicCredentials {
  std::string user;
  std::string password;
};

// "Basic <base64(user:password)>": scheme case-insensitive, strict base64, the
// user ends at the first ':' (RFC 7617 2). nullopt for any other scheme, bad
// base64, no ':' or an empty user.
std::optional<BasicCredentials> parse_basic_authorization(std::string_view value);

}  // namespace taube::http
