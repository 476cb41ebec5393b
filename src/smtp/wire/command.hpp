// SMTP/LMTP command-line grammar (RFC 5321 4.1.1, 4.1.2; RFC 2033 LHLO;
// RFC 3030 BDAT; RFC 3207 STARTTLS; RFC 4954 AUTH). Turns one line (without
// its CRLF) into a Command or the exact reply for its syntax error. Parses
// untrusted input before authentication. Pure; which verbs are allowed in which
// state (and HELO/EHLO versus LHLO for LMTP) is the session's decision.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "smtp/wire/params.hpp"
#include "smtp/wire/path.hpp"
#include "smtp/wire/reply.hpp"

namespace taube::smtp::wire {

enum class Verb {
  kHelo,
  kEhlo,
  kLhlo,
  kMail,
  kRcpt,
  kData,
  kBdat,
  kRset,
  kNoop,
  kQuit,
  kHelp,
  kVrfy,
  kExpn,
  kStarttls,
  kAuth,
};

std::string_view to_string(Verb verb);

// Client deviations that are accepted (as most servers do) but reported, so a
// strict session can refuse them.
struct Tolerated {
  bool space_after_colon = false;  // "MAIL FROM: <a@b>"
  bool missing_brackets = false;   // "MAIL FROM:a@b"
  bool trailing_space = false;     // "DATA  ", "RCPT TO:<a@b> "
  bool bare_lf = false;            // line ended in LF, not CRLF (set by the receiver)
  friend bool operator==(const Tolerated&, const Tolerated&) = default;
};

struct Command {
  Verb verb = Verb::kNoop;
  // HELO/EHLO/LHLO: the domain or address literal; NOOP/HELP/VRFY/EXPN: the
  // string argument (may be empty for NOOP/HELP).
  std::string argument;
  bool argument_is_valid_domain = false;             // HELO/EHLO/LHLO: Domain / address-literal
  Path path;                                         // MAIL, RCPT
  MailParams mail_params;                            // MAIL
  RcptParams rcpt_params;                            // RCPT
  std::uint64_t bdat_size = 0;                       // BDAT
  bool bdat_last = false;                            // BDAT ... LAST
  std::string auth_mechanism;                        // AUTH, upper-cased
  std::optional<std::string> auth_initial_response;  // AUTH, still base64 ("=" = empty)
  bool smtputf8 = false;                             // VRFY/EXPN ... SMTPUTF8 (RFC 6531 3.7.4)
  Tolerated tolerated;
};

struct Invalid {
  Reply reply;
};

struct ParseContext {
  // True once MAIL FROM carried SMTPUTF8 in this transaction (RFC 6531 3.4):
  // then RCPT paths may contain UTF-8. MAIL itself needs its own parameter.
  bool smtputf8_transaction = false;
};

using ParsedCommand = std::variant<Command, Invalid>;

// `line` excludes the line terminator. Verbs are case-insensitive.
// Errors: 500 5.5.1 unknown verb, 500 5.5.2 empty or non-ASCII verb,
// 501 5.5.4 "Syntax: ..." for wrong arguments, 501 5.1.7/5.1.3 for a bad
// sender/recipient address, 553 5.6.7 for a UTF-8 address without SMTPUTF8,
// 555 5.5.4 for an unknown MAIL/RCPT parameter.
ParsedCommand parse_command(std::string_view line, const ParseContext& context = {});

}  // namespace taube::smtp::wire
