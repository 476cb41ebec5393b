#include "smtp/wire/path.hpp"

#include "base/ascii.hpp"

namespace taube::smtp::wire {
namespace {

bool is_let_dig(char c) { return ascii::is_alpha(c) || ascii::is_digit(c); }
bool is_non_ascii(char c) { return static_cast<unsigned char>(c) >= 0x80; }
bool is_hex(char c) {
  return ascii::is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// RFC 5322 atext.
bool is_atext(char c) {
  if (is_let_dig(c)) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '/':
    case '=':
    case '?':
    case '^':
    case '_':
    case '`':
    case '{':
    case '|':
    case '}':
    case '~':
      return true;
    default:
      return false;
  }
}

// RFC 5321 4.1.2 qtextSMTP: %d32-33 / %d35-91 / %d93-126.
bool is_qtext(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u == 32 || u == 33 || (u >= 35 && u <= 91) || (u >= 93 && u <= 126);
}

bool is_ipv4(std::string_view s) {
  int parts = 0;
  while (true) {
    std::size_t n = 0;
    int value = 0;
    while (n < s.size() && ascii::is_digit(s[n]) && n < 4) value = value * 10 + (s[n++] - '0');
    if (n == 0 || n > 3 || value > 255) return false;
    ++parts;
    s.remove_prefix(n);
    if (s.empty()) return parts == 4;
    if (s.front() != '.' || parts == 4) return false;
    s.remove_prefix(1);
  }
}

// Counts 16-bit groups in "h:h:h" (an IPv4 tail counts as two); -1 if malformed.
int count_ipv6_groups(std::string_view s, bool allow_v4_tail) {
  if (s.empty()) return 0;
  int groups = 0;
  while (true) {
    const std::size_t colon = s.find(':');
    const std::string_view part = s.substr(0, colon);
    if (colon == std::string_view::npos && allow_v4_tail && part.find('.') != part.npos)
      return is_ipv4(part) ? groups + 2 : -1;
    if (part.empty() || part.size() > 4) return -1;
    for (char c : part)
      if (!is_hex(c)) return -1;
    ++groups;
    if (colon == std::string_view::npos) return groups;
    s.remove_prefix(colon + 1);
  }
}

// RFC 5321 4.1.3 IPv6-addr: full, compressed, and both with an IPv4 tail.
bool is_ipv6(std::string_view s) {
  const std::size_t gap = s.find("::");
  if (gap == std::string_view::npos) return count_ipv6_groups(s, true) == 8;
  const std::string_view left = s.substr(0, gap);
  const std::string_view right = s.substr(gap + 2);
  if (right.find("::") != std::string_view::npos) return false;
  const int l = count_ipv6_groups(left, false);
  const int r = count_ipv6_groups(right, true);
  // "::" stands for at least two groups: at most 6 others may be present.
  return l >= 0 && r >= 0 && l + r <= 6;
}

class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  bool done() const { return pos_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[pos_]; }
  bool eat(char c) {
    if (done() || s_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  std::size_t pos() const { return pos_; }
  void advance(std::size_t n = 1) { pos_ += n; }
  std::string_view from(std::size_t start) const { return s_.substr(start, pos_ - start); }
  std::string_view rest() const { return s_.substr(pos_); }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

// Length of a UTF-8 sequence starting at s (0 if malformed).
std::size_t utf8_sequence_length(std::string_view s) {
  if (s.empty()) return 0;
  const auto b0 = static_cast<unsigned char>(s[0]);
  std::size_t len;
  unsigned min;
  unsigned cp;
  if (b0 < 0x80) return 1;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    len = 2;
    cp = b0 & 0x1f;
    min = 0x80;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    len = 3;
    cp = b0 & 0x0f;
    min = 0x800;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    len = 4;
    cp = b0 & 0x07;
    min = 0x10000;
  } else
    return 0;
  if (s.size() < len) return 0;
  for (std::size_t i = 1; i < len; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if ((b & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

// Consumes one UTF-8 non-ASCII character; false (and no advance) if malformed.
bool eat_utf8(Cursor& c, bool& bad_utf8) {
  const std::size_t n = utf8_sequence_length(c.rest());
  if (n < 2) {
    bad_utf8 = true;
    return false;
  }
  c.advance(n);
  return true;
}

// Dot-string = Atom *("." Atom), atext extended by UTF8-non-ascii.
bool parse_dot_string(Cursor& c, bool& utf8, bool& bad_utf8) {
  bool need_atom = true;
  while (!c.done()) {
    const char ch = c.peek();
    if (is_atext(ch)) {
      c.advance();
      need_atom = false;
    } else if (is_non_ascii(ch)) {
      if (!eat_utf8(c, bad_utf8)) return false;
      utf8 = true;
      need_atom = false;
    } else if (ch == '.' && !need_atom) {
      c.advance();
      need_atom = true;
    } else {
      break;
    }
  }
  return !need_atom;
}

// Quoted-string = DQUOTE *QcontentSMTP DQUOTE.
bool parse_quoted_string(Cursor& c, bool& utf8, bool& bad_utf8) {
  if (!c.eat('"')) return false;
  while (!c.done()) {
    const char ch = c.peek();
    if (ch == '"') {
      c.advance();
      return true;
    }
    if (ch == '\\') {
      c.advance();
      const auto u = static_cast<unsigned char>(c.peek());
      if (c.done() || u < 32 || u > 126) return false;
      c.advance();
    } else if (is_qtext(ch)) {
      c.advance();
    } else if (is_non_ascii(ch)) {
      if (!eat_utf8(c, bad_utf8)) return false;
      utf8 = true;
    } else {
      return false;
    }
  }
  return false;
}

// Domain / address-literal, consumed greedily; validated afterwards.
bool parse_domain_or_literal(Cursor& c, bool& literal, bool& utf8, bool& bad_utf8) {
  const std::size_t start = c.pos();
  if (c.peek() == '[') {
    while (!c.done() && c.peek() != ']') c.advance();
    if (!c.eat(']')) return false;
    literal = true;
    return is_valid_address_literal(c.from(start));
  }
  while (!c.done()) {
    const char ch = c.peek();
    if (is_let_dig(ch) || ch == '-' || ch == '.') {
      c.advance();
    } else if (is_non_ascii(ch)) {
      if (!eat_utf8(c, bad_utf8)) return false;
      utf8 = true;
    } else {
      break;
    }
  }
  return is_valid_domain(c.from(start), true);
}

}  // namespace

std::string Mailbox::address() const {
  if (domain.empty()) return local_part;
  return local_part + "@" + domain;
}

std::string Mailbox::unquoted_local_part() const {
  if (!quoted_local_part || local_part.size() < 2) return local_part;
  std::string out;
  const std::string_view inner = std::string_view(local_part).substr(1, local_part.size() - 2);
  for (std::size_t i = 0; i < inner.size(); ++i) {
    if (inner[i] == '\\' && i + 1 < inner.size()) ++i;
    out += inner[i];
  }
  return out;
}

bool is_valid_utf8(std::string_view text) {
  while (!text.empty()) {
    const std::size_t n = utf8_sequence_length(text);
    if (n == 0) return false;
    text.remove_prefix(n);
  }
  return true;
}

bool is_valid_domain(std::string_view domain, bool allow_utf8) {
  if (domain.empty() || domain.size() > kMaxDomainBytes) return false;
  if (!is_valid_utf8(domain)) return false;
  std::size_t label_start = 0;
  for (std::size_t i = 0; i <= domain.size(); ++i) {
    if (i < domain.size() && domain[i] != '.') continue;
    const std::string_view label = domain.substr(label_start, i - label_start);
    if (label.empty() || label.size() > 63) return false;
    bool any_utf8 = false;
    for (char ch : label) {
      if (is_non_ascii(ch)) {
        any_utf8 = true;
      } else if (!is_let_dig(ch) && ch != '-') {
        return false;
      }
    }
    if (any_utf8 && !allow_utf8) return false;
    // Ldh-str ends in Let-dig; sub-domain starts with Let-dig (or a U-label).
    if (label.front() == '-' || label.back() == '-') return false;
    label_start = i + 1;
  }
  return true;
}

bool is_valid_address_literal(std::string_view literal) {
  if (literal.size() < 3 || literal.front() != '[' || literal.back() != ']') return false;
  const std::string_view inner = literal.substr(1, literal.size() - 2);
  if (ascii::istarts_with(inner, "IPv6:")) return is_ipv6(inner.substr(5));
  const std::size_t colon = inner.find(':');
  if (colon == std::string_view::npos) return is_ipv4(inner);
  // General-address-literal = Standardized-tag ":" 1*dcontent.
  const std::string_view tag = inner.substr(0, colon);
  const std::string_view content = inner.substr(colon + 1);
  if (tag.empty() || !is_let_dig(tag.back())) return false;
  for (char ch : tag)
    if (!is_let_dig(ch) && ch != '-') return false;
  if (content.empty()) return false;
  for (char ch : content) {
    const auto u = static_cast<unsigned char>(ch);
    if (!((u >= 33 && u <= 90) || (u >= 94 && u <= 126))) return false;
  }
  return true;
}

PathResult parse_path(std::string_view text, PathKind kind) {
  PathResult r;
  Cursor c(text);
  const bool bracketed = c.eat('<');
  r.path.had_angle_brackets = bracketed;
  bool bad_utf8 = false;
  auto fail = [&](PathError e) {
    r.error = bad_utf8 ? PathError::kBadUtf8 : e;
    return r;
  };

  if (bracketed && c.eat('>')) {
    if (kind != PathKind::kReverse) return fail(PathError::kSyntax);
    r.path.null = true;
    r.consumed = c.pos();
    return r;
  }
  // A-d-l ":" (RFC 5321 4.1.2: MUST be accepted, SHOULD be ignored).
  if (bracketed && c.peek() == '@') {
    r.path.had_source_route = true;
    while (true) {
      if (!c.eat('@')) return fail(PathError::kSyntax);
      bool literal = false;
      bool utf8 = false;
      if (!parse_domain_or_literal(c, literal, utf8, bad_utf8)) return fail(PathError::kSyntax);
      if (c.eat(':')) break;
      if (!c.eat(',')) return fail(PathError::kSyntax);
    }
  }

  Mailbox& mb = r.path.mailbox;
  const std::size_t local_start = c.pos();
  bool utf8 = false;
  if (c.peek() == '"') {
    mb.quoted_local_part = true;
    if (!parse_quoted_string(c, utf8, bad_utf8)) return fail(PathError::kSyntax);
  } else if (!parse_dot_string(c, utf8, bad_utf8)) {
    return fail(PathError::kSyntax);
  }
  mb.local_part = std::string(c.from(local_start));
  if (mb.local_part.size() > kMaxLocalPartBytes) return fail(PathError::kTooLong);

  if (c.eat('@')) {
    const std::size_t domain_start = c.pos();
    if (!parse_domain_or_literal(c, mb.address_literal, utf8, bad_utf8))
      return fail(c.pos() - domain_start > kMaxDomainBytes ? PathError::kTooLong
                                                           : PathError::kSyntax);
    mb.domain = std::string(c.from(domain_start));
  } else if (kind == PathKind::kForward && bracketed && !mb.quoted_local_part &&
             ascii::iequals(mb.local_part, "postmaster")) {
    r.path.postmaster_only = true;  // RFC 5321 4.1.1.3: "<Postmaster>"
  } else {
    return fail(PathError::kSyntax);
  }
  mb.has_utf8 = utf8;

  if (bracketed) {
    if (!c.eat('>')) return fail(PathError::kSyntax);
    if (c.pos() > kMaxPathBytes) return fail(PathError::kTooLong);
  } else {
    if (!c.done() && c.peek() != ' ') return fail(PathError::kSyntax);
    if (c.pos() + 2 > kMaxPathBytes) return fail(PathError::kTooLong);
  }
  r.consumed = c.pos();
  return r;
}

}  // namespace taube::smtp::wire
