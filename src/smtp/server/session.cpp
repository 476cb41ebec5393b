#include "smtp/server/session.hpp"

#include <algorithm>
#include <cstdio>
#include <random>

#include "delivery/describe.hpp"
#include "log/log.hpp"
#include "smtp/server/spill.hpp"

namespace taube::smtp::server {

namespace asio = boost::asio;
using asio::awaitable;

namespace {

constexpr std::size_t kReadBytes = 16 * 1024;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return s;
}

// 128 random bits: unique across nodes and restarts without coordination.
std::string new_delivery_key() {
  thread_local std::random_device device;
  char text[40];
  std::snprintf(text, sizeof text, "smtp:%08x%08x%08x%08x", device(), device(), device(), device());
  return text;
}

class Session {
 public:
  Session(net::Transport& transport, store::Store& store, auth::Authenticator& authenticator,
          const SessionOptions& options)
      : transport_(transport),
        store_(store),
        authenticator_(authenticator),
        options_(options),
        core_(options, connection()) {
    read_buf_.resize(kReadBytes);
  }

  awaitable<void> run();

 private:
  Connection connection() const {
    Connection c;
    c.remote_address = transport_.remote_address();
    c.loopback = transport_.is_loopback();
    c.tls = transport_.is_tls();
    c.tls_available = !c.tls && options_.tls_context && options_.tls_context() != nullptr;
    if (c.tls) c.tls_description = transport_.tls_description();
    return c;
  }
  std::string_view pending() const { return std::string_view(in_).substr(in_pos_); }
  awaitable<bool> flush();
  awaitable<bool> fill();
  awaitable<bool> sender_allowed();
  awaitable<void> start_tls();
  awaitable<void> deliver();
  void spill_message();
  void drop_stale_spill();
  Result<std::string> take_message();
  bool may_defer(const Result<std::vector<store::AccountId>>& accounts) const;
  void spool(std::string raw, store::UnixTime internal_date, std::string delivery_key = {});
  std::string client() const {
    return (core_.helo().empty() ? std::string("unknown") : core_.helo()) + "[" +
           transport_.remote_address() + "]";
  }
  void log_events();

  net::Transport& transport_;
  store::Store& store_;
  auth::Authenticator& authenticator_;
  const SessionOptions& options_;
  SessionCore core_;
  std::string in_;  // received; consumed up to in_pos_
  std::size_t in_pos_ = 0;
  std::string read_buf_;
  // The message being received, once it outgrew options_.spill_threshold.
  std::optional<SpillFile> spill_;
  std::uint64_t spill_serial_ = 0;  // core_.message_serial() it belongs to
  std::optional<Error> spill_error_;
};

awaitable<void> Session::run() {
  log::debug("smtp.connect",
             {log::kv("remote", transport_.remote_address()), log::kv("tls", transport_.is_tls())});
  bool open = true;
  while (open) {
    log_events();
    switch (core_.need()) {
      case Need::kInput:
        if (pending().empty()) {
          transport_.set_deadline(core_.reading_content() ? options_.data_timeout
                                                          : options_.command_timeout);
          open = co_await fill();
        } else {
          const std::size_t used = core_.feed(pending(), options_.now());
          in_pos_ += used;
          spill_message();
          if (used == 0 && core_.need() == Need::kInput) {
            log::error("smtp.no_progress", {log::kv("client", client())});  // a bug: never spin
            open = false;
          }
        }
        break;
      case Need::kResolveRecipient: {
        std::string address = core_.lookup_address();
        Result<std::vector<store::AccountId>> accounts =
            co_await store_.resolve_recipient(std::move(address));
        if (may_defer(accounts))
          core_.recipient_deferred();
        else
          core_.recipient_resolved(accounts);
        break;
      }
      case Need::kCheckSender: {
        const bool allowed = co_await sender_allowed();
        core_.sender_checked(allowed);
        break;
      }
      case Need::kAuthenticate: {
        Credentials credentials = core_.take_credentials();
        Result<store::Account> account = co_await authenticator_.authenticate(
            std::move(credentials.user), std::move(credentials.password),
            transport_.remote_address());
        core_.authenticated(std::move(account));
        break;
      }
      case Need::kStartTls:
        co_await start_tls();
        break;
      case Need::kDeliver:
        co_await deliver();
        break;
      case Need::kClose:
        open = false;
        break;
    }
  }
  log_events();
  co_await flush();
  if (transport_.timed_out()) log::info("smtp.timeout", {log::kv("client", client())});
  transport_.close();
  log::debug("smtp.disconnect", {log::kv("client", client()), log::kv("messages", core_.messages()),
                                 log::kv("errors", core_.errors())});
}

awaitable<bool> Session::flush() {
  if (!core_.has_output()) co_return true;
  const std::string out = core_.take_output();
  co_return co_await transport_.write(out);
}

// Writes the queued replies (RFC 2920: before waiting for the client), then reads.
awaitable<bool> Session::fill() {
  if (!co_await flush()) co_return false;
  in_.erase(0, in_pos_);
  in_pos_ = 0;
  const std::size_t n = co_await transport_.read_some(read_buf_.data(), read_buf_.size());
  if (n == 0) co_return false;
  in_.append(read_buf_.data(), n);
  co_return true;
}

awaitable<void> Session::start_tls() {
  // The core dropped whatever the client pipelined after STARTTLS; so do we.
  in_.clear();
  in_pos_ = 0;
  bool ok = co_await flush();
  std::shared_ptr<asio::ssl::context> context;
  if (ok && options_.tls_context) context = options_.tls_context();
  ok = ok && context != nullptr;
  if (ok) ok = co_await transport_.start_tls(std::move(context));
  core_.tls_started(ok, connection());
}

// Submission: the sender is an alias (not a catch-all) whose resolution includes
// the authenticated account (the core already allowed the account's own address).
awaitable<bool> Session::sender_allowed() {
  const std::string address = core_.lookup_address();
  const store::AccountId account = core_.account().id;
  const auto at = address.rfind('@');
  if (at == std::string::npos) co_return false;
  std::optional<std::string> domain = address.substr(at + 1);  // named: see DEVELOPMENT.md
  Result<std::vector<store::Alias>> aliases = co_await store_.list_aliases(std::move(domain));
  if (!aliases) co_return false;
  bool is_alias = false;
  for (const store::Alias& a : *aliases)
    if (lower(a.source) == address) is_alias = true;
  if (!is_alias) co_return false;
  std::string lookup = address;
  Result<std::vector<store::AccountId>> targets =
      co_await store_.resolve_recipient(std::move(lookup));
  if (!targets) co_return false;
  co_return std::find(targets->begin(), targets->end(), account) != targets->end();
}

// Moves the message in progress to its spill file once it is over the threshold;
// feed() consumes at most one read (16 KiB) at a time, so memory stays near the
// threshold. A spill file of an earlier message (refused, RSET) is dropped.
void Session::spill_message() {
  drop_stale_spill();
  if (options_.spill_dir.empty() || core_.buffered_message().size() <= options_.spill_threshold)
    return;
  spill_serial_ = core_.message_serial();
  if (!spill_ && !spill_error_) {
    Result<SpillFile> file = SpillFile::create(options_.spill_dir);
    if (file) {
      spill_.emplace(std::move(*file));
    } else {
      log::error("smtp.spill_failed", {log::kv("reason", file.error().detail)});
      spill_error_ = file.error();  // the message is lost: 451 at its end
    }
  }
  if (!spill_error_) {
    if (Result<void> written = spill_->append(core_.buffered_message()); !written) {
      log::error("smtp.spill_failed", {log::kv("reason", written.error().detail)});
      spill_error_ = written.error();
    }
  }
  core_.drop_buffered_message();
}

// A spill file belongs to the message now being received or delivered; once the
// message was refused or reset (the session is back before DATA), it goes at once.
void Session::drop_stale_spill() {
  const State s = core_.state();
  const bool no_message = s == State::kInit || s == State::kReady || s == State::kMail;
  if ((spill_ || spill_error_) && (no_message || spill_serial_ != core_.message_serial())) {
    spill_.reset();
    spill_error_.reset();
  }
}

// The whole message for the store, which takes it as one string: read back from
// the spill file right before deliver() (see README.md "Large messages").
Result<std::string> Session::take_message() {
  std::string rest = core_.take_message();
  drop_stale_spill();
  if (spill_error_) {
    Error e = *spill_error_;
    spill_.reset();
    spill_error_.reset();
    return e;
  }
  if (!spill_) return rest;
  Result<std::string> all = spill_->read_all(rest);
  spill_.reset();
  return all;
}

awaitable<void> Session::deliver() {
  store::Delivery job;
  Result<std::string> raw = take_message();
  if (!raw) {
    // A temporary file failed (disk full): nothing was stored, the client retries.
    const Result<std::vector<Result<store::Delivered>>> failed = raw.error();
    core_.delivered(failed);
    co_return;
  }
  job.raw = std::move(*raw);
  job.internal_date = std::chrono::floor<std::chrono::seconds>(options_.now());
  job.outbound = core_.outbound();
  if (job.outbound && !core_.deferred_addresses().empty()) {
    // The spool has no place for foreign recipients: a temporary failure.
    const Result<std::vector<Result<store::Delivered>>> failed =
        fail(ErrorCode::kUnavailable, "outbound recipients cannot be spooled");
    core_.delivered(failed);
    co_return;
  }
  bool junk = false;
  if (options_.check_message && options_.mode == Mode::kSmtp) {
    MessageCheckRequest request{transport_.remote_address(), core_.helo(), core_.sender_address(),
                                std::move(job.raw)};
    auto check_op = options_.check_message(std::move(request));  // named: see DEVELOPMENT.md
    MessageCheck check = co_await std::move(check_op);
    job.raw = std::move(check.raw);
    if (check.action == MessageCheck::Action::kReject) {
      log::info("smtp.message_rejected", {log::kv("client", client()), log::kv("reason", check.reply_text)});
      core_.refused(550, "5.7.1", check.reply_text);
      co_return;
    }
    junk = check.action == MessageCheck::Action::kJunk;
  }
  if (!core_.deferred_addresses().empty()) {
    // Some recipient could not be resolved (store unavailable at RCPT): the whole
    // message waits in the spool; the replayer resolves and delivers it.
    spool(std::move(job.raw), job.internal_date);
    co_return;
  }
  job.meta = delivery::describe(job.raw);
  job.targets = core_.targets();
  if (junk)
    for (store::DeliveryTarget& t : job.targets) t.mailbox = "Junk";
  const std::size_t bytes = job.raw.size();
  const std::string message_id = job.meta.message_id;
  const std::size_t targets = job.targets.size();
  const std::size_t outbound = job.outbound ? job.outbound->recipients.size() : 0;
  std::string raw_copy;  // for the spool, should the store be unavailable
  // (not with outbound recipients: the spool would lose them; 451 instead)
  const bool may_spool = options_.spool_message && !job.outbound;
  if (may_spool) raw_copy = job.raw;
  // If the commit's outcome is unknown (the database went away during COMMIT), the
  // spooled copy is replayed under the same key: stored once whichever way it went.
  job.idempotency_key = new_delivery_key();
  const std::string delivery_key = job.idempotency_key;
  Result<std::vector<Result<store::Delivered>>> results = co_await store_.deliver(std::move(job));
  if (results) {
    const auto stored = std::count_if(results->begin(), results->end(),
                                      [](const Result<store::Delivered>& r) { return bool(r); });
    log::info("smtp.delivered",
              {log::kv("client", client()), log::kv("bytes", bytes), log::kv("targets", targets),
               log::kv("stored", stored), log::kv("outbound", outbound),
               log::kv("message_id", message_id)});
  } else if (results.error().code == ErrorCode::kUnavailable && may_spool) {
    // The store committed nothing (outer Result failed): spool instead of 451.
    log::warn("smtp.store_unavailable",
              {log::kv("client", client()), log::kv("reason", results.error().detail)});
    spool(std::move(raw_copy), std::chrono::floor<std::chrono::seconds>(options_.now()),
          delivery_key);
    co_return;
  }
  core_.delivered(results);
}

bool Session::may_defer(const Result<std::vector<store::AccountId>>& accounts) const {
  if (accounts || accounts.error().code != ErrorCode::kUnavailable) return false;
  if (!options_.spool_message || !options_.is_known_local_domain) return false;
  const std::string& address = core_.lookup_address();
  const auto at = address.rfind('@');
  if (at == std::string::npos) return false;
  return options_.is_known_local_domain(lower(address.substr(at + 1)));
}

// Blocks this thread for the spool's fsyncs (milliseconds), only in degraded mode.
void Session::spool(std::string raw, store::UnixTime internal_date, std::string delivery_key) {
  spool::Entry entry;
  entry.delivery_key = std::move(delivery_key);
  entry.sender = core_.sender_address();
  entry.received = internal_date;
  for (const store::DeliveryTarget& t : core_.targets()) entry.accounts.push_back(t.account.value);
  entry.addresses = core_.deferred_addresses();
  entry.raw = std::move(raw);
  const std::size_t bytes = entry.raw.size();
  Result<void> written = options_.spool_message
                             ? options_.spool_message(std::move(entry))
                             : Result<void>(fail(ErrorCode::kUnavailable, "no spool"));
  if (written)
    log::info("smtp.spooled", {log::kv("client", client()), log::kv("bytes", bytes)});
  core_.spooled(written);
}

void Session::log_events() {
  for (const Event& e : core_.take_events()) {
    const log::Level level = e.level == Event::kDebug  ? log::Level::kDebug
                             : e.level == Event::kInfo ? log::Level::kInfo
                             : e.level == Event::kWarn ? log::Level::kWarn
                                                       : log::Level::kError;
    auto field = [&](std::size_t i) { return log::Field{e.fields[i].first, e.fields[i].second}; };
    // The log facade takes an initializer list; events carry at most two fields.
    switch (e.fields.size()) {
      case 0:
        log::write(level, e.name, {log::kv("client", client())});
        break;
      case 1:
        log::write(level, e.name, {log::kv("client", client()), field(0)});
        break;
      default:
        log::write(level, e.name, {log::kv("client", client()), field(0), field(1)});
        break;
    }
  }
}

}  // namespace

awaitable<void> run_session(net::Transport& transport, store::Store& store,
                            auth::Authenticator& authenticator, const SessionOptions& options) {
  Session session(transport, store, authenticator, options);
  co_await session.run();
}

}  // namespace taube::smtp::server
