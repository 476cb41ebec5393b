#include "smtp/server/core.hpp"

#include "smtp/wire/reply.hpp"

namespace taube::smtp::server {

using wire::Verb;

namespace {

constexpr unsigned bit(State s) { return 1u << static_cast<unsigned>(s); }
constexpr unsigned kAny = bit(State::kInit) | bit(State::kReady) | bit(State::kMail) |
                          bit(State::kRcpt) | bit(State::kBdat);
constexpr unsigned kNoBdat = kAny & ~bit(State::kBdat);
constexpr unsigned kGreeted = bit(State::kReady) | bit(State::kMail) | bit(State::kRcpt);

}  // namespace

// Which state allows which verb. A verb outside its states gets 503 5.5.1 (RFC 5321
// 4.1.4); during BDAT only BDAT, RSET, QUIT and NOOP make sense (RFC 3030 2).
const SessionCore::CommandSpec SessionCore::kCommands[] = {
    {Verb::kHelo, kNoBdat, &SessionCore::on_helo},
    {Verb::kEhlo, kNoBdat, &SessionCore::on_ehlo},
    {Verb::kLhlo, kNoBdat, &SessionCore::on_ehlo},
    {Verb::kMail, kGreeted, &SessionCore::on_mail},
    {Verb::kRcpt, kGreeted, &SessionCore::on_rcpt},
    {Verb::kData, kGreeted, &SessionCore::on_data},
    {Verb::kBdat, kAny, &SessionCore::on_bdat},
    {Verb::kRset, kAny, &SessionCore::on_rset},
    {Verb::kNoop, kAny, &SessionCore::on_noop},
    {Verb::kQuit, kAny, &SessionCore::on_quit},
    {Verb::kHelp, kNoBdat, &SessionCore::on_help},
    {Verb::kVrfy, kNoBdat, &SessionCore::on_vrfy},
    {Verb::kExpn, kNoBdat, &SessionCore::on_expn},
    {Verb::kStarttls, bit(State::kReady), &SessionCore::on_starttls},
    {Verb::kAuth, bit(State::kReady), &SessionCore::on_auth},
};

SessionCore::SessionCore(const CoreOptions& options, Connection connection)
    : options_(options), connection_(std::move(connection)), receiver_(options.limits) {
  reply(220, {}, options_.hostname + (is_lmtp() ? " LMTP" : " ESMTP") + " Taube ready");
}

std::size_t SessionCore::feed(std::string_view input, std::chrono::system_clock::time_point now) {
  now_ = now;
  std::size_t used = 0;
  while (need_ == Need::kInput && used < input.size()) {
    const std::string_view rest = input.substr(used);
    std::size_t consumed = 0;
    switch (input_) {
      case Input::kCommand: {
        const wire::ParseContext context{.smtputf8_transaction = tx_.params.smtputf8};
        wire::ReceiveStep step = receiver_.feed(rest, context);
        consumed = step.consumed;
        if (auto* invalid = std::get_if<wire::Invalid>(&step.result)) {
          reply(invalid->reply);
        } else if (auto* command = std::get_if<wire::Command>(&step.result)) {
          dispatch(*command);
          if (need_ == Need::kStartTls && consumed < rest.size()) {
            // RFC 3207 4.2, CVE-2011-0411: what the client pipelined after
            // STARTTLS came in clear text; it is dropped, never acted on.
            event(Event::kWarn, "smtp.starttls_injection",
                  {{"discarded_bytes", std::to_string(rest.size() - consumed)}});
            consumed = rest.size();
          }
        }
        break;
      }
      case Input::kSaslLine: {
        wire::LineStep step = receiver_.feed_line(rest);
        consumed = step.consumed;
        if (auto* invalid = std::get_if<wire::Invalid>(&step.result)) {
          sasl_ = Sasl::kNone;
          input_ = Input::kCommand;
          reply(invalid->reply);
        } else if (auto* line = std::get_if<std::string>(&step.result)) {
          on_sasl_line(*line, false);
        }
        break;
      }
      case Input::kData: {
        const wire::DataStep step = tx_.data->feed(rest);
        consumed = step.consumed;
        if (step.done) data_done();
        break;
      }
      case Input::kBdat: {
        const wire::BdatStep step = tx_.bdat->feed(rest);
        consumed = step.consumed;
        if (step.chunk_done) bdat_chunk_done();
        break;
      }
      case Input::kDiscard: {
        consumed =
            static_cast<std::size_t>(std::min<std::uint64_t>(discard_remaining_, rest.size()));
        discard_remaining_ -= consumed;
        if (discard_remaining_ == 0) discard_done();
        break;
      }
    }
    used += consumed;
    settle();
    if (consumed == 0) break;  // cannot happen with the wire receivers; never spin
  }
  return used;
}

// Ends the session once a command is fully answered and the errors reached the
// limit, so that a command with several replies (LMTP) is never cut in the middle.
void SessionCore::settle() {
  if (need_ != Need::kInput || input_ != Input::kCommand) return;
  if (errors_ < options_.max_errors) return;
  event(Event::kInfo, "smtp.too_many_errors", {{"errors", std::to_string(errors_)}});
  reply(421, "4.7.0", options_.hostname + " Too many errors, closing");
  need_ = Need::kClose;
}

void SessionCore::dispatch(const wire::Command& command) {
  // RFC 2033 4.1: LMTP greets with LHLO only; SMTP does not know LHLO.
  if (is_lmtp() && (command.verb == Verb::kHelo || command.verb == Verb::kEhlo)) {
    reply(500, "5.5.1", "Use LHLO with LMTP");
    return;
  }
  if (!is_lmtp() && command.verb == Verb::kLhlo) {
    reply(500, "5.5.1", "Unknown command");
    return;
  }
  for (const CommandSpec& spec : kCommands) {
    if (spec.verb != command.verb) continue;
    if ((spec.states & bit(state_)) != 0) {
      (this->*spec.handler)(command);
    } else if (state_ == State::kInit) {
      reply(503, "5.5.1", is_lmtp() ? "Send LHLO first" : "Send EHLO first");
    } else if (state_ == State::kBdat) {
      reply(503, "5.5.1", "Only BDAT, RSET, NOOP or QUIT during BDAT");
    } else {
      reply(503, "5.5.1", "Bad sequence of commands");
    }
    return;
  }
  reply(502, "5.5.1", "Command not implemented");
}

void SessionCore::reply(int code, std::string_view enhanced, std::string_view text) {
  reply(wire::make_reply(code, enhanced, text));
}

void SessionCore::reply(const wire::Reply& r) {
  wire::append_reply(out_, r);
  if (r.code >= 500) ++errors_;
}

void SessionCore::reply_raw(std::string_view line) {
  out_.append(line);
  out_.append("\r\n");
}

void SessionCore::event(Event::Level level, std::string name,
                        std::vector<std::pair<std::string, std::string>> fields) {
  events_.push_back(Event{level, std::move(name), std::move(fields)});
}

void SessionCore::reset_transaction() {
  tx_ = Transaction{};
  targets_.clear();
  targets_of_.clear();
  if (state_ != State::kInit) state_ = State::kReady;
}

bool SessionCore::auth_allowed() const {
  if (!is_submission()) return false;
  return connection_.tls || (options_.allow_plaintext_auth_from_loopback && connection_.loopback);
}

bool SessionCore::reading_content() const {
  return input_ == Input::kData || input_ == Input::kBdat || input_ == Input::kDiscard;
}

std::size_t SessionCore::buffered_bytes() const {
  std::size_t n = receiver_.buffered_bytes();
  if (tx_.data) n += tx_.data->buffered_bytes();
  if (tx_.bdat) n += tx_.bdat->buffered_bytes();
  return n;
}

}  // namespace taube::smtp::server
