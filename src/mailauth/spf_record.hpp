// SPF records (RFC 7208 4.5, 5, 6, 12) and macros (7) without I/O: the record
// grammar, CIDR matching and macro expansion. The DNS-driven evaluation is spf.hpp.
// Records come from DNS and are untrusted: every error is a value. Pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace taube::mailauth {

struct IpAddress {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};  // IPv4 in the first 4

  // "192.0.2.1", "2001:db8::1"; an IPv4-mapped IPv6 address becomes IPv4.
  static std::optional<IpAddress> parse(std::string_view text);
  std::string to_string() const;
  // True when the first `prefix` bits equal those of `network` (same family).
  bool in(const IpAddress& network, int prefix) const;
};

enum class SpfQualifier : char { kPass = '+', kFail = '-', kSoftFail = '~', kNeutral = '?' };
enum class SpfMechanism { kAll, kInclude, kA, kMx, kPtr, kIp4, kIp6, kExists };

struct SpfTerm {
  SpfQualifier qualifier = SpfQualifier::kPass;
  SpfMechanism mechanism = SpfMechanism::kAll;
  std::string domain_spec;  // macro-string; empty: the current domain (a, mx, ptr)
  int cidr4 = 32;
  int cidr6 = 128;
  IpAddress network;        // ip4, ip6
};

struct SpfRecord {
  std::vector<SpfTerm> terms;
  std::optional<std::string> redirect;  // redirect= domain-spec
  std::optional<std::string> exp;       // exp= domain-spec
};

// True for the records RFC 7208 4.5 selects: "v=spf1" alone or followed by SP.
bool is_spf_record(std::string_view text);

// Parses a record that is_spf_record() selected. nullopt with `error` set on any
// syntax error (the caller's permerror), including bad macros in domain-specs.
std::optional<SpfRecord> parse_spf_record(std::string_view text, std::string* error);

// What macros expand to (RFC 7208 7.2).
struct MacroContext {
  std::string sender;         // s: local-part@domain
  std::string local_part;     // l
  std::string sender_domain;  // o
  std::string domain;         // d: the current domain
  IpAddress ip;               // i, v (and c in explanations)
  std::string helo;           // h
  std::string receiver;       // r (explanations only)
  std::uint64_t now = 0;      // t (explanations only)
};

// Expands a macro-string; nullopt on a syntax error. For a domain-spec the result
// is cut from the left to at most 253 octets (RFC 7208 7.3). `explanation`
// allows c, r and t.
std::optional<std::string> expand_macros(std::string_view text, const MacroContext& context,
                                         bool explanation = false);

// True when `name` is a usable domain for a lookup: labels of 1-63 octets, at most
// 253 octets, at least two labels (RFC 7208 4.3).
bool is_valid_domain(std::string_view name);

}  // namespace taube::mailauth
