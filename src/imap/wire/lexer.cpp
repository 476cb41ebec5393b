// lex_command: the context-free tokenizer behind Receiver (see receiver.hpp).
#include <cstddef>

#include "imap/wire/receiver.hpp"

namespace taube::imap::wire {
namespace {

// Characters that may appear in an atom token. Strict ATOM-CHAR checks are the
// parsers' business; the lexer also lets through "\" (flags), "]", "*", "%"
// (list wildcards, "\*"), and "[" which opens a section (see below).
bool is_lex_atom_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u < 0x7f && c != '(' && c != ')' && c != '{' && c != '"';
}

class Lexer {
 public:
  Lexer(const Limits& limits, std::vector<Token>& out, std::string& error)
      : limits_(limits), out_(out), error_(error) {}

  bool segment(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
      const char c = s[i];
      if (c == ' ') {
        need_separator_ = false;
        ++i;
        continue;
      }
      if (c == ')') {
        if (depth_ == 0) return fail("Unbalanced parenthesis");
        --depth_;
        if (!push(TokenKind::kListClose, {})) return false;
        need_separator_ = true;
        ++i;
        continue;
      }
      if (c != '(' && c != '"' && !is_lex_atom_char(c)) return fail("Invalid character");
      if (need_separator_) return fail("Missing space between arguments");
      if (c == '(') {
        if (++depth_ > limits_.max_depth) return fail("Too deeply nested");
        if (!push(TokenKind::kListOpen, {})) return false;
        ++i;
        continue;
      }
      if (c == '"') {
        if (!quoted(s, i)) return false;
      } else if (!atom(s, i)) {
        return false;
      }
      need_separator_ = true;
    }
    return true;
  }

  bool literal(const LexedLiteral& lit) {
    if (need_separator_) return fail("Missing space before literal");
    // RFC 9051 9: a literal is *CHAR8 (no NUL); only literal8 may carry NUL (RFC 3516).
    if (!lit.binary && lit.data.find('\0') != std::string::npos) return fail("NUL in literal");
    if (!push(lit.binary ? TokenKind::kLiteral8 : TokenKind::kLiteral, lit.data)) return false;
    need_separator_ = true;
    return true;
  }

  bool finish() {
    if (depth_ != 0) return fail("Unbalanced parenthesis");
    return true;
  }

 private:
  bool fail(std::string message) {
    error_ = std::move(message);
    return false;
  }
  bool push(TokenKind kind, std::string text) {
    if (out_.size() >= limits_.max_tokens) return fail("Too many arguments");
    out_.push_back(Token{kind, std::move(text)});
    return true;
  }

  // RFC 9051 9: quoted = DQUOTE *QUOTED-CHAR DQUOTE; "\" escapes only quoted-specials.
  // 8-bit octets are accepted when they form UTF-8 (IMAP4rev2, RFC 6855).
  bool quoted(std::string_view s, std::size_t& i) {
    std::string text;
    ++i;
    while (true) {
      if (i >= s.size()) return fail("Unterminated quoted string");
      const char c = s[i];
      if (c == '"') break;
      if (c == '\\') {
        if (i + 1 >= s.size() || (s[i + 1] != '"' && s[i + 1] != '\\')) return fail("Invalid escape in quoted string");
        text += s[i + 1];
        i += 2;
        continue;
      }
      if (c == '\0' || c == '\r' || c == '\n') return fail("Invalid character in quoted string");
      text += c;
      ++i;
    }
    ++i;
    if (has_8bit(text) && !is_valid_utf8(text)) return fail("Invalid UTF-8 in quoted string");
    return push(TokenKind::kQuoted, std::move(text));
  }

  // An atom. "[" opens a section (BODY[HEADER.FIELDS (From "To")]<0.10>) in
  // which SP, parentheses and quoted strings belong to the atom, up to "]".
  // Literals inside a section are not supported.
  bool atom(std::string_view s, std::size_t& i) {
    const std::size_t begin = i;
    bool in_section = false;
    while (i < s.size()) {
      const char c = s[i];
      if (in_section) {
        if (c == ']') {
          in_section = false;
        } else if (c == '"') {
          ++i;
          while (i < s.size() && s[i] != '"') {
            if (s[i] == '\\') ++i;
            ++i;
          }
          if (i >= s.size()) return fail("Unterminated quoted string");
        } else if (c != ' ' && c != '(' && c != ')' && !is_lex_atom_char(c)) {
          return fail("Invalid character in section");
        }
        ++i;
        continue;
      }
      if (!is_lex_atom_char(c)) break;
      if (c == '[') in_section = true;
      ++i;
    }
    if (in_section) return fail("Unterminated section");
    return push(TokenKind::kAtom, std::string(s.substr(begin, i - begin)));
  }

  const Limits& limits_;
  std::vector<Token>& out_;
  std::string& error_;
  std::size_t depth_ = 0;
  bool need_separator_ = false;
};

}  // namespace

bool lex_command(const std::vector<std::string>& segments, const std::vector<LexedLiteral>& literals,
                 const Limits& limits, std::vector<Token>& out, std::string& error) {
  Lexer lexer(limits, out, error);
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (!lexer.segment(segments[i])) return false;
    if (i < literals.size() && !lexer.literal(literals[i])) return false;
  }
  return lexer.finish();
}

}  // namespace taube::imap::wire
