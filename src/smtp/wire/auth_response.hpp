// AUTH initial responses and SASL continuation lines (RFC 4954 4), split and
// base64-decoded, nothing more: the mechanisms live in auth/sasl. Handles
// credentials from an unauthenticated client: never log the decoded bytes.
// Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "base/base64.hpp"
#include "smtp/wire/command.hpp"

namespace taube::smtp::wire {

// RFC 4648 4 base64 with padding (base/base64.hpp): no whitespace, no URL
// alphabet; nullopt if malformed (including non-zero pad bits).
inline std::optional<std::string> decode_base64(std::string_view text) { return decode_base64_strict(text); }
using taube::encode_base64;

struct SaslCancel {};  // the client sent "*" (RFC 4954 4): reply 501 5.7.0

// The decoded client response, a cancel, or the reply for bad base64
// (501 5.5.2). `is_initial_response` selects the AUTH-argument form, where "="
// means an empty response and "*" is not allowed.
std::variant<std::string, SaslCancel, Invalid> decode_sasl_response(std::string_view line,
                                                                    bool is_initial_response);

}  // namespace taube::smtp::wire
