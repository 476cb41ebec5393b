#include "mime/address.hpp"

#include "base/ascii.hpp"
#include "mime/encoded_word.hpp"

namespace taube::mime {
namespace {

struct Token {
  enum class Kind { kAtom, kQuoted, kComment, kLiteral, kSpecial };
  Kind kind;
  std::string text;  // unquoted text, comment text, or the special character
  bool space_before = false;
};

bool is_special(char c) { return std::string_view("<>@,;:.[]").find(c) != std::string_view::npos; }

// Reads a quoted string or comment body starting after the opening delimiter.
std::size_t read_delimited(std::string_view s, std::size_t i, char open, char close,
                           std::string& out) {
  int depth = 1;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\' && i + 1 < s.size()) {
      out += s[++i];
      continue;
    }
    if (c == close && --depth == 0) return i + 1;
    if (open != close && c == open) ++depth;
    if (c != '\r' && c != '\n') out += c;
  }
  return i;
}

std::vector<Token> tokenize(std::string_view s) {
  std::vector<Token> toks;
  bool space = false;
  std::size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (ascii::is_space(c) || c == '\r' || c == '\n') {
      space = true;
      ++i;
      continue;
    }
    Token t{Token::Kind::kAtom, {}, space};
    space = false;
    if (c == '"') {
      t.kind = Token::Kind::kQuoted;
      i = read_delimited(s, i + 1, '"', '"', t.text);
    } else if (c == '(') {
      t.kind = Token::Kind::kComment;
      i = read_delimited(s, i + 1, '(', ')', t.text);
    } else if (c == '[') {
      // Domain literal, kept with its brackets.
      t.kind = Token::Kind::kLiteral;
      std::size_t end = s.find(']', i);
      end = end == std::string_view::npos ? s.size() : end + 1;
      t.text = std::string(s.substr(i, end - i));
      i = end;
    } else if (is_special(c)) {
      t.kind = Token::Kind::kSpecial;
      t.text = std::string(1, c);
      ++i;
    } else {
      std::size_t b = i;
      while (i < s.size() && !ascii::is_space(s[i]) && s[i] != '\r' && s[i] != '\n' &&
             s[i] != '"' && s[i] != '(' && !is_special(s[i]))
        ++i;
      if (i == b) ++i;  // a lone ')' and the like
      t.text = std::string(s.substr(b, i - b));
    }
    toks.push_back(std::move(t));
  }
  return toks;
}

bool is_special(const Token* t, char c) {
  return t->kind == Token::Kind::kSpecial && t->text[0] == c;
}

using Span = std::vector<const Token*>;

// Display phrase: words joined by single blanks, comments ignored (obs-phrase
// allows '.').
std::optional<std::string> phrase(const Span& toks) {
  std::string out;
  for (const Token* t : toks) {
    if (t->kind == Token::Kind::kComment) continue;
    if (!out.empty() && t->space_before) out += ' ';
    out += t->text;
  }
  std::string_view trimmed = ascii::trim(out);
  if (trimmed.empty()) return std::nullopt;
  return std::string(trimmed);
}

// Concatenation without blanks (local parts and domains drop CFWS, RFC 5322 4.4).
std::string joined(const Span& toks, bool keep_spaces) {
  std::string out;
  for (const Token* t : toks) {
    if (t->kind == Token::Kind::kComment) continue;
    if (keep_spaces && !out.empty() && t->space_before) out += ' ';
    out += t->text;
  }
  return out;
}

void parse_addr_spec(const Span& toks, Address& a) {
  std::size_t at = toks.size();
  for (std::size_t k = toks.size(); k-- > 0;) {
    if (is_special(toks[k], '@')) {
      at = k;
      break;
    }
  }
  if (at == toks.size()) {
    std::string local = joined(toks, true);
    if (!local.empty()) a.mailbox = std::move(local);
    return;
  }
  Span local(toks.begin(), toks.begin() + std::ptrdiff_t(at));
  Span domain(toks.begin() + std::ptrdiff_t(at) + 1, toks.end());
  std::string l = joined(local, false);
  std::string d = joined(domain, false);
  if (!l.empty()) a.mailbox = std::move(l);
  if (!d.empty()) a.host = std::move(d);
}

std::optional<Address> parse_mailbox(const Span& item) {
  if (item.empty()) return std::nullopt;
  Address a;
  std::size_t lt = item.size();
  for (std::size_t k = 0; k < item.size(); ++k) {
    if (is_special(item[k], '<')) {
      lt = k;
      break;
    }
  }
  if (lt < item.size()) {
    a.name = phrase(Span(item.begin(), item.begin() + std::ptrdiff_t(lt)));
    Span inner;
    for (std::size_t k = lt + 1; k < item.size() && !is_special(item[k], '>'); ++k)
      inner.push_back(item[k]);
    // obs-route: "@a,@b:" before the addr-spec.
    if (!inner.empty() && is_special(inner.front(), '@')) {
      for (std::size_t k = 0; k < inner.size(); ++k) {
        if (is_special(inner[k], ':')) {
          std::string route = joined(Span(inner.begin(), inner.begin() + std::ptrdiff_t(k)), false);
          if (!route.empty()) a.route = std::move(route);
          inner.erase(inner.begin(), inner.begin() + std::ptrdiff_t(k) + 1);
          break;
        }
      }
    }
    parse_addr_spec(inner, a);
    if (!a.mailbox && !a.host && !a.name) a.mailbox = "";
    return a;
  }
  parse_addr_spec(item, a);
  // "local@host (Name)": the comment is the only name there is.
  for (const Token* t : item) {
    if (t->kind == Token::Kind::kComment) {
      std::string_view c = ascii::trim(t->text);
      if (!c.empty()) a.name = std::string(c);
    }
  }
  if (!a.mailbox && !a.host) return std::nullopt;
  return a;
}

}  // namespace

std::vector<Address> parse_address_list(std::string_view value) {
  std::vector<Token> toks = tokenize(value);
  std::vector<Address> out;
  Span item;
  bool in_group = false;
  int angle = 0;
  auto flush = [&] {
    if (std::optional<Address> a = parse_mailbox(item)) out.push_back(std::move(*a));
    item.clear();
  };
  for (const Token& t : toks) {
    if (is_special(&t, '<')) {
      ++angle;
    } else if (is_special(&t, '>')) {
      if (angle > 0) --angle;
    } else if (angle == 0 && is_special(&t, ':') && !in_group) {
      Address start;
      start.kind = Address::Kind::kGroupStart;
      start.mailbox = phrase(item).value_or("");
      out.push_back(std::move(start));
      item.clear();
      in_group = true;
      continue;
    } else if (angle == 0 && is_special(&t, ';') && in_group) {
      flush();
      out.push_back(Address{Address::Kind::kGroupEnd});
      in_group = false;
      continue;
    } else if (angle == 0 && is_special(&t, ',')) {
      flush();
      continue;
    } else if (angle == 0 && is_special(&t, ';')) {
      flush();
      continue;
    }
    item.push_back(&t);
  }
  flush();
  if (in_group) out.push_back(Address{Address::Kind::kGroupEnd});
  return out;
}

std::string display_addresses(const std::vector<Address>& list) {
  std::string out;
  for (const Address& a : list) {
    if (a.kind != Address::Kind::kMailbox) continue;
    if (!out.empty()) out += ", ";
    std::string spec = a.mailbox.value_or("");
    if (a.host) spec += "@" + *a.host;
    if (a.name) {
      out += decode_encoded_words(*a.name);
      out += " <" + spec + ">";
    } else {
      out += spec;
    }
  }
  return out;
}

}  // namespace taube::mime
