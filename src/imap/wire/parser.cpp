#include "imap/wire/parser.hpp"

#include <algorithm>

#include "base/ascii.hpp"
#include "imap/wire/mutf7.hpp"
#include "imap/wire/parse_internal.hpp"

namespace taube::imap::wire {
namespace detail {

bool Parser::atom(std::string& out) {
  const Token* t = cursor.peek();
  if (!t || t->kind != TokenKind::kAtom) return fail("Expected atom");
  if (!std::all_of(t->text.begin(), t->text.end(), is_atom_char)) return fail("Invalid characters in atom");
  out = t->text;
  cursor.next();
  return true;
}

bool Parser::astring(std::string& out) {
  const Token* t = cursor.peek();
  if (!t) return fail("Missing argument");
  if (t->kind == TokenKind::kAtom) {
    if (!std::all_of(t->text.begin(), t->text.end(), is_astring_char)) return fail("Invalid characters in atom");
  } else if (!t->is_string()) {
    return fail("Expected string");
  }
  out = t->text;
  cursor.next();
  return true;
}

bool Parser::string(std::string& out) {
  const Token* t = cursor.peek();
  if (!t || !t->is_string()) return fail("Expected string");
  out = t->text;
  cursor.next();
  return true;
}

bool Parser::nstring(std::optional<std::string>& out) {
  if (cursor.take_atom("NIL")) {
    out.reset();
    return true;
  }
  std::string s;
  if (!string(s)) return false;
  out = std::move(s);
  return true;
}

bool decode_mailbox_name(const std::string& wire, const ParseContext& context, std::string& out) {
  if (context.utf8_names) {
    if (!is_valid_utf8(wire)) return false;
    out = wire;
  } else {
    auto decoded = decode_mutf7(wire);
    if (!decoded) return false;
    out = std::move(*decoded);
  }
  if (std::any_of(out.begin(), out.end(), [](char c) { return c == '\0' || c == '\r' || c == '\n'; }))
    return false;
  if (ascii::iequals(out, "INBOX")) out = "INBOX";  // RFC 9051 5.1
  return true;
}

bool Parser::mailbox(MailboxName& out) {
  std::string wire;
  if (!astring(wire)) return false;
  if (wire.empty()) return fail("Empty mailbox name");
  if (!decode_mailbox_name(wire, context, out)) return fail("Invalid mailbox name encoding");
  return true;
}

bool Parser::list_mailbox(std::string& out) {
  const Token* t = cursor.peek();
  if (!t) return fail("Missing mailbox pattern");
  std::string wire;
  if (t->kind == TokenKind::kAtom) {
    // list-char = ATOM-CHAR / list-wildcards / resp-specials
    for (char c : t->text)
      if (!is_astring_char(c) && c != '%' && c != '*') return fail("Invalid characters in mailbox pattern");
    wire = t->text;
    cursor.next();
  } else if (!string(wire)) {
    return false;
  }
  if (wire.empty()) {
    out.clear();
    return true;
  }
  if (!decode_mailbox_name(wire, context, out)) return fail("Invalid mailbox name encoding");
  return true;
}

bool Parser::flag(Flag& out) {
  const Token* t = cursor.peek();
  if (!t || t->kind != TokenKind::kAtom) return fail("Expected flag");
  std::string_view s = t->text;
  const bool system = !s.empty() && s[0] == '\\';
  if (system) s.remove_prefix(1);
  if (s.empty() || !std::all_of(s.begin(), s.end(), is_atom_char)) return fail("Invalid flag");
  // RFC 9051 2.3.2: \Recent is not storable; "\*" appears only in PERMANENTFLAGS.
  if (system && ascii::iequals(s, "Recent")) return fail("\\Recent cannot be set");
  out = t->text;
  if (system) {
    for (const char* known : {"\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"})
      if (ascii::iequals(out, known)) out = known;
  }
  cursor.next();
  return true;
}

bool Parser::flag_list(std::vector<Flag>& out) {
  if (!expect(TokenKind::kListOpen, "flag list")) return false;
  while (!cursor.take(TokenKind::kListClose)) {
    Flag f;
    if (!flag(f)) return false;
    out.push_back(std::move(f));
  }
  return true;
}

bool Parser::number(std::uint32_t& out) {
  const Token* t = cursor.peek();
  if (!t || t->kind != TokenKind::kAtom) return fail("Expected number");
  auto v = parse_number(t->text);
  if (!v) return fail("Invalid number");
  out = *v;
  cursor.next();
  return true;
}

bool Parser::nz_number(std::uint32_t& out) {
  const Token* t = cursor.peek();
  if (!t || t->kind != TokenKind::kAtom) return fail("Expected number");
  auto v = parse_nz_number(t->text);
  if (!v) return fail("Invalid number");
  out = *v;
  cursor.next();
  return true;
}

bool Parser::mod_sequence(std::uint64_t& out, bool allow_zero) {
  const Token* t = cursor.peek();
  if (!t || t->kind != TokenKind::kAtom) return fail("Expected mod-sequence");
  auto v = parse_mod_sequence(t->text, allow_zero);
  if (!v) return fail("Invalid mod-sequence");
  out = *v;
  cursor.next();
  return true;
}

bool Parser::sequence_set(SequenceSet& out, bool allow_saved) {
  const Token* t = cursor.peek();
  if (!t || t->kind != TokenKind::kAtom) return fail("Expected sequence set");
  auto v = parse_sequence_set(t->text, context.limits, allow_saved);
  if (!v) return fail("Invalid sequence set");
  out = std::move(*v);
  cursor.next();
  return true;
}

}  // namespace detail

std::variant<Command, Invalid> parse_command(const RawCommand& raw, const ParseContext& context) {
  detail::Parser p{TokenCursor(raw.args), context, {}};
  Command cmd;
  cmd.tag = raw.tag;
  bool known = false;
  bool ok = detail::parse_session_command(raw.name, p, cmd.body, known);
  if (!known) ok = detail::parse_mailbox_command(raw.name, p, cmd.body, known);
  if (!known) {
    bool uid = false;
    std::string name = raw.name;
    if (name == "UID") {
      std::string sub;
      if (!p.atom(sub)) return Invalid{Reply{raw.tag, Status::kBad, "", "Missing UID command"}, false};
      name = ascii::upper(sub);
      uid = true;
    }
    ok = detail::parse_message_command(name, uid, p, cmd.body, known);
  }
  if (!known) return Invalid{Reply{raw.tag, Status::kBad, "", "Unknown command"}, false};
  if (!ok) return Invalid{Reply{raw.tag, Status::kBad, "", p.error.empty() ? "Syntax error" : p.error}, false};
  return cmd;
}

}  // namespace taube::imap::wire
