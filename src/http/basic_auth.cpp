#include "http/basic_auth.hpp"

#include "base/ascii.hpp"
#include "base/base64.hpp"

namespace taube::http {

std::optional<BasicCredentials> parse_basic_authorization(std::string_view value) {
  value = ascii::trim(value);
  std::size_t space = value.find(' ');
  if (space == std::string_view::npos || !ascii::iequals(value.substr(0, space), "Basic"))
    return std::nullopt;
  std::string_view token = ascii::trim(value.substr(space + 1));
  auto decoded = decode_base64_strict(token);
  if (!decoded) return std::nullopt;
  std::size_t colon = decoded->find(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  return BasicCredentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

}  // namespace taube::http
