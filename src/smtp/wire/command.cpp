#include "smtp/wire/command.hpp"

#include <array>
#include <utility>

#include "base/ascii.hpp"

namespace taube::smtp::wire {
namespace {

constexpr std::array<std::pair<std::string_view, Verb>, 15> kVerbs = {{
    {"HELO", Verb::kHelo},
    {"EHLO", Verb::kEhlo},
    {"LHLO", Verb::kLhlo},
    {"MAIL", Verb::kMail},
    {"RCPT", Verb::kRcpt},
    {"DATA", Verb::kData},
    {"BDAT", Verb::kBdat},
    {"RSET", Verb::kRset},
    {"NOOP", Verb::kNoop},
    {"QUIT", Verb::kQuit},
    {"HELP", Verb::kHelp},
    {"VRFY", Verb::kVrfy},
    {"EXPN", Verb::kExpn},
    {"STARTTLS", Verb::kStarttls},
    {"AUTH", Verb::kAuth},
}};

Invalid invalid(int code, std::string_view enhanced, std::string_view text) {
  return Invalid{make_reply(code, enhanced, text)};
}

bool has_8bit(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  return false;
}

bool has_control(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 && c != '\t') return true;
    if (u == 0x7f) return true;
  }
  return false;
}

std::string_view trim_right_spaces(std::string_view s, bool& trimmed) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
    trimmed = true;
  }
  return s;
}

ParsedCommand parse_hello(Command cmd, std::string_view args, bool had_space) {
  if (!had_space || args.empty()) {
    return invalid(501, "5.5.4", "Syntax: " + std::string(to_string(cmd.verb)) + " hostname");
  }
  if (has_8bit(args)) return invalid(501, "5.5.4", "Non-ASCII octets in hostname");
  cmd.argument = std::string(args);
  cmd.argument_is_valid_domain =
      args.front() == '[' ? is_valid_address_literal(args) : is_valid_domain(args, false);
  return cmd;
}

// "FROM:" / "TO:", then (tolerated) spaces, then the path and its parameters.
ParsedCommand parse_mail_or_rcpt(Command cmd, std::string_view args, bool had_space,
                                 const ParseContext& ctx) {
  const bool mail = cmd.verb == Verb::kMail;
  const std::string_view keyword = mail ? "FROM:" : "TO:";
  const Invalid usage = mail ? invalid(501, "5.5.4", "Syntax: MAIL FROM:<address>")
                             : invalid(501, "5.5.4", "Syntax: RCPT TO:<address>");
  const std::string_view bad_address_code = mail ? "5.1.7" : "5.1.3";
  if (!had_space || !ascii::istarts_with(args, keyword)) return usage;
  args.remove_prefix(keyword.size());
  while (!args.empty() && args.front() == ' ') {
    args.remove_prefix(1);
    cmd.tolerated.space_after_colon = true;
  }
  if (args.empty()) return usage;

  PathResult pr = parse_path(args, mail ? PathKind::kReverse : PathKind::kForward);
  switch (pr.error) {
    case PathError::kNone:
      break;
    case PathError::kTooLong:
      return invalid(501, bad_address_code, "Path too long");
    case PathError::kBadUtf8:
      return invalid(553, "5.6.7", "Malformed UTF-8 in address");
    case PathError::kSyntax:
      if (has_8bit(args) && !(mail || ctx.smtputf8_transaction))
        return invalid(553, "5.6.7", "Non-ASCII address requires SMTPUTF8");
      return invalid(501, bad_address_code,
                     mail ? "Bad sender address syntax" : "Bad recipient address syntax");
  }
  cmd.path = std::move(pr.path);
  cmd.tolerated.missing_brackets = !cmd.path.had_angle_brackets;
  std::string_view rest = args.substr(pr.consumed);
  if (!rest.empty() && rest.front() != ' ') return usage;

  bool smtputf8 = ctx.smtputf8_transaction;
  if (mail) {
    auto params = parse_mail_params(rest);
    if (!params.params) return Invalid{std::move(params.error)};
    cmd.mail_params = std::move(*params.params);
    smtputf8 = cmd.mail_params.smtputf8;
  } else {
    auto params = parse_rcpt_params(rest);
    if (!params.params) return Invalid{std::move(params.error)};
    cmd.rcpt_params = std::move(*params.params);
  }
  // RFC 6531 3.5: 553 and X.6.7 "Non-ASCII addresses not permitted".
  if (cmd.path.mailbox.has_utf8 && !smtputf8)
    return invalid(553, "5.6.7", "Non-ASCII address requires SMTPUTF8");
  return cmd;
}

ParsedCommand parse_bdat(Command cmd, std::string_view args, bool had_space) {
  const Invalid usage = invalid(501, "5.5.4", "Syntax: BDAT size [LAST]");
  if (!had_space) return usage;
  const std::size_t sp = args.find(' ');
  const std::string_view size = args.substr(0, sp);
  if (size.empty() || size.size() > 20) return usage;
  std::uint64_t n = 0;
  for (char c : size) {
    if (!ascii::is_digit(c)) return usage;
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (n > (UINT64_MAX - d) / 10) return usage;
    n = n * 10 + d;
  }
  cmd.bdat_size = n;
  if (sp != std::string_view::npos) {
    if (!ascii::iequals(args.substr(sp + 1), "LAST")) return usage;
    cmd.bdat_last = true;
  }
  return cmd;
}

// RFC 4954 4: "AUTH" SP sasl-mech [SP initial-response];
// sasl-mech = 1*20 (UPPER-ALPHA / DIGIT / "-" / "_"), initial-response = base64 / "=".
ParsedCommand parse_auth(Command cmd, std::string_view args, bool had_space) {
  const Invalid usage = invalid(501, "5.5.4", "Syntax: AUTH mechanism [initial-response]");
  if (!had_space || args.empty()) return usage;
  const std::size_t sp = args.find(' ');
  const std::string_view mech = args.substr(0, sp);
  if (mech.empty() || mech.size() > 20) return usage;
  for (char c : mech)
    if (!ascii::is_alpha(c) && !ascii::is_digit(c) && c != '-' && c != '_') return usage;
  cmd.auth_mechanism = ascii::upper(mech);
  if (sp != std::string_view::npos) {
    const std::string_view ir = args.substr(sp + 1);
    if (ir.empty() || ir.find(' ') != std::string_view::npos) return usage;
    for (char c : ir)
      if (!ascii::is_alpha(c) && !ascii::is_digit(c) && c != '+' && c != '/' && c != '=')
        return usage;
    cmd.auth_initial_response = std::string(ir);
  }
  return cmd;
}

// VRFY/EXPN String [SP "SMTPUTF8"] (RFC 5321 4.1.1.6-7, RFC 6531 3.7.4).
ParsedCommand parse_vrfy_or_expn(Command cmd, std::string_view args, bool had_space) {
  if (!had_space || args.empty())
    return invalid(501, "5.5.4", "Syntax: " + std::string(to_string(cmd.verb)) + " address");
  const std::size_t sp = args.rfind(' ');
  if (sp != std::string_view::npos && ascii::iequals(args.substr(sp + 1), "SMTPUTF8")) {
    cmd.smtputf8 = true;
    args = args.substr(0, sp);
    bool ignored = false;
    args = trim_right_spaces(args, ignored);
  }
  if (has_8bit(args)) {
    if (!cmd.smtputf8) return invalid(553, "5.6.7", "Non-ASCII argument requires SMTPUTF8");
    if (!is_valid_utf8(args)) return invalid(553, "5.6.7", "Malformed UTF-8 in argument");
  }
  cmd.argument = std::string(args);
  return cmd;
}

}  // namespace

std::string_view to_string(Verb verb) {
  for (const auto& [name, v] : kVerbs)
    if (v == verb) return name;
  return "?";
}

ParsedCommand parse_command(std::string_view line, const ParseContext& context) {
  Command cmd;
  line = trim_right_spaces(line, cmd.tolerated.trailing_space);
  if (line.empty()) return invalid(500, "5.5.2", "Empty command");
  if (has_control(line)) return invalid(500, "5.5.2", "Control characters in command");

  const std::size_t sp = line.find(' ');
  const std::string_view verb = line.substr(0, sp);
  const bool had_space = sp != std::string_view::npos;
  std::string_view args = had_space ? line.substr(sp + 1) : std::string_view{};

  bool known = false;
  for (const auto& [name, v] : kVerbs) {
    if (ascii::iequals(verb, name)) {
      cmd.verb = v;
      known = true;
      break;
    }
  }
  if (!known) {
    if (has_8bit(verb)) return invalid(500, "5.5.2", "Non-ASCII octets in command");
    return invalid(500, "5.5.1", "Unknown command");
  }

  switch (cmd.verb) {
    case Verb::kHelo:
    case Verb::kEhlo:
    case Verb::kLhlo:
      return parse_hello(std::move(cmd), args, had_space);
    case Verb::kMail:
    case Verb::kRcpt:
      return parse_mail_or_rcpt(std::move(cmd), args, had_space, context);
    case Verb::kBdat:
      return parse_bdat(std::move(cmd), args, had_space);
    case Verb::kAuth:
      return parse_auth(std::move(cmd), args, had_space);
    case Verb::kVrfy:
    case Verb::kExpn:
      return parse_vrfy_or_expn(std::move(cmd), args, had_space);
    case Verb::kNoop:
    case Verb::kHelp:
      // RFC 5321 4.1.1.8/4.1.1.9: the string is ignored; any ASCII is fine.
      if (has_8bit(args)) return invalid(500, "5.5.2", "Non-ASCII octets in command");
      cmd.argument = std::string(args);
      return cmd;
    case Verb::kData:
    case Verb::kRset:
    case Verb::kQuit:
    case Verb::kStarttls:
      if (had_space) return invalid(501, "5.5.4", "Syntax: " + std::string(to_string(cmd.verb)));
      return cmd;
  }
  return invalid(500, "5.5.1", "Unknown command");
}

}  // namespace taube::smtp::wire
