// Tokens of an IMAP command line and the character classes of RFC 9051 9 /
// RFC 3501 9 (ATOM-CHAR, ASTRING-CHAR, quoted-specials). The Receiver turns
// untrusted bytes into Tokens; the command parsers then read typed values
// from a TokenCursor. Value types; pure functions; no shared state.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace taube::imap::wire {

enum class TokenKind {
  kAtom,       // ATOM-CHARs plus "\" "]" "*" "%" and a bracketed section (see lex_command)
  kQuoted,     // quoted string, escapes resolved
  kLiteral,    // {n} / {n+} literal, contents verbatim
  kLiteral8,   // ~{n} literal8 (RFC 3516), may contain NUL
  kListOpen,   // "("
  kListClose,  // ")"
};

struct Token {
  TokenKind kind = TokenKind::kAtom;
  std::string text;

  bool is_string() const { return kind == TokenKind::kQuoted || kind == TokenKind::kLiteral; }
  bool is_atom() const { return kind == TokenKind::kAtom; }
  friend bool operator==(const Token&, const Token&) = default;
};

// RFC 9051 9: ATOM-CHAR = any CHAR except atom-specials
// ("(" ")" "{" SP CTL list-wildcards quoted-specials resp-specials).
bool is_atom_char(char c);
// ASTRING-CHAR = ATOM-CHAR / resp-specials ("]").
bool is_astring_char(char c);
// TEXT-CHAR minus quoted-specials: what may appear unescaped in a quoted string.
bool is_quoted_char(char c);
// A well-formed UTF-8 sequence (no overlongs, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::string_view s);
bool has_8bit(std::string_view s);

// Reads typed pieces off a token vector; every accessor returns false/nullptr
// at the end or on a kind mismatch without consuming.
class TokenCursor {
 public:
  explicit TokenCursor(const std::vector<Token>& tokens, std::size_t pos = 0)
      : tokens_(&tokens), pos_(pos) {}
  bool at_end() const { return pos_ >= tokens_->size(); }
  const Token* peek() const { return at_end() ? nullptr : &(*tokens_)[pos_]; }
  const Token* next() { return at_end() ? nullptr : &(*tokens_)[pos_++]; }
  // The next token is an atom equal (ASCII case-insensitively) to `word`.
  bool peek_atom(std::string_view word) const;
  bool take_atom(std::string_view word);
  bool take(TokenKind kind);
  bool peek_kind(TokenKind kind) const { return peek() && peek()->kind == kind; }
  std::size_t position() const { return pos_; }

 private:
  const std::vector<Token>* tokens_;
  std::size_t pos_;
};

}  // namespace taube::imap::wire
