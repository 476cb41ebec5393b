// The Authentication-Results header field (RFC 8601): writing one, and removing
// fields a sender forged in our name (RFC 8601 5: a receiver deletes fields that
// carry its own authserv-id before adding its own). Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace taube::mailauth {

struct AuthResult {
  std::string method;  // "spf", "dkim", "dmarc"
  std::string result;  // "pass", "fail", ...
  std::string reason;  // written as a comment; may be empty
  std::vector<std::pair<std::string, std::string>> properties;  // "smtp.mailfrom", "example.com"
};

// "Authentication-Results: <authserv-id>;\r\n\t<method>=<result> ...;\r\n ... \r\n",
// folded one result per line; values that are not tokens are quoted, comments
// are cleaned of parentheses and control characters. "none" without results.
std::string format_authentication_results(std::string_view authserv_id,
                                          const std::vector<AuthResult>& results);

// The authserv-id a field value starts with (before ";"), or "" when there is none.
std::string authserv_id_of(std::string_view value);

// The message with every Authentication-Results field whose authserv-id equals
// `authserv_id` (case-insensitive) removed; other bytes unchanged.
std::string remove_authentication_results(std::string_view raw, std::string_view authserv_id);

}  // namespace taube::mailauth
