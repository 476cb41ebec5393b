// Commands without a mailbox or message argument: any-state and
// not-authenticated commands (RFC 9051 6.1, 6.2), ENABLE, ID, IDLE, NAMESPACE,
// COMPRESS, QUOTA, and the argument-less selected-state commands.
#include "base/ascii.hpp"
#include "imap/wire/parse_internal.hpp"

namespace taube::imap::wire::detail {
namespace {

bool parse_authenticate(Parser& p, Authenticate& out) {
  // RFC 9051 6.2.2: "AUTHENTICATE" SP auth-type [SP (base64 / "=")]  (RFC 4959)
  if (!p.atom(out.mechanism)) return false;
  out.mechanism = ascii::upper(out.mechanism);
  if (p.at_end()) return true;
  const Token* t = p.cursor.next();
  if (!t->is_atom()) return p.fail("Invalid initial response");
  for (char c : t->text)
    if (!ascii::is_alpha(c) && !ascii::is_digit(c) && c != '+' && c != '/' && c != '=')
      return p.fail("Invalid initial response");
  out.initial_response = t->text;
  return p.expect_end();
}

bool parse_id(Parser& p, Id& out) {
  // RFC 2971 3.3: "ID" SP ( "(" #(string SP nstring) ")" / nil ), at most 30 pairs.
  if (p.cursor.take_atom("NIL")) return p.expect_end();
  if (!p.expect(TokenKind::kListOpen, "ID parameter list")) return false;
  out.params.emplace();
  while (!p.cursor.take(TokenKind::kListClose)) {
    std::string key;
    std::optional<std::string> value;
    if (!p.string(key) || !p.nstring(value)) return false;
    if (key.size() > 30 || (value && value->size() > 1024)) return p.fail("ID field too long");
    if (out.params->size() >= 30) return p.fail("Too many ID fields");
    out.params->emplace_back(std::move(key), std::move(value));
  }
  return p.expect_end();
}

template <class T>
bool no_arguments(Parser& p, CommandBody& out) {
  out = T{};
  return p.expect_end();
}

}  // namespace

bool parse_session_command(const std::string& name, Parser& p, CommandBody& out, bool& known) {
  known = true;
  if (name == "CAPABILITY") return no_arguments<Capability>(p, out);
  if (name == "NOOP") return no_arguments<Noop>(p, out);
  if (name == "LOGOUT") return no_arguments<Logout>(p, out);
  if (name == "STARTTLS") return no_arguments<StartTls>(p, out);
  if (name == "IDLE") return no_arguments<Idle>(p, out);
  if (name == "CHECK") return no_arguments<Check>(p, out);
  if (name == "CLOSE") return no_arguments<Close>(p, out);
  if (name == "UNSELECT") return no_arguments<Unselect>(p, out);
  if (name == "NAMESPACE") return no_arguments<Namespace>(p, out);
  if (name == "AUTHENTICATE") {
    Authenticate a;
    const bool ok = parse_authenticate(p, a);
    out = std::move(a);
    return ok;
  }
  if (name == "LOGIN") {
    Login l;
    const bool ok = p.astring(l.user) && p.astring(l.password) && p.expect_end();
    out = std::move(l);
    return ok;
  }
  if (name == "ENABLE") {
    // RFC 5161 / RFC 9051 6.3.1: "ENABLE" 1*(SP capability)
    Enable e;
    if (p.at_end()) return p.fail("Missing capability");
    while (!p.at_end()) {
      std::string cap;
      if (!p.atom(cap)) return false;
      e.capabilities.push_back(ascii::upper(cap));
    }
    out = std::move(e);
    return true;
  }
  if (name == "ID") {
    Id id;
    const bool ok = parse_id(p, id);
    out = std::move(id);
    return ok;
  }
  if (name == "COMPRESS") {
    // RFC 4978 3: "COMPRESS" SP algorithm
    Compress c;
    const bool ok = p.atom(c.mechanism) && p.expect_end();
    c.mechanism = ascii::upper(c.mechanism);
    out = std::move(c);
    return ok;
  }
  if (name == "GETQUOTA") {
    // RFC 9208 4.2: "GETQUOTA" SP quota-root-name (astring)
    GetQuota q;
    const bool ok = p.astring(q.root) && p.expect_end();
    out = std::move(q);
    return ok;
  }
  if (name == "GETQUOTAROOT") {
    GetQuotaRoot q;
    const bool ok = p.mailbox(q.mailbox) && p.expect_end();
    out = std::move(q);
    return ok;
  }
  known = false;
  return false;
}

}  // namespace taube::imap::wire::detail
