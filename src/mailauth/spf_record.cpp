#include "mailauth/spf_record.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "base/ascii.hpp"

namespace taube::mailauth {
namespace {

std::optional<int> parse_cidr(std::string_view digits, int max) {
  if (digits.empty() || digits.size() > 3) return std::nullopt;
  int v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || end != digits.data() + digits.size() || v < 0 || v > max)
    return std::nullopt;
  return v;
}

bool is_macro_letter(char c, bool explanation) {
  switch (ascii::to_lower(c)) {
    case 's': case 'l': case 'o': case 'd': case 'i': case 'p': case 'h': case 'v':
      return true;
    case 'c': case 'r': case 't':
      return explanation;
    default:
      return false;
  }
}

bool is_delimiter(char c) {
  return c == '.' || c == '-' || c == '+' || c == ',' || c == '/' || c == '_' || c == '=';
}

std::string ip_macro(const IpAddress& ip) {
  if (!ip.v6) return ip.to_string();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < 16; ++i) {
    if (i) out.push_back('.');
    out.push_back(kHex[ip.bytes[i] >> 4]);
    out.push_back('.');
    out.push_back(kHex[ip.bytes[i] & 15]);
  }
  return out;
}

std::string url_escape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    if (ascii::is_alpha(c) || ascii::is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      const auto u = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

std::string letter_value(char letter, const MacroContext& c) {
  switch (ascii::to_lower(letter)) {
    case 's': return c.sender;
    case 'l': return c.local_part;
    case 'o': return c.sender_domain;
    case 'd': return c.domain;
    case 'i': return ip_macro(c.ip);
    case 'p': return "unknown";  // RFC 7208 5.5: SHOULD NOT be used; never looked up
    case 'v': return c.ip.v6 ? "ip6" : "in-addr";
    case 'h': return c.helo;
    case 'c': return c.ip.to_string();
    case 'r': return c.receiver.empty() ? "unknown" : c.receiver;
    case 't': return std::to_string(c.now);
  }
  return {};
}

// A valid toplabel (RFC 7208 7.1): alphanumeric with inner hyphens, not all digits.
bool is_toplabel(std::string_view label) {
  if (label.empty() || label.front() == '-' || label.back() == '-') return false;
  bool alpha = false;
  for (char c : label) {
    if (ascii::is_alpha(c)) alpha = true;
    else if (!ascii::is_digit(c) && c != '-') return false;
  }
  return alpha;
}

// RFC 7208 12: domain-spec = macro-string domain-end; domain-end = "." toplabel ["."]
// / macro-expand. Checked on the unexpanded text.
bool valid_domain_spec(std::string_view spec) {
  if (spec.empty()) return false;
  MacroContext probe;
  if (!expand_macros(spec, probe)) return false;
  if (spec.back() == '}') return true;
  std::string_view s = spec;
  if (s.back() == '.') s.remove_suffix(1);
  const std::size_t dot = s.rfind('.');
  if (dot == std::string_view::npos) return false;
  return is_toplabel(s.substr(dot + 1));
}

bool set_error(std::string* error, std::string text) {
  if (error) *error = std::move(text);
  return false;
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  std::string s(text);
  IpAddress ip;
  if (s.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, s.c_str(), ip.bytes.data()) != 1) return std::nullopt;
    return ip;
  }
  if (inet_pton(AF_INET6, s.c_str(), ip.bytes.data()) != 1) return std::nullopt;
  static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(ip.bytes.data(), kMapped, 12) == 0) {
    std::memmove(ip.bytes.data(), ip.bytes.data() + 12, 4);
    std::memset(ip.bytes.data() + 4, 0, 12);
    return ip;
  }
  ip.v6 = true;
  return ip;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf);
  return buf;
}

bool IpAddress::in(const IpAddress& network, int prefix) const {
  if (v6 != network.v6) return false;
  const int bits = v6 ? 128 : 32;
  if (prefix > bits) prefix = bits;
  for (int i = 0; i < prefix; ++i) {
    const int byte = i / 8, bit = 7 - i % 8;
    if (((bytes[byte] >> bit) & 1) != ((network.bytes[byte] >> bit) & 1)) return false;
  }
  return true;
}

bool is_spf_record(std::string_view text) {
  return ascii::istarts_with(text, "v=spf1") && (text.size() == 6 || text[6] == ' ');
}

std::optional<SpfRecord> parse_spf_record(std::string_view text, std::string* error) {
  if (!is_spf_record(text)) return set_error(error, "not an SPF record"), std::nullopt;
  SpfRecord record;
  std::size_t pos = 6;
  while (pos < text.size()) {
    if (text[pos] == ' ') {
      ++pos;
      continue;
    }
    std::size_t end = text.find(' ', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view term = text.substr(pos, end - pos);
    pos = end;

    // A modifier: name "=" macro-string, the name before any ':' or '/'.
    const std::size_t eq = term.find('=');
    const std::size_t sep = term.find_first_of(":/");
    if (eq != std::string_view::npos && (sep == std::string_view::npos || eq < sep)) {
      std::string name = ascii::lower(term.substr(0, eq));
      std::string_view value = term.substr(eq + 1);
      if (name.empty() || !ascii::is_alpha(name.front()))
        return set_error(error, "bad modifier name"), std::nullopt;
      for (char c : name)
        if (!ascii::is_alpha(c) && !ascii::is_digit(c) && c != '-' && c != '_' && c != '.')
          return set_error(error, "bad modifier name"), std::nullopt;
      if (name == "redirect" || name == "exp") {
        std::optional<std::string>& slot = name == "redirect" ? record.redirect : record.exp;
        if (slot) return set_error(error, "duplicate " + name + "="), std::nullopt;
        if (!valid_domain_spec(value)) return set_error(error, "bad " + name + "= domain"), std::nullopt;
        slot = std::string(value);
      } else if (!expand_macros(value, MacroContext{}, true)) {
        return set_error(error, "bad macro in " + name + "="), std::nullopt;
      }
      continue;
    }

    SpfTerm t;
    if (!term.empty() && (term[0] == '+' || term[0] == '-' || term[0] == '~' || term[0] == '?')) {
      t.qualifier = static_cast<SpfQualifier>(term[0]);
      term.remove_prefix(1);
    }
    std::size_t name_end = term.find_first_of(":/");
    const std::string name = ascii::lower(term.substr(0, name_end));
    std::string_view rest = name_end == std::string_view::npos ? "" : term.substr(name_end);
    std::string_view arg;   // after ':'
    std::string_view cidr;  // from the first '/'
    if (!rest.empty() && rest[0] == ':') {
      arg = rest.substr(1);
      const std::size_t slash = arg.find('/');
      if (slash != std::string_view::npos) {
        cidr = arg.substr(slash);
        arg = arg.substr(0, slash);
      }
      if (arg.empty()) return set_error(error, "empty argument in " + name), std::nullopt;
    } else {
      cidr = rest;
    }
    auto parse_dual_cidr = [&](bool allow) -> bool {
      if (cidr.empty()) return true;
      if (!allow) return false;
      std::string_view c = cidr;
      if (c.size() >= 2 && c[0] == '/' && c[1] != '/') {
        std::size_t next = c.find('/', 1);
        std::optional<int> v = parse_cidr(c.substr(1, next == std::string_view::npos ? c.npos : next - 1), 32);
        if (!v) return false;
        t.cidr4 = *v;
        c = next == std::string_view::npos ? std::string_view() : c.substr(next);
      }
      if (!c.empty()) {
        if (c.size() < 3 || c[0] != '/' || c[1] != '/') return false;
        std::optional<int> v = parse_cidr(c.substr(2), 128);
        if (!v) return false;
        t.cidr6 = *v;
      }
      return true;
    };
    if (name == "all") {
      t.mechanism = SpfMechanism::kAll;
      if (!rest.empty()) return set_error(error, "all takes no argument"), std::nullopt;
    } else if (name == "include" || name == "exists") {
      t.mechanism = name == "include" ? SpfMechanism::kInclude : SpfMechanism::kExists;
      if (arg.empty() || !cidr.empty() || !valid_domain_spec(arg))
        return set_error(error, "bad " + name + " domain"), std::nullopt;
      t.domain_spec = std::string(arg);
    } else if (name == "a" || name == "mx") {
      t.mechanism = name == "a" ? SpfMechanism::kA : SpfMechanism::kMx;
      if (!arg.empty() && !valid_domain_spec(arg))
        return set_error(error, "bad " + name + " domain"), std::nullopt;
      if (!parse_dual_cidr(true)) return set_error(error, "bad cidr in " + name), std::nullopt;
      t.domain_spec = std::string(arg);
    } else if (name == "ptr") {
      t.mechanism = SpfMechanism::kPtr;
      if ((!arg.empty() && !valid_domain_spec(arg)) || !cidr.empty())
        return set_error(error, "bad ptr domain"), std::nullopt;
      t.domain_spec = std::string(arg);
    } else if (name == "ip4" || name == "ip6") {
      const bool v6 = name == "ip6";
      t.mechanism = v6 ? SpfMechanism::kIp6 : SpfMechanism::kIp4;
      std::optional<IpAddress> ip = IpAddress::parse(arg);
      // "ip4:" takes a dotted quad only; an IPv4-mapped ip6 network is still IPv6.
      if (!ip || (v6 && arg.find(':') == std::string_view::npos) || (!v6 && ip->v6))
        return set_error(error, "bad " + name + " address"), std::nullopt;
      if (v6 && !ip->v6) {  // mapped form: keep it as IPv6 for matching
        IpAddress mapped;
        mapped.v6 = true;
        mapped.bytes[10] = mapped.bytes[11] = 0xff;
        std::memcpy(mapped.bytes.data() + 12, ip->bytes.data(), 4);
        ip = mapped;
      }
      t.network = *ip;
      if (!cidr.empty()) {
        if (cidr.size() < 2 || cidr[0] != '/' || cidr[1] == '/')
          return set_error(error, "bad cidr in " + name), std::nullopt;
        std::optional<int> v = parse_cidr(cidr.substr(1), v6 ? 128 : 32);
        if (!v) return set_error(error, "bad cidr in " + name), std::nullopt;
        (v6 ? t.cidr6 : t.cidr4) = *v;
      }
    } else {
      return set_error(error, "unknown mechanism " + name), std::nullopt;
    }
    record.terms.push_back(std::move(t));
  }
  return record;
}

std::optional<std::string> expand_macros(std::string_view text, const MacroContext& context,
                                         bool explanation) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c != '%') {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x21 || u > 0x7e) {
        if (!(explanation && c == ' ')) return std::nullopt;
      }
      out.push_back(c);
      continue;
    }
    if (++i >= text.size()) return std::nullopt;
    const char next = text[i];
    if (next == '%') { out.push_back('%'); continue; }
    if (next == '_') { out.push_back(' '); continue; }
    if (next == '-') { out += "%20"; continue; }
    if (next != '{') return std::nullopt;
    const std::size_t close = text.find('}', i);
    if (close == std::string_view::npos) return std::nullopt;
    std::string_view macro = text.substr(i + 1, close - i - 1);
    i = close;
    if (macro.empty() || !is_macro_letter(macro[0], explanation)) return std::nullopt;
    const char letter = macro[0];
    std::size_t p = 1;
    std::size_t digits_end = p;
    while (digits_end < macro.size() && ascii::is_digit(macro[digits_end])) ++digits_end;
    std::optional<std::size_t> keep;
    if (digits_end > p) {
      if (digits_end - p > 3) return std::nullopt;
      std::size_t n = 0;
      std::from_chars(macro.data() + p, macro.data() + digits_end, n);
      if (n == 0) return std::nullopt;  // RFC 7208 7.3: the value MUST be nonzero
      keep = n;
    }
    p = digits_end;
    bool reverse = false;
    if (p < macro.size() && ascii::to_lower(macro[p]) == 'r') {
      reverse = true;
      ++p;
    }
    std::string delimiters;
    for (; p < macro.size(); ++p) {
      if (!is_delimiter(macro[p])) return std::nullopt;
      delimiters.push_back(macro[p]);
    }
    if (delimiters.empty()) delimiters = ".";
    const std::string value = letter_value(letter, context);
    std::vector<std::string_view> parts;
    std::string_view v = value;
    std::size_t start = 0;
    for (std::size_t k = 0; k <= v.size(); ++k) {
      if (k == v.size() || delimiters.find(v[k]) != std::string::npos) {
        parts.push_back(v.substr(start, k - start));
        start = k + 1;
      }
    }
    if (reverse) std::reverse(parts.begin(), parts.end());
    std::size_t first = 0;
    if (keep && *keep < parts.size()) first = parts.size() - *keep;
    std::string expanded;
    for (std::size_t k = first; k < parts.size(); ++k) {
      if (k > first) expanded.push_back('.');
      expanded.append(parts[k]);
    }
    out += ascii::is_alpha(letter) && letter >= 'A' && letter <= 'Z' ? url_escape(expanded) : expanded;
  }
  if (!explanation && out.size() > 253) {
    // RFC 7208 7.3: drop left-hand labels until the name fits.
    std::string_view s = out;
    while (s.size() > 253) {
      const std::size_t dot = s.find('.');
      if (dot == std::string_view::npos) return std::nullopt;
      s.remove_prefix(dot + 1);
    }
    out = std::string(s);
  }
  return out;
}

bool is_valid_domain(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > 253) return false;
  std::size_t labels = 0, start = 0;
  for (std::size_t k = 0; k <= name.size(); ++k) {
    if (k == name.size() || name[k] == '.') {
      const std::size_t len = k - start;
      if (len == 0 || len > 63) return false;
      ++labels;
      start = k + 1;
    }
  }
  return labels >= 2;
}

}  // namespace taube::mailauth
