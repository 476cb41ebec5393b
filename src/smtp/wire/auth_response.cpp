#include "smtp/wire/auth_response.hpp"

namespace taube::smtp::wire {

std::variant<std::string, SaslCancel, Invalid> decode_sasl_response(std::string_view line,
                                                                    bool is_initial_response) {
  if (is_initial_response && line == "=") return std::string();
  if (!is_initial_response && line == "*") return SaslCancel{};
  auto decoded = decode_base64_strict(line);
  if (!decoded) return Invalid{make_reply(501, "5.5.2", "Cannot decode base64 response")};
  return std::move(*decoded);
}

}  // namespace taube::smtp::wire
