// Internal to imap_wire: the shared readers of the command parsers
// (astring, mailbox, flags, numbers) over a TokenCursor. Each returns false
// with a BAD text in Parser::error on malformed input. Not a public header.
#pragma once

#include <string>
#include <vector>

#include "imap/wire/command.hpp"
#include "imap/wire/parser.hpp"
#include "imap/wire/tokens.hpp"

namespace taube::imap::wire::detail {

struct Parser {
  TokenCursor cursor;
  const ParseContext& context;
  std::string error;

  bool fail(std::string message) {
    if (error.empty()) error = std::move(message);
    return false;
  }
  bool at_end() const { return cursor.at_end(); }
  bool expect_end() { return cursor.at_end() || fail("Unexpected extra arguments"); }
  bool expect(TokenKind kind, const char* what) { return cursor.take(kind) || fail(std::string("Expected ") + what); }

  // atom: strict ATOM-CHARs.
  bool atom(std::string& out);
  // astring = 1*ASTRING-CHAR / string.
  bool astring(std::string& out);
  // string = quoted / literal.
  bool string(std::string& out);
  // nstring = string / NIL.
  bool nstring(std::optional<std::string>& out);
  // mailbox: astring, decoded per context, INBOX canonicalised.
  bool mailbox(MailboxName& out);
  // list-mailbox: 1*list-char / string (wildcards allowed), decoded like a mailbox.
  bool list_mailbox(std::string& out);
  // A client flag (no "\*", no "\Recent"); `allow_recent` for SEARCH-style uses.
  bool flag(Flag& out);
  bool flag_list(std::vector<Flag>& out);
  bool number(std::uint32_t& out);
  bool nz_number(std::uint32_t& out);
  bool mod_sequence(std::uint64_t& out, bool allow_zero);
  bool sequence_set(SequenceSet& out, bool allow_saved = true);
};

// Decodes a mailbox name per the context and canonicalises INBOX.
bool decode_mailbox_name(const std::string& wire, const ParseContext& context, std::string& out);

bool parse_session_command(const std::string& name, Parser& p, CommandBody& out, bool& known);
bool parse_mailbox_command(const std::string& name, Parser& p, CommandBody& out, bool& known);
bool parse_message_command(const std::string& name, bool uid, Parser& p, CommandBody& out, bool& known);

}  // namespace taube::imap::wire::detail
