// Degraded mode of a node (DESIGN.md promise 3, "Degraded, never dark"): a health
// watcher that probes the store every few seconds, sets taube_degraded, keeps a
// cache of the local domains while the store is healthy, fires the [alert] hook
// once on becoming degraded and once on recovery (rate-limited), and a replayer
// that delivers the spool (spool/) to the store once it is back. Owned by serve();
// created before the io_context and destroyed after it. Threading: the watcher
// and replayer run on one strand; spool_message() and is_known_local_domain() are
// thread-safe (called from SMTP sessions on any thread).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "server/protocols.hpp"
#include "spool/spool.hpp"
#include "store/store.hpp"

namespace taube::server {

// When to alert (pure, for tests): observe() after every probe returns the state to
// announce, "degraded" or "recovered", or nothing. One alert per change of state;
// none within min_interval of the previous one: a change inside the interval is
// announced at the first observation after it, if it still holds (a flap that has
// settled back is never announced).
class AlertPolicy {
 public:
  explicit AlertPolicy(std::chrono::steady_clock::duration min_interval)
      : min_interval_(min_interval) {}
  std::optional<std::string> observe(bool degraded, std::chrono::steady_clock::time_point now);

 private:
  std::chrono::steady_clock::duration min_interval_;
  bool announced_degraded_ = false;
  std::optional<std::chrono::steady_clock::time_point> last_alert_;
};

// The domains the store called local at the last successful probe. Thread-safe.
// With a file, the list survives restarts: a node started while the store is
// unreachable still knows which mail to spool.
class LocalDomainCache {
 public:
  LocalDomainCache() = default;
  explicit LocalDomainCache(std::filesystem::path file);  // loads it if present
  void replace(std::set<std::string> domains);  // rewrites the file when it changed
  bool contains(std::string_view domain) const;  // domain in lower case

 private:
  mutable std::mutex mutex_;
  std::set<std::string> domains_;
  std::filesystem::path file_;
};

// Runs `command state` through /bin/sh with `text` on stdin; blocks until it ends.
// Returns its exit status (-1 when it could not be started).
int run_alert_command(const std::string& command, const std::string& state,
                      const std::string& text);
// POSTs `body` (JSON) to "http://host:port/path"; blocks (5 s timeouts). Returns
// the HTTP status. Errors: kInvalidArgument (URL), kUnavailable (network).
Result<int> post_webhook(const std::string& url, const std::string& body);

// Delivers one spooled message to the store and removes it from the spool after
// the store confirmed the commit. Each copy gets an "X-Taube-Spool-Id: <id>" trace
// field first; the id is also the delivery's idempotency key, so a replay after a
// crash between the commit and the removal stores nothing twice (for ~7 days,
// see store::Delivery::idempotency_key). Recipients spooled unresolved are resolved now;
// one that no longer resolves is logged and skipped (no DSN yet). Errors:
// kUnavailable (store still down: the entry stays), kInternal (corrupt entry: it
// stays; the replayer logs it once and skips it until the next restart).
boost::asio::awaitable<Result<void>> replay_entry(store::Store& store, spool::Spool& spool,
                                                  std::string id);

class DegradedMode {
 public:
  DegradedMode(const config::Config& config, store::Store& store,
               std::unique_ptr<spool::Spool> spool);
  ~DegradedMode();  // waits for running alert commands/webhooks
  DegradedMode(const DegradedMode&) = delete;
  DegradedMode& operator=(const DegradedMode&) = delete;

  // Starts the watcher and the replayer on a strand of `executor`.
  void start(boost::asio::any_io_executor executor);

  // For SMTP/LMTP sessions (smtp::server::SessionOptions).
  Result<void> spool_message(spool::Entry entry);
  bool is_known_local_domain(std::string_view domain) const { return domains_.contains(domain); }
  bool degraded() const { return degraded_.load(); }

 private:
  boost::asio::awaitable<void> watch();
  boost::asio::awaitable<void> probe();
  boost::asio::awaitable<void> replay();
  void alert(const std::string& state);

  const config::Config& config_;
  store::Store& store_;
  std::unique_ptr<spool::Spool> spool_;
  LocalDomainCache domains_;
  AlertPolicy policy_;
  std::atomic<bool> degraded_{false};
  // Probe bookkeeping, touched only on the strand.
  bool probe_in_flight_ = false;
  bool last_probe_ok_ = true;
  std::chrono::steady_clock::time_point probe_started_{};
  std::mutex alerts_mutex_;
  std::vector<std::thread> alerts_;
};

// add_smtp_protocols (protocols.hpp) with degraded mode: sessions spool mail the
// store cannot take. `degraded` may be null (no spool) and must outlive the listeners.
void add_smtp_protocols(ProtocolRegistry& registry, const config::Config& config,
                        DegradedMode* degraded);
// add_http_protocols (protocols.hpp) whose /readyz answers from the degraded-mode
// watcher's state instead of probing the store itself. `degraded` may be null.
void add_http_protocols(ProtocolRegistry& registry, const config::Config& config,
                        const DegradedMode* degraded);

}  // namespace taube::server
