#include "imap/server/session.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <array>

#include "base/ascii.hpp"
#include "imap/server/commands.hpp"
#include "imap/server/deflate_transport.hpp"
#include "imap/server/support.hpp"
#include "imap/wire/parser.hpp"
#include "imap/wire/receiver.hpp"
#include "log/log.hpp"

namespace taube::imap::server {

namespace asio = boost::asio;
using asio::awaitable;

namespace {

void log_failure(const std::exception& e) { log::error("imap.session_failed", {log::kv("error", e.what())}); }

// Options with STARTTLS turned off when the services have no TLS context;
// a base so that it is built before Context, which refers to the options.
// Empty (a null pointer) in the usual case: sessions share the caller's options.
struct AdjustedOptions {
  AdjustedOptions(const Options& options, const SessionServices& services) {
    if (!services.tls_context && options.starttls_available) {
      adjusted = std::make_unique<Options>(options);
      adjusted->starttls_available = false;
    }
  }
  const Options& pick(const Options& options) const { return adjusted ? *adjusted : options; }
  std::unique_ptr<Options> adjusted;
};

class Session final : private AdjustedOptions, public Context, public std::enable_shared_from_this<Session> {
 public:
  Session(std::unique_ptr<net::Transport> transport, const SessionServices& services, const Options& options)
      : AdjustedOptions(options, services),
        Context(*services.store, *services.authenticator, pick(options)),
        transport_(std::move(transport)),
        services_(services),
        receiver_(this->options().limits) {}

  // The session's one long-lived frame; `self` keeps the session alive.
  awaitable<void> run(std::shared_ptr<Session> self);

  awaitable<bool> flush() override {
    if (output().empty()) co_return true;
    std::string bytes;
    bytes.swap(output());
    bool written = co_await transport_->write(bytes);
    if (!written) failed_ = true;
    co_return written;
  }
  awaitable<std::optional<std::string>> read_line() override;
  bool is_tls() const override { return transport_->is_tls(); }
  bool is_loopback() const override { return transport_->is_loopback(); }
  const std::string& remote_address() const override { return transport_->remote_address(); }
  void on_login() override;
  awaitable<Completion> idle() override;

 private:
  // What run() does after a step.
  enum class Next : std::uint8_t { kGo, kWait, kStop };

  // Reads up to N bytes into input_; false when the connection ended.
  template <std::size_t N>
  awaitable<bool> read_chunk();
  awaitable<bool> read_more() { return read_chunk<4096>(); }   // the rest of a command
  awaitable<bool> read_small() { return read_chunk<512>(); }   // after a wait: usually one short command
  awaitable<Next> step();
  awaitable<Next> idle_step();
  awaitable<void> execute(wire::RawCommand raw);
  awaitable<void> begin_idle();
  void send_greeting();
  void send_autologout();
  void start_idling();
  void end_idle();
  void wake();
  void on_change(const store::MailboxChange& change);

  std::unique_ptr<net::Transport> transport_;
  const SessionServices& services_;
  asio::any_io_executor executor_;  // the connection's strand, for change notifications
  wire::Receiver receiver_;
  std::string input_;  // received, not yet consumed
  std::unique_ptr<store::ChangeSubscription> subscription_;
  // While idling: when "* OK Still here" is due (the transport's watchdog
  // timer wakes the wait; no timer of the session's own).
  std::chrono::steady_clock::time_point keepalive_at_ = std::chrono::steady_clock::time_point::max();
  bool failed_ = false;
  bool idle_requested_ = false;  // set by idle(); execute() hands IDLE over to run()
  bool idling_ = false;
  bool waiting_ = false;         // run() waits in wait_readable() for an idling client
};

// The buffer lives in the coroutine frame while a read is pending, so idle
// sessions never wait here: they wait in Transport::wait_readable(), without a
// buffer, and read_small() runs only once input is there.
template <std::size_t N>
awaitable<bool> Session::read_chunk() {
  std::array<char, N> buf;
  std::size_t n = co_await transport_->read_some(buf.data(), buf.size());
  if (n == 0) co_return false;
  input_.append(buf.data(), n);
  co_return true;
}

awaitable<std::optional<std::string>> Session::read_line() {
  for (;;) {
    auto step = receiver_.feed_line(input_);
    input_.erase(0, step.consumed);
    if (auto* line = std::get_if<std::string>(&step.result)) co_return std::move(*line);
    if (std::holds_alternative<wire::Invalid>(step.result)) co_return std::string("*");
    if (!co_await read_more()) co_return std::nullopt;
  }
}

void Session::on_login() {
  std::weak_ptr<Session> weak = weak_from_this();
  auto executor = executor_;
  subscription_ = store().subscribe_changes(account->account(), [weak, executor](const store::MailboxChange& c) {
    asio::post(executor, [weak, c] {
      if (auto self = weak.lock()) self->on_change(c);
    });
  });
}

// Ends run()'s wait for an idling client so that it reports what happened.
void Session::wake() {
  if (!waiting_) return;  // not waiting: run() looks at the flags before it waits again
  transport_->cancel_wait();
}

void Session::on_change(const store::MailboxChange& change) {
  if (!selected || selected->id() != change.mailbox) return;
  mailbox_changed = true;
  if (idling_) wake();
}

// IDLE (RFC 9051 6.3.13) is not run inside the command handler: its frames
// (execute, the handler, a reader and a reporter) would stay allocated for as
// long as the client idles, hours for most. idle() only asks for it; after
// the handler returns, execute() sends "+ idling" and run() idles in its own
// loop (idle_step), waiting in one small frame.
awaitable<Completion> Session::idle() {
  idle_requested_ = true;
  co_return ok("IDLE terminated");  // not sent: run() sends the tagged reply after DONE
}

awaitable<void> Session::begin_idle() {
  cache.reset();  // an idle session stays small; the next command reloads it
  send(wire::format_continuation("idling"));
  const bool written = co_await flush();
  if (written) start_idling();
}

void Session::start_idling() {
  transport_->set_deadline(options().idle_timeout);
  keepalive_at_ = std::chrono::steady_clock::now() + options().idle_keepalive;
  if (input_.empty()) input_.shrink_to_fit();
  idling_ = true;
}

void Session::end_idle() {
  idling_ = false;
  keepalive_at_ = std::chrono::steady_clock::time_point::max();
  input_.shrink_to_fit();
}

awaitable<Session::Next> Session::idle_step() {
  auto line = receiver_.feed_line(input_);
  input_.erase(0, line.consumed);
  const bool ended = !std::holds_alternative<wire::NeedMore>(line.result);
  if (ended) {
    auto* text = std::get_if<std::string>(&line.result);
    const bool done = text && ascii::iequals(*text, "DONE");
    end_idle();
    if (state == State::kSelected) co_await report_updates(*this, true);
    Completion completion = done ? ok("IDLE terminated") : bad("Expected DONE");
    send(wire::format_tagged(tag, completion.status, completion.code, completion.text));
    const bool written = co_await flush();
    co_return written ? Next::kGo : Next::kStop;
  }
  co_await report_updates(*this, true);
  const auto now = std::chrono::steady_clock::now();
  if (now >= keepalive_at_ && !mailbox_changed && output().empty())
    send(wire::format_untagged(wire::Status::kOk, "", "Still here"));
  // The keepalive counts from the last output (or the start of IDLE).
  if (!output().empty() || now >= keepalive_at_) keepalive_at_ = now + options().idle_keepalive;
  if (!co_await flush()) co_return Next::kStop;
  if (mailbox_changed) co_return Next::kGo;  // more to report before waiting
  co_return Next::kWait;
}

awaitable<void> Session::execute(wire::RawCommand raw) {
  std::string name = raw.name;
  if (name == "UID" && !raw.args.empty() && raw.args[0].is_atom()) name += " " + ascii::upper(raw.args[0].text);
  const CommandSpec* spec = find_command(name);
  if (!spec) {
    send(wire::format_tagged(raw.tag, wire::Status::kBad, "", "Unknown command " + name));
    co_return;
  }
  if (!(spec->states & unsigned(state))) {
    std::string text = state == State::kNotAuthenticated ? "Log in first"
                       : spec->states == unsigned(State::kSelected) ? "No mailbox selected"
                       : state == State::kNotAuthenticated         ? "Log in first"
                                                                    : "Command not allowed in this state";
    send(wire::format_tagged(raw.tag, wire::Status::kBad, "", text));
    co_return;
  }
  wire::ParseContext parse_context{.limits = options().limits, .utf8_names = enabled.utf8 || enabled.rev2};
  auto parsed = wire::parse_command(raw, parse_context);
  if (auto* invalid = std::get_if<wire::Invalid>(&parsed)) {
    send(wire::format_reply(invalid->reply));
    co_return;
  }
  auto& command = std::get<wire::Command>(parsed);
  tag = command.tag;
  Completion done = co_await spec->handler(*this, command);
  if (idle_requested_) {
    idle_requested_ = false;
    co_await begin_idle();
    co_return;
  }
  if (state == State::kSelected) co_await report_updates(*this, spec->may_report_expunge);
  send(wire::format_tagged(tag, done.status, done.code, done.text));
}

// One command (or the part of one that has arrived) from input_.
awaitable<Session::Next> Session::step() {
  transport_->set_deadline(options().command_timeout);
  auto step = receiver_.feed(input_);
  input_.erase(0, step.consumed);
  if (std::holds_alternative<wire::NeedMore>(step.result)) {
    if (input_.empty()) input_.shrink_to_fit();  // a waiting session keeps no input buffer
    if (selected) selected->shrink();
    co_return Next::kWait;
  }
  if (auto* literal = std::get_if<wire::NeedLiteral>(&step.result)) {
    if (literal->synchronizing) {
      send(wire::format_continuation("Ready for literal data"));
      co_await flush();
    }
    co_return Next::kGo;
  }
  if (auto* invalid = std::get_if<wire::Invalid>(&step.result)) {
    send(wire::format_reply(invalid->reply));
    co_await flush();
    co_return invalid->close_connection ? Next::kStop : Next::kGo;
  }
  auto& raw = std::get<wire::RawCommand>(step.result);
  co_await execute(std::move(raw));
  if (!co_await flush()) co_return Next::kStop;
  if (starttls_requested) {
    starttls_requested = false;
    input_.clear();  // RFC 9051 6.2.1: pipelined plaintext must not survive STARTTLS
    receiver_.reset();
    auto context = services_.tls_context();
    transport_->set_deadline(std::chrono::seconds(30));
    if (!co_await transport_->start_tls(std::move(context))) co_return Next::kStop;
  }
  if (compress_requested) {
    compress_requested = false;
    // RFC 4978 3: compression starts right after the tagged OK; input that
    // was pipelined behind COMPRESS is already compressed.
    auto wrapped = make_deflate_transport(transport_, std::move(input_));
    input_.clear();
    if (!wrapped) co_return Next::kStop;
    transport_ = std::move(wrapped);
    compress_active = true;
  }
  co_return Next::kGo;
}

// Plain functions: temporaries built in a coroutine take room in its frame.
void Session::send_greeting() {
  send(wire::format_untagged(wire::Status::kOk, wire::code::capability({capabilities(*this)}),
                             options().hostname + " Taube IMAP ready"));
}

void Session::send_autologout() {
  send(wire::format_untagged(wire::Status::kBye, "", "Autologout; idle for too long"));
  transport_->set_deadline(std::chrono::seconds(5));
}

// The session's one long-lived frame (run_session is a plain function): a
// member coroutine that owns its object through `self`. The loop keeps no
// state of its own across waits: a session between commands or in IDLE
// holds this frame and wait_readable()'s.
awaitable<void> Session::run(std::shared_ptr<Session> /*self*/) {
  executor_ = co_await asio::this_coro::executor;
  try {
    send_greeting();
    co_await flush();
    while (!failed_ && !logout_requested) {
      Next next = Next::kGo;
      if (idling_) {
        next = co_await idle_step();
      } else {
        next = co_await step();
      }
      if (next == Next::kStop) break;
      if (next == Next::kGo) continue;
      bool more = false;
      if (!idling_ && receiver_.in_command()) {
        more = co_await read_more();  // the rest of a command: big reads
      } else {
        waiting_ = idling_;  // only IDLE is woken by changes and keepalives
        auto readiness = co_await transport_->wait_readable(keepalive_at_);
        waiting_ = false;
        if (readiness == net::Transport::Readiness::kWoken) continue;
        if (readiness == net::Transport::Readiness::kReadable) more = co_await read_small();
      }
      if (!more) break;
    }
    if (idling_) end_idle();
    if (transport_->timed_out() && !logout_requested) {
      send_autologout();
      co_await flush();
    }
    subscription_.reset();
    transport_->close();
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    log_failure(e);
  }
}

}  // namespace

awaitable<void> run_session(std::unique_ptr<net::Transport> transport, const SessionServices& services,
                            const Options& options) {
  auto session = std::make_shared<Session>(std::move(transport), services, options);
  Session& s = *session;
  return s.run(std::move(session));
}

}  // namespace taube::imap::server
