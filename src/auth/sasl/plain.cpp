#include "auth/sasl/plain.hpp"

namespace taube::auth::sasl {

std::optional<PlainCredentials> parse_plain(std::string_view message) {
  auto first = message.find('\0');
  if (first == std::string_view::npos) return std::nullopt;
  auto second = message.find('\0', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  if (message.find('\0', second + 1) != std::string_view::npos) return std::nullopt;
  PlainCredentials c;
  c.authzid = message.substr(0, first);
  c.authcid = message.substr(first + 1, second - first - 1);
  c.password = message.substr(second + 1);
  if (c.authcid.empty() || c.password.empty()) return std::nullopt;
  if (c.authzid.size() > 255 || c.authcid.size() > 255 || c.password.size() > 255) return std::nullopt;
  return c;
}

}  // namespace taube::auth::sasl
