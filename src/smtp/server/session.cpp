#include "smtp/server/session.hpp"

#include "log/log.hpp"
#include "smtp/wire/reply.hpp"

namespace taube::smtp::server {

namespace asio = boost::asio;
using asio::awaitable;
using wire::Verb;

namespace {

constexpr unsigned bit(State s) { return 1u << static_cast<unsigned>(s); }
constexpr unsigned kAny = bit(State::kInit) | bit(State::kReady) | bit(State::kMail) |
                          bit(State::kRcpt) | bit(State::kBdat);
constexpr unsigned kNoBdat = kAny & ~bit(State::kBdat);
constexpr unsigned kGreeted = bit(State::kReady) | bit(State::kMail) | bit(State::kRcpt);
constexpr std::size_t kReadBytes = 16 * 1024;

}  // namespace

// Which state allows which verb. A verb outside its states gets 503 5.5.1 (RFC 5321
// 4.1.4); during BDAT only BDAT, RSET, QUIT and NOOP make sense (RFC 3030 2).
const Session::CommandSpec Session::kCommands[] = {
    {Verb::kHelo, kNoBdat, &Session::on_helo},
    {Verb::kEhlo, kNoBdat, &Session::on_ehlo},
    {Verb::kLhlo, kNoBdat, &Session::on_ehlo},
    {Verb::kMail, kGreeted, &Session::on_mail},
    {Verb::kRcpt, kGreeted, &Session::on_rcpt},
    {Verb::kData, kGreeted, &Session::on_data},
    {Verb::kBdat, kAny, &Session::on_bdat},
    {Verb::kRset, kAny, &Session::on_rset},
    {Verb::kNoop, kAny, &Session::on_noop},
    {Verb::kQuit, kAny, &Session::on_quit},
    {Verb::kHelp, kNoBdat, &Session::on_help},
    {Verb::kVrfy, kNoBdat, &Session::on_vrfy},
    {Verb::kExpn, kNoBdat, &Session::on_expn},
    {Verb::kStarttls, kGreeted & ~(bit(State::kMail) | bit(State::kRcpt)), &Session::on_starttls},
    {Verb::kAuth, bit(State::kReady), &Session::on_auth},
};

awaitable<void> run_session(net::Transport& transport, store::Store& store,
                            auth::Authenticator& authenticator, const SessionOptions& options) {
  Session session(transport, store, authenticator, options);
  co_await session.run();
}

Session::Session(net::Transport& transport, store::Store& store, auth::Authenticator& authenticator,
                 const SessionOptions& options)
    : transport_(transport),
      store_(store),
      authenticator_(authenticator),
      options_(options),
      receiver_(options.limits) {
  read_buf_.resize(kReadBytes);
}

awaitable<void> Session::run() {
  log::debug("smtp.connect",
             {log::kv("remote", transport_.remote_address()), log::kv("tls", transport_.is_tls())});
  reply(220, {}, options_.hostname + (is_lmtp() ? " LMTP" : " ESMTP") + " Taube ready");
  while (!closing_) {
    if (pending().empty()) {
      transport_.set_deadline(options_.command_timeout);
      if (!co_await fill()) break;
    }
    wire::ParseContext context{.smtputf8_transaction = tx_.params.smtputf8};
    wire::ReceiveStep step = receiver_.feed(pending(), context);
    consume(step.consumed);
    if (auto* invalid = std::get_if<wire::Invalid>(&step.result)) {
      reply(invalid->reply);
    } else if (auto* command = std::get_if<wire::Command>(&step.result)) {
      co_await dispatch(*command);
    }
    // Checked between commands, so that a command with several replies (LMTP
    // after DATA) is never cut in the middle.
    if (errors_ >= options_.max_errors && !closing_) {
      log::info("smtp.too_many_errors",
                {log::kv("client", client_log_name()), log::kv("errors", errors_)});
      reply(421, "4.7.0", options_.hostname + " Too many errors, closing");
      closing_ = true;
    }
  }
  co_await flush();
  if (transport_.timed_out()) {
    log::info("smtp.timeout", {log::kv("client", client_log_name())});
  }
  transport_.close();
  log::debug("smtp.disconnect", {log::kv("client", client_log_name()),
                                 log::kv("messages", messages_), log::kv("errors", errors_)});
}

awaitable<void> Session::dispatch(const wire::Command& command) {
  // RFC 2033 4.1: LMTP greets with LHLO only; SMTP does not know LHLO.
  if (is_lmtp() && (command.verb == Verb::kHelo || command.verb == Verb::kEhlo)) {
    reply(500, "5.5.1", "Use LHLO with LMTP");
    co_return;
  }
  if (!is_lmtp() && command.verb == Verb::kLhlo) {
    reply(500, "5.5.1", "Unknown command");
    co_return;
  }
  for (const CommandSpec& spec : kCommands) {
    if (spec.verb != command.verb) continue;
    if ((spec.states & bit(state_)) == 0) {
      if (state_ == State::kInit)
        reply(503, "5.5.1", is_lmtp() ? "Send LHLO first" : "Send EHLO first");
      else if (state_ == State::kBdat)
        reply(503, "5.5.1", "Only BDAT, RSET, NOOP or QUIT during BDAT");
      else
        reply(503, "5.5.1", "Bad sequence of commands");
      co_return;
    }
    co_await (this->*spec.handler)(command);
    co_return;
  }
  reply(502, "5.5.1", "Command not implemented");
}

awaitable<bool> Session::flush() {
  if (out_.empty()) co_return true;
  std::string out = std::move(out_);
  out_.clear();
  const bool ok = co_await transport_.write(out);
  if (!ok) closing_ = true;
  co_return ok;
}

awaitable<bool> Session::fill() {
  if (!co_await flush()) co_return false;
  if (closing_) co_return false;
  if (in_pos_ == in_.size()) {
    in_.clear();
    in_pos_ = 0;
  } else if (in_pos_ > 0) {
    in_.erase(0, in_pos_);
    in_pos_ = 0;
  }
  const std::size_t n = co_await transport_.read_some(read_buf_.data(), read_buf_.size());
  if (n == 0) {
    closing_ = true;
    co_return false;
  }
  in_.append(read_buf_.data(), n);
  co_return true;
}

void Session::reply(int code, std::string_view enhanced, std::string_view text) {
  reply(wire::make_reply(code, enhanced, text));
}

void Session::reply(const wire::Reply& r) {
  wire::append_reply(out_, r);
  if (r.code >= 500) ++errors_;
}

void Session::reply_raw(std::string_view line) {
  out_.append(line);
  out_.append("\r\n");
}

void Session::reset_transaction() {
  tx_ = Transaction{};
  if (state_ != State::kInit) state_ = State::kReady;
}

bool Session::tls_available() const {
  return !transport_.is_tls() && options_.tls_context && options_.tls_context() != nullptr;
}

bool Session::auth_allowed() const {
  if (!is_submission()) return false;
  return transport_.is_tls() ||
         (options_.allow_plaintext_auth_from_loopback && transport_.is_loopback());
}

std::string Session::client_log_name() const {
  return (helo_.empty() ? std::string("unknown") : helo_) + "[" + transport_.remote_address() + "]";
}

}  // namespace taube::smtp::server
