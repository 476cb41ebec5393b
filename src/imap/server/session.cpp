#include "imap/server/session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
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
using namespace asio::experimental::awaitable_operators;
// A named token: a temporary inside a co_await expression trips g++ 12 (docs/DEVELOPMENT.md).
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

namespace {

class Session final : public Context, public std::enable_shared_from_this<Session> {
 public:
  Session(std::unique_ptr<net::Transport> transport, SessionServices services, Options options,
          asio::any_io_executor executor)
      : Context(*services.store, *services.authenticator, with_tls(options, services)),
        transport_(std::move(transport)),
        services_(std::move(services)),
        executor_(executor),
        receiver_(this->options().limits) {}

  awaitable<void> run();

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
  static Options with_tls(Options options, const SessionServices& services) {
    if (!services.tls_context) options.starttls_available = false;
    return options;
  }
  awaitable<bool> read_more();
  awaitable<bool> read_small();
  awaitable<void> execute(wire::RawCommand raw);
  awaitable<void> idle_reader(bool& done, bool& bad_line, asio::steady_timer& timer);
  awaitable<void> idle_reporter(bool& done, asio::steady_timer& timer);
  void on_change(const store::MailboxChange& change);

  std::unique_ptr<net::Transport> transport_;
  SessionServices services_;
  asio::any_io_executor executor_;
  wire::Receiver receiver_;
  std::string input_;  // received, not yet consumed
  std::unique_ptr<store::ChangeSubscription> subscription_;
  asio::steady_timer* idle_timer_ = nullptr;  // set while idling
  bool failed_ = false;
};

// The buffer lives in the coroutine frame while a read is pending, so an idle
// session waits in read_small(), whose frame is a few hundred bytes.
awaitable<bool> Session::read_more() {
  std::array<char, 4096> buf;
  std::size_t n = co_await transport_->read_some(buf.data(), buf.size());
  if (n == 0) co_return false;
  input_.append(buf.data(), n);
  co_return true;
}

awaitable<bool> Session::read_small() {
  std::array<char, 512> buf;
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

void Session::on_change(const store::MailboxChange& change) {
  if (!selected || selected->id() != change.mailbox) return;
  mailbox_changed = true;
  if (idle_timer_) idle_timer_->cancel();
}

awaitable<void> Session::idle_reader(bool& done, bool& bad_line, asio::steady_timer& timer) {
  for (;;) {
    auto step = receiver_.feed_line(input_);
    input_.erase(0, step.consumed);
    if (auto* line = std::get_if<std::string>(&step.result)) {
      bad_line = !ascii::iequals(*line, "DONE");
      break;
    }
    if (std::holds_alternative<wire::Invalid>(step.result)) {
      bad_line = true;
      break;
    }
    // Small reads: an idle connection should hold little memory.
    if (!co_await read_small()) {
      failed_ = true;
      break;
    }
  }
  done = true;
  timer.cancel();
}

awaitable<void> Session::idle_reporter(bool& done, asio::steady_timer& timer) {
  while (!done && !failed_) {
    co_await report_updates(*this, true);
    if (!co_await flush()) break;
    if (done) break;
    timer.expires_after(options().idle_keepalive);
    if (!mailbox_changed) {
      auto wait = timer.async_wait(kTuple);
      auto [ec] = co_await std::move(wait);
      if (!ec && !done && !mailbox_changed) send(wire::format_untagged(wire::Status::kOk, "", "Still here"));
    }
  }
}

awaitable<Completion> Session::idle() {
  cache.reset();  // an idle session stays small; the next command reloads it
  send(wire::format_continuation("idling"));
  if (!co_await flush()) co_return bad("Connection lost");
  transport_->set_deadline(options().idle_timeout);
  asio::steady_timer timer(executor_);
  idle_timer_ = &timer;
  bool done = false;
  bool bad_line = false;
  auto reader = idle_reader(done, bad_line, timer);
  auto reporter = idle_reporter(done, timer);
  auto both = std::move(reader) && std::move(reporter);
  co_await std::move(both);
  idle_timer_ = nullptr;
  input_.shrink_to_fit();
  if (bad_line) co_return bad("Expected DONE");
  co_return ok("IDLE terminated");
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
  if (state == State::kSelected) co_await report_updates(*this, spec->may_report_expunge);
  send(wire::format_tagged(tag, done.status, done.code, done.text));
}

awaitable<void> Session::run() {
  send(wire::format_untagged(wire::Status::kOk, wire::code::capability({capabilities(*this)}),
                             options().hostname + " Taube IMAP ready"));
  co_await flush();
  while (!failed_ && !logout_requested) {
    transport_->set_deadline(options().command_timeout);
    auto step = receiver_.feed(input_);
    input_.erase(0, step.consumed);
    if (std::holds_alternative<wire::NeedMore>(step.result)) {
      if (input_.empty() && input_.capacity() > 8192) input_.shrink_to_fit();
      if (selected) selected->shrink();
      // Between commands read in small steps: most sessions are idle most of the time.
      bool more = false;
      if (receiver_.in_command()) {
        more = co_await read_more();
      } else {
        more = co_await read_small();
      }
      if (!more) break;
      continue;
    }
    if (auto* literal = std::get_if<wire::NeedLiteral>(&step.result)) {
      if (literal->synchronizing) {
        send(wire::format_continuation("Ready for literal data"));
        co_await flush();
      }
      continue;
    }
    if (auto* invalid = std::get_if<wire::Invalid>(&step.result)) {
      send(wire::format_reply(invalid->reply));
      co_await flush();
      if (invalid->close_connection) break;
      continue;
    }
    auto& raw = std::get<wire::RawCommand>(step.result);
    co_await execute(std::move(raw));
    if (!co_await flush()) break;
    if (starttls_requested) {
      starttls_requested = false;
      input_.clear();  // RFC 9051 6.2.1: pipelined plaintext must not survive STARTTLS
      receiver_.reset();
      auto context = services_.tls_context();
      transport_->set_deadline(std::chrono::seconds(30));
      if (!co_await transport_->start_tls(std::move(context))) break;
    }
    if (compress_requested) {
      compress_requested = false;
      // RFC 4978 3: compression starts right after the tagged OK; input that
      // was pipelined behind COMPRESS is already compressed.
      auto wrapped = make_deflate_transport(transport_, std::move(input_));
      input_.clear();
      if (!wrapped) break;
      transport_ = std::move(wrapped);
      compress_active = true;
    }
  }
  if (transport_->timed_out() && !logout_requested) {
    send(wire::format_untagged(wire::Status::kBye, "", "Autologout; idle for too long"));
    transport_->set_deadline(std::chrono::seconds(5));
    co_await flush();
  }
  subscription_.reset();
  transport_->close();
}

}  // namespace

awaitable<void> run_session(std::unique_ptr<net::Transport> transport, SessionServices services, Options options) {
  auto executor = co_await asio::this_coro::executor;
  auto session = std::make_shared<Session>(std::move(transport), std::move(services), std::move(options), executor);
  try {
    co_await session->run();
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    log::error("imap.session_failed", {log::kv("error", e.what())});
  }
}

}  // namespace taube::imap::server
