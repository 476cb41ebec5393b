#include "imap/wire/fetch.hpp"

#include "base/ascii.hpp"
#include "imap/wire/sequence_set.hpp"

namespace taube::imap::wire {
namespace {

struct Named {
  const char* word;
  FetchAttribute attribute;
};

constexpr Named kSimple[] = {
    {"ENVELOPE", FetchAttribute::kEnvelope}, {"FLAGS", FetchAttribute::kFlags},
    {"INTERNALDATE", FetchAttribute::kInternalDate}, {"RFC822", FetchAttribute::kRfc822},
    {"RFC822.HEADER", FetchAttribute::kRfc822Header}, {"RFC822.SIZE", FetchAttribute::kRfc822Size},
    {"RFC822.TEXT", FetchAttribute::kRfc822Text}, {"BODY", FetchAttribute::kBody},
    {"BODYSTRUCTURE", FetchAttribute::kBodyStructure}, {"UID", FetchAttribute::kUid},
    {"MODSEQ", FetchAttribute::kModSeq}, {"SAVEDATE", FetchAttribute::kSaveDate},
    {"EMAILID", FetchAttribute::kEmailId}, {"THREADID", FetchAttribute::kThreadId},
    {"PREVIEW", FetchAttribute::kPreview},
};

FetchItem item(FetchAttribute a) {
  FetchItem i;
  i.attribute = a;
  return i;
}

// header-list = "(" header-fld-name *(SP header-fld-name) ")"; header-fld-name = astring
bool parse_header_list(std::string_view s, std::vector<std::string>& out) {
  if (s.size() < 2 || s.front() != '(' || s.back() != ')') return false;
  s = s.substr(1, s.size() - 2);
  std::size_t i = 0;
  while (true) {
    std::string name;
    if (i < s.size() && s[i] == '"') {
      ++i;
      while (i < s.size() && s[i] != '"') {
        if (s[i] == '\\') {
          if (i + 1 >= s.size() || (s[i + 1] != '"' && s[i + 1] != '\\')) return false;
          ++i;
        }
        name += s[i++];
      }
      if (i >= s.size()) return false;
      ++i;
    } else {
      while (i < s.size() && s[i] != ' ') {
        if (!is_astring_char(s[i])) return false;
        name += s[i++];
      }
    }
    // A field name is printable US-ASCII except ":" (RFC 5322 3.6.8).
    if (name.empty()) return false;
    for (char c : name)
      if (c <= 0x20 || c >= 0x7f || c == ':') return false;
    out.push_back(ascii::upper(name));
    if (i == s.size()) return true;
    if (s[i] != ' ') return false;
    ++i;
  }
}

// section-spec inside the brackets (RFC 9051 9), or section-binary when `binary`.
bool parse_section(std::string_view s, bool binary, Section& out) {
  while (!s.empty() && ascii::is_digit(s[0])) {
    std::size_t n = 0;
    while (n < s.size() && ascii::is_digit(s[n])) ++n;
    auto v = parse_nz_number(s.substr(0, n));
    if (!v) return false;
    out.part.push_back(*v);
    s.remove_prefix(n);
    if (s.empty()) return true;
    if (s[0] != '.') return false;
    s.remove_prefix(1);
    if (s.empty()) return false;
  }
  if (s.empty()) return true;
  if (binary) return false;
  if (ascii::iequals(s, "HEADER")) {
    out.text = SectionText::kHeader;
  } else if (ascii::iequals(s, "TEXT")) {
    out.text = SectionText::kText;
  } else if (ascii::iequals(s, "MIME")) {
    if (out.part.empty()) return false;  // section-text "MIME" only follows a section-part
    out.text = SectionText::kMime;
  } else if (ascii::istarts_with(s, "HEADER.FIELDS.NOT ")) {
    out.text = SectionText::kHeaderFieldsNot;
    return parse_header_list(s.substr(18), out.fields);
  } else if (ascii::istarts_with(s, "HEADER.FIELDS ")) {
    out.text = SectionText::kHeaderFields;
    return parse_header_list(s.substr(14), out.fields);
  } else {
    return false;
  }
  return true;
}

// partial = "<" number "." nz-number ">"
bool parse_partial(std::string_view s, Partial& out) {
  if (s.size() < 5 || s.front() != '<' || s.back() != '>') return false;
  s = s.substr(1, s.size() - 2);
  const auto dot = s.find('.');
  if (dot == std::string_view::npos) return false;
  auto offset = parse_number(s.substr(0, dot));
  auto length = parse_nz_number(s.substr(dot + 1));
  if (!offset || !length) return false;
  out = Partial{*offset, *length};
  return true;
}

bool parse_att(TokenCursor& cursor, std::vector<FetchItem>& out, std::string& error) {
  const Token* t = cursor.next();
  if (!t || !t->is_atom()) {
    error = "Expected fetch attribute";
    return false;
  }
  std::string_view s = t->text;
  const auto bracket = s.find('[');
  if (bracket == std::string_view::npos) {
    for (const auto& n : kSimple) {
      if (!ascii::iequals(s, n.word)) continue;
      FetchItem i = item(n.attribute);
      if (n.attribute == FetchAttribute::kPreview) {
        // RFC 8970 3: "PREVIEW" [SP "(" preview-mod *(SP preview-mod) ")"]; preview-mod = "LAZY"
        TokenCursor look = cursor;
        if (look.take(TokenKind::kListOpen) && look.peek_atom("LAZY")) {
          cursor.next();
          while (cursor.take_atom("LAZY")) i.lazy = true;
          if (!cursor.take(TokenKind::kListClose)) {
            error = "Invalid PREVIEW modifier";
            return false;
          }
        }
      }
      out.push_back(i);
      return true;
    }
    error = "Unknown fetch attribute";
    return false;
  }
  const std::string_view name = s.substr(0, bracket);
  FetchItem i;
  bool binary = false;
  if (ascii::iequals(name, "BODY")) {
    i.attribute = FetchAttribute::kBodySection;
  } else if (ascii::iequals(name, "BODY.PEEK")) {
    i.attribute = FetchAttribute::kBodySection;
    i.peek = true;
  } else if (ascii::iequals(name, "BINARY")) {
    i.attribute = FetchAttribute::kBinary;
    binary = true;
  } else if (ascii::iequals(name, "BINARY.PEEK")) {
    i.attribute = FetchAttribute::kBinary;
    i.peek = true;
    binary = true;
  } else if (ascii::iequals(name, "BINARY.SIZE")) {
    i.attribute = FetchAttribute::kBinarySize;
    binary = true;
  } else {
    error = "Unknown fetch attribute";
    return false;
  }
  // The section ends at the first "]" outside a quoted header name.
  std::size_t close = bracket + 1;
  bool quoted = false;
  for (; close < s.size(); ++close) {
    if (quoted && s[close] == '\\') ++close;
    else if (s[close] == '"') quoted = !quoted;
    else if (!quoted && s[close] == ']') break;
  }
  if (close >= s.size() || !parse_section(s.substr(bracket + 1, close - bracket - 1), binary, i.section)) {
    error = "Invalid section";
    return false;
  }
  const std::string_view rest = s.substr(close + 1);
  if (!rest.empty()) {
    Partial p;
    if (i.attribute == FetchAttribute::kBinarySize || !parse_partial(rest, p)) {
      error = "Invalid partial";
      return false;
    }
    i.partial = p;
  }
  out.push_back(std::move(i));
  return true;
}

}  // namespace

bool parse_fetch_items(TokenCursor& cursor, const Limits& limits, std::vector<FetchItem>& out,
                       std::string& error) {
  if (cursor.take(TokenKind::kListOpen)) {
    do {
      if (out.size() >= limits.max_tokens) {
        error = "Too many fetch attributes";
        return false;
      }
      if (!parse_att(cursor, out, error)) return false;
    } while (!cursor.take(TokenKind::kListClose));
    return true;
  }
  // RFC 9051 6.4.5 macros
  using A = FetchAttribute;
  if (cursor.take_atom("ALL")) {
    for (A a : {A::kFlags, A::kInternalDate, A::kRfc822Size, A::kEnvelope}) out.push_back(item(a));
    return true;
  }
  if (cursor.take_atom("FAST")) {
    for (A a : {A::kFlags, A::kInternalDate, A::kRfc822Size}) out.push_back(item(a));
    return true;
  }
  if (cursor.take_atom("FULL")) {
    for (A a : {A::kFlags, A::kInternalDate, A::kRfc822Size, A::kEnvelope, A::kBody}) out.push_back(item(a));
    return true;
  }
  return parse_att(cursor, out, error);
}

}  // namespace taube::imap::wire
