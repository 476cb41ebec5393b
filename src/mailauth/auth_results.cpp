#include "mailauth/auth_results.hpp"

#include "base/ascii.hpp"
#include "mailauth/canon.hpp"

namespace taube::mailauth {
namespace {

// RFC 2045 token characters: printable ASCII without SP and tspecials.
bool is_token(std::string_view v) {
  if (v.empty()) return false;
  for (char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return false;
    if (std::string_view("()<>,;:\\\"/[]?=").find(c) != std::string_view::npos) return false;
  }
  return true;
}

// A domain or local-part@domain may stand unquoted (RFC 8601 2.2 pvalue).
bool is_bare_pvalue(std::string_view v) {
  if (v.empty()) return false;
  for (char c : v)
    if (!ascii::is_alpha(c) && !ascii::is_digit(c) && c != '.' && c != '-' && c != '_' && c != '@' &&
        c != '+')
      return false;
  return true;
}

std::string quoted(std::string_view v) {
  std::string out = "\"";
  for (char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) continue;
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string comment(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f || c == '(' || c == ')' || c == '\\') out.push_back(' ');
    else out.push_back(c);
    if (out.size() >= 200) break;
  }
  return out;
}

}  // namespace

std::string format_authentication_results(std::string_view authserv_id,
                                          const std::vector<AuthResult>& results) {
  std::string out = "Authentication-Results: " + std::string(authserv_id) + ";";
  if (results.empty()) return out + " none\r\n";
  for (std::size_t i = 0; i < results.size(); ++i) {
    const AuthResult& r = results[i];
    out += "\r\n\t" + r.method + "=" + r.result;
    if (!r.reason.empty()) out += " (" + comment(r.reason) + ")";
    for (const auto& [name, value] : r.properties)
      out += " " + name + "=" + (is_token(value) || is_bare_pvalue(value) ? value : quoted(value));
    if (i + 1 < results.size()) out += ";";
  }
  return out + "\r\n";
}

std::string authserv_id_of(std::string_view value) {
  std::string_view v = value;
  while (!v.empty() && (ascii::is_space(v.front()) || v.front() == '\r' || v.front() == '\n'))
    v.remove_prefix(1);
  std::size_t end = 0;
  while (end < v.size() && v[end] != ';' && v[end] != '(' && !ascii::is_space(v[end]) &&
         v[end] != '\r' && v[end] != '\n')
    ++end;
  return std::string(v.substr(0, end));
}

std::string remove_authentication_results(std::string_view raw, std::string_view authserv_id) {
  const SplitMessage message = split_message(raw);
  std::string out;
  out.reserve(raw.size());
  std::size_t copied = 0;
  for (const mime::HeaderField& f : message.header.fields) {
    if (!ascii::iequals(ascii::trim(f.name(raw)), "Authentication-Results")) continue;
    if (!ascii::iequals(authserv_id_of(f.raw_value(raw)), authserv_id)) continue;
    out.append(raw.substr(copied, f.begin - copied));
    copied = f.end;
  }
  out.append(raw.substr(copied));
  return out;
}

}  // namespace taube::mailauth
