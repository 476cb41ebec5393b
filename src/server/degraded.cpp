#include "server/degraded.hpp"

#include <netdb.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <cstdio>
#include <fstream>

#include "delivery/describe.hpp"
#include "log/log.hpp"
#include "metrics/registry.hpp"
#include "metrics/node_metrics.hpp"

namespace taube::server {

namespace asio = boost::asio;
using asio::awaitable;

namespace {

constexpr std::chrono::seconds kProbeInterval{2};
// A probe still running after this long counts as a failure.
constexpr std::chrono::seconds kProbeTimeout{5};
constexpr std::chrono::seconds kReplayInterval{1};
constexpr std::string_view kSpoolIdField = "X-Taube-Spool-Id";

std::string json_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

}  // namespace

std::optional<std::string> AlertPolicy::observe(bool degraded,
                                                std::chrono::steady_clock::time_point now) {
  if (degraded == announced_degraded_) return std::nullopt;
  if (last_alert_ && now - *last_alert_ < min_interval_) return std::nullopt;
  announced_degraded_ = degraded;
  last_alert_ = now;
  return std::string(degraded ? "degraded" : "recovered");
}

LocalDomainCache::LocalDomainCache(std::filesystem::path file) : file_(std::move(file)) {
  std::ifstream in(file_);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) domains_.insert(line);
}

void LocalDomainCache::replace(std::set<std::string> domains) {
  std::lock_guard lock(mutex_);
  if (domains == domains_) return;
  domains_ = std::move(domains);
  if (file_.empty()) return;
  // Written aside and renamed: a crash leaves the old list or the new one.
  std::filesystem::path tmp = file_;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    for (const std::string& d : domains_) out << d << '\n';
    if (!out) return;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, file_, ec);
}

bool LocalDomainCache::contains(std::string_view domain) const {
  std::lock_guard lock(mutex_);
  return domains_.count(std::string(domain)) > 0;
}

int run_alert_command(const std::string& command, const std::string& state,
                      const std::string& text) {
  // A command that does not read its stdin must not kill the node with SIGPIPE:
  // the signal is synchronous, so blocking it in this thread turns it into EPIPE.
  sigset_t pipe_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, nullptr);
  const std::string line = command + " " + state;
  FILE* f = ::popen(line.c_str(), "w");
  if (f == nullptr) return -1;
  std::fwrite(text.data(), 1, text.size(), f);
  std::fputc('\n', f);
  const int status = ::pclose(f);
  return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Result<int> post_webhook(const std::string& url, const std::string& body) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) return fail(ErrorCode::kInvalidArgument, "not http://");
  const std::string rest = url.substr(kScheme.size());
  const std::size_t slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  const std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
  std::string host = authority;
  std::string port = "80";
  if (const std::size_t colon = authority.rfind(':');
      colon != std::string::npos && authority.find(']', colon) == std::string::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr)
    return fail(ErrorCode::kUnavailable, "cannot resolve " + host);
  const int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ::freeaddrinfo(found);
    return fail(ErrorCode::kUnavailable, "socket");
  }
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  const int connected = ::connect(fd, found->ai_addr, found->ai_addrlen);
  ::freeaddrinfo(found);
  if (connected != 0) {
    ::close(fd);
    return fail(ErrorCode::kUnavailable, "cannot connect to " + authority);
  }
  const std::string request = "POST " + path + " HTTP/1.1\r\nHost: " + authority +
                              "\r\nContent-Type: application/json\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  std::string_view left = request;
  while (!left.empty()) {
    const ssize_t n = ::send(fd, left.data(), left.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      ::close(fd);
      return fail(ErrorCode::kUnavailable, "send failed");
    }
    left.remove_prefix(static_cast<std::size_t>(n));
  }
  char buf[256];
  std::string response;
  while (response.find("\r\n") == std::string::npos) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    response.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  // "HTTP/1.1 200 OK"
  if (response.size() < 12 || response.rfind("HTTP/", 0) != 0)
    return fail(ErrorCode::kUnavailable, "no HTTP response");
  return std::atoi(response.c_str() + response.find(' ') + 1);
}

awaitable<Result<void>> replay_entry(store::Store& store, spool::Spool& spool, std::string id) {
  Result<spool::Entry> entry = spool.read(id);
  if (!entry) co_return entry.error();
  store::Delivery job;
  auto add_target = [&job](std::int64_t account) {
    for (const store::DeliveryTarget& t : job.targets)
      if (t.account.value == account) return;
    store::DeliveryTarget target;
    target.account.value = account;
    job.targets.push_back(std::move(target));
  };
  for (std::int64_t account : entry->accounts) add_target(account);
  for (const std::string& address : entry->addresses) {
    std::string lookup = address;
    Result<std::vector<store::AccountId>> accounts =
        co_await store.resolve_recipient(std::move(lookup));
    if (!accounts) {
      if (accounts.error().code == ErrorCode::kUnavailable) co_return accounts.error();
      // Accepted while degraded for a domain that was local; the address is not.
      log::error("spool.recipient_dropped",
                 {log::kv("id", id), log::kv("recipient", address),
                  log::kv("reason", to_string(accounts.error().code))});
      continue;
    }
    for (store::AccountId a : *accounts) add_target(a.value);
  }
  // The crash window between the COMMIT below and the unlink (or a COMMIT whose
  // outcome was unknown): the spool id is the delivery's idempotency key, so a
  // replay of a committed entry stores nothing and gets the earlier results.
  // Each copy also carries the id in a trace field.
  const std::string field = std::string(kSpoolIdField);
  const std::size_t bytes = entry->raw.size();
  if (!job.targets.empty()) {
    job.raw = field + ": " + id + "\r\n" + entry->raw;
    job.meta = delivery::describe(job.raw);
    job.internal_date = entry->received;
    job.idempotency_key = entry->delivery_key.empty() ? "spool:" + id : entry->delivery_key;
    Result<std::vector<Result<store::Delivered>>> results = co_await store.deliver(std::move(job));
    if (!results) co_return results.error();  // nothing committed: try again later
    for (const Result<store::Delivered>& r : *results)
      if (!r)
        log::error("spool.target_failed",
                   {log::kv("id", id), log::kv("reason", r.error().detail)});
  }
  // A crash here delivers nothing twice: see the idempotency key above.
  Result<void> removed = spool.remove(id);
  if (!removed)
    log::error("spool.remove_failed", {log::kv("id", id), log::kv("reason", removed.error().detail)});
  log::info("spool.replayed", {log::kv("id", id), log::kv("bytes", bytes)});
  co_return Result<void>();
}

DegradedMode::DegradedMode(const config::Config& config, store::Store& store,
                           std::unique_ptr<spool::Spool> spool)
    : config_(config),
      store_(store),
      spool_(std::move(spool)),
      domains_(config.data_dir / "local-domains"),
      policy_(config.alert.min_interval) {}

DegradedMode::~DegradedMode() {
  std::lock_guard lock(alerts_mutex_);
  for (std::thread& t : alerts_) t.join();
}

void DegradedMode::start(asio::any_io_executor executor) {
  auto strand = asio::make_strand(executor);
  asio::co_spawn(strand, watch(), asio::detached);
  asio::co_spawn(strand, replay(), asio::detached);
}

Result<void> DegradedMode::spool_message(spool::Entry entry) {
  Result<std::string> id = spool_->write(std::move(entry));
  if (!id) return id.error();
  metrics::default_registry()
      .gauge("taube_spool_messages", "Messages in the local spool, waiting for the store.")
      .set(static_cast<std::int64_t>(spool_->size()));
  return {};
}

awaitable<void> DegradedMode::probe() {
  Result<std::vector<store::Domain>> domains = co_await store_.list_domains();
  if (domains) {
    std::set<std::string> names;
    for (const store::Domain& d : *domains) names.insert(lower(d.name));
    domains_.replace(std::move(names));
  } else {
    log::debug("health.probe_failed", {log::kv("reason", domains.error().detail)});
  }
  last_probe_ok_ = bool(domains);
  probe_in_flight_ = false;
}

awaitable<void> DegradedMode::watch() {
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor);
  metrics::Gauge& gauge = metrics::default_registry().gauge(
      metrics::kDegraded, "1 while the node is degraded (store not ready), else 0.");
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    if (!probe_in_flight_) {
      probe_in_flight_ = true;
      probe_started_ = now;
      asio::co_spawn(executor, probe(), asio::detached);
      // Give a healthy store a moment to answer before judging.
      timer.expires_after(std::chrono::milliseconds(500));
      co_await timer.async_wait(asio::use_awaitable);
    }
    const bool stuck = probe_in_flight_ && std::chrono::steady_clock::now() - probe_started_ > kProbeTimeout;
    const bool degraded = !last_probe_ok_ || stuck;
    if (degraded != degraded_.load()) {
      degraded_ = degraded;
      gauge.set(degraded ? 1 : 0);
      log::write(degraded ? log::Level::kError : log::Level::kInfo,
                 degraded ? "health.degraded" : "health.recovered",
                 {log::kv("spooled", spool_->size())});
    }
    if (std::optional<std::string> state = policy_.observe(degraded, std::chrono::steady_clock::now()))
      alert(*state);
    timer.expires_after(kProbeInterval);
    co_await timer.async_wait(asio::use_awaitable);
  }
}

awaitable<void> DegradedMode::replay() {
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor);
  std::set<std::string> bad;  // corrupt entries, logged once
  metrics::Gauge& gauge = metrics::default_registry().gauge(
      "taube_spool_messages", "Messages in the local spool, waiting for the store.");
  for (;;) {
    gauge.set(static_cast<std::int64_t>(spool_->size()));
    if (!degraded_.load() && spool_->size() > bad.size()) {
      Result<std::vector<std::string>> ids = spool_->list();
      if (ids) {
        for (const std::string& id : *ids) {
          if (bad.count(id)) continue;
          Result<void> r = co_await replay_entry(store_, *spool_, id);
          if (r) continue;
          if (r.error().code == ErrorCode::kUnavailable) break;  // store down again
          log::error("spool.replay_failed", {log::kv("id", id), log::kv("reason", r.error().detail)});
          bad.insert(id);
        }
      }
      gauge.set(static_cast<std::int64_t>(spool_->size()));
    }
    timer.expires_after(kReplayInterval);
    co_await timer.async_wait(asio::use_awaitable);
  }
}

void DegradedMode::alert(const std::string& state) {
  const std::string text =
      state == "degraded"
          ? "taube " + config_.hostname + ": store unreachable; inbound mail goes to the local spool"
          : "taube " + config_.hostname + ": store reachable again; replaying " +
                std::to_string(spool_->size()) + " spooled messages";
  log::warn("alert.fire", {log::kv("state", state), log::kv("text", text)});
  if (config_.alert.command.empty() && config_.alert.webhook.empty()) return;
  const std::string command = config_.alert.command;
  const std::string webhook = config_.alert.webhook;
  const std::string body = "{\"node\":\"" + json_escape(config_.hostname) + "\",\"state\":\"" +
                           state + "\",\"text\":\"" + json_escape(text) + "\"}";
  std::lock_guard lock(alerts_mutex_);
  alerts_.emplace_back([command, webhook, state, text, body] {
    if (!command.empty()) {
      const int status = run_alert_command(command, state, text);
      if (status != 0) log::error("alert.command_failed", {log::kv("status", status)});
    }
    if (!webhook.empty()) {
      Result<int> status = post_webhook(webhook, body);
      if (!status || *status / 100 != 2)
        log::error("alert.webhook_failed",
                   {log::kv("reason", status ? std::to_string(*status) : status.error().detail)});
    }
  });
}

}  // namespace taube::server
