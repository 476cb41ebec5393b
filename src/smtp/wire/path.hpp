// Reverse-path and forward-path parsing (RFC 5321 4.1.2, 4.1.3, 4.5.3.1) with
// the RFC 6531 UTF-8 extension. Parses untrusted client input before
// authentication; bounded by the path length limits, no allocation beyond the
// result. Pure functions; the session decides whether UTF-8 was negotiated.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace taube::smtp::wire {

// RFC 5321 4.5.3.1.1-3.
inline constexpr std::size_t kMaxLocalPartBytes = 64;
inline constexpr std::size_t kMaxDomainBytes = 255;
inline constexpr std::size_t kMaxPathBytes = 256;  // including "<" and ">"

struct Mailbox {
  std::string local_part;  // wire form: a quoted local part keeps its quotes
  std::string domain;      // domain, or an address literal with its brackets;
                           // empty only for RCPT TO:<Postmaster>
  bool quoted_local_part = false;
  bool address_literal = false;
  bool has_utf8 = false;  // non-ASCII octets anywhere (valid UTF-8, RFC 6531)

  // local_part "@" domain, or just the local part when there is no domain.
  std::string address() const;
  // The local part with quotes and quoted-pairs removed.
  std::string unquoted_local_part() const;

  friend bool operator==(const Mailbox&, const Mailbox&) = default;
};

struct Path {
  bool null = false;  // the reverse-path "<>"
  Mailbox mailbox;
  bool had_source_route = false;   // "<@a,@b:u@d>": obsolete, accepted and stripped
  bool had_angle_brackets = true;  // false: tolerated "MAIL FROM:u@d"
  bool postmaster_only = false;    // RCPT TO:<Postmaster> (RFC 5321 4.1.1.3)

  friend bool operator==(const Path&, const Path&) = default;
};

enum class PathKind { kReverse, kForward };

enum class PathError { kNone, kSyntax, kTooLong, kBadUtf8 };

struct PathResult {
  PathError error = PathError::kNone;
  Path path;
  std::size_t consumed = 0;  // octets of the input that formed the path
};

// Parses a path at the start of `text` (the octets after "FROM:"/"TO:" and
// any tolerated spaces). Stops after ">" (or, without brackets, at the first
// SP); the caller parses what follows. Non-ASCII octets are accepted when they
// are valid UTF-8 and reported in mailbox.has_utf8.
PathResult parse_path(std::string_view text, PathKind kind);

// RFC 5321 Domain (sub-domain = Let-dig [Ldh-str], labels of at most 63
// octets); with allow_utf8, U-labels (RFC 6531 3.3) are accepted too.
bool is_valid_domain(std::string_view domain, bool allow_utf8);
// RFC 5321 4.1.3 address-literal, brackets included: "[1.2.3.4]",
// "[IPv6:2001:db8::1]", or a General-address-literal "[tag:content]".
bool is_valid_address_literal(std::string_view literal);
// RFC 3629 well-formed UTF-8 (no overlongs, surrogates, or > U+10FFFF).
bool is_valid_utf8(std::string_view text);

}  // namespace taube::smtp::wire
