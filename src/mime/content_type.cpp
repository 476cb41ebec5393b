#include "mime/content_type.hpp"

#include "base/ascii.hpp"

namespace taube::mime {
namespace {

// RFC 2045 token characters.
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 32 || u >= 127) return false;
    if (std::string_view("()<>@,;:\\\"/[]?=").find(c) != std::string_view::npos) return false;
  }
  return true;
}

}  // namespace

bool ContentType::is(std::string_view t, std::string_view s) const {
  return ascii::iequals(type, t) && ascii::iequals(subtype, s);
}

bool ContentType::is_type(std::string_view t) const { return ascii::iequals(type, t); }

ContentType parse_content_type(std::string_view value) {
  ContentType ct;
  std::string clean = strip_comments(value);
  std::string_view v = clean;
  std::size_t semi = v.find(';');
  std::string_view media = ascii::trim(v.substr(0, semi));
  if (semi != std::string_view::npos) ct.params = parse_params(v.substr(semi + 1));
  std::size_t slash = media.find('/');
  if (slash == std::string_view::npos) return ct;
  std::string_view type = ascii::trim(media.substr(0, slash));
  std::string_view subtype = ascii::trim(media.substr(slash + 1));
  if (!is_token(type) || !is_token(subtype)) return ct;
  ct.type = std::string(type);
  ct.subtype = std::string(subtype);
  ct.valid = true;
  return ct;
}

ContentDisposition parse_content_disposition(std::string_view value) {
  ContentDisposition cd;
  std::string clean = strip_comments(value);
  std::string_view v = clean;
  std::size_t semi = v.find(';');
  std::string_view type = ascii::trim(v.substr(0, semi));
  if (!is_token(type)) return cd;
  cd.type = std::string(type);
  if (semi != std::string_view::npos) cd.params = parse_params(v.substr(semi + 1));
  return cd;
}

}  // namespace taube::mime
