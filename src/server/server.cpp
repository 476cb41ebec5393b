#include "server/server.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <sys/file.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <cstdio>
#include <thread>
#include <vector>

#include "log/log.hpp"
#include "net/self_signed.hpp"
#include "dns/resolver.hpp"
#include "outbound/dkim_signer.hpp"
#include "outbound/service.hpp"
#include "server/degraded.hpp"
#include "server/protocols.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace taube::server {
namespace {

namespace asio = boost::asio;

// Holds an exclusive lock on <data>/taube.lock for the life of the node, so that two
// nodes never serve one embedded store (they would also fight over the ports).
class DataDirLock {
 public:
  static Result<DataDirLock> acquire(const std::filesystem::path& dir) {
    std::filesystem::path path = dir / "taube.lock";
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return fail(ErrorCode::kUnavailable, "cannot open " + path.string());
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd);
      return fail(ErrorCode::kConflict, "another taube serves " + dir.string() + " (" + path.string() +
                                            " is locked)");
    }
    return DataDirLock(fd);
  }
  DataDirLock(DataDirLock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  DataDirLock& operator=(DataDirLock&&) = delete;
  ~DataDirLock() {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_;
};

std::string listener_summary(const std::vector<std::unique_ptr<net::Listener>>& listeners) {
  std::string out;
  for (const auto& l : listeners) {
    if (!out.empty()) out += ", ";
    out += l->options().protocol + " " + l->options().host + ":" + std::to_string(l->port());
  }
  return out.empty() ? "none yet (each protocol opens its listener once it is built)" : out;
}

void print_welcome(const config::Config& cfg, const std::string& program,
                   const std::vector<std::unique_ptr<net::Listener>>& listeners) {
  std::string data = std::filesystem::absolute(cfg.data_dir).lexically_normal().string();
  std::string cmd = program + (cfg.data_dir == "var" ? "" : " --data " + cfg.data_dir.string());
  std::printf(
      "\nTaube started for the first time.\n"
      "  data:      %s (store taube.db, TLS pair tls/)\n"
      "  listening: %s\n"
      "Add a domain and an account (in another terminal):\n"
      "  %s domain add example.org\n"
      "  %s user add alice@example.org\n"
      "Stop with Ctrl-C (SIGINT) or SIGTERM.\n\n",
      data.c_str(), listener_summary(listeners).c_str(), cmd.c_str(), cmd.c_str());
  std::fflush(stdout);
}

Result<std::vector<std::unique_ptr<net::Listener>>> open_listeners(asio::any_io_executor executor,
                                                                   Services& services,
                                                                   DegradedMode* degraded) {
  ProtocolRegistry registry;
  add_smtp_protocols(registry, services.config, degraded);
  add_imap_protocols(registry, services.config);
  add_http_protocols(registry, services.config, degraded);
  std::vector<std::unique_ptr<net::Listener>> listeners;
  for (std::string_view name : config::kListenerNames) {
    const auto& listener = services.config.listeners.at(std::string(name));
    if (listener.endpoints.empty()) continue;
    auto factory = registry.find(std::string(name));
    if (factory == registry.end()) {
      log::debug("listener.not_built", {log::kv("protocol", name)});
      continue;
    }
    for (const auto& endpoint : listener.endpoints) {
      net::ListenerOptions options{
          .protocol = std::string(name),
          .host = endpoint.host,
          .port = endpoint.port,
          .implicit_tls = factory->second.implicit_tls,
          .max_connections = factory->second.max_connections,
          .max_connections_per_ip = factory->second.max_connections_per_ip,
          .busy_reply = factory->second.busy_reply,
      };
      auto l = net::Listener::open(executor, std::move(options), services.tls,
                                   factory->second.make_handler(services));
      if (!l) return l.error();
      config::Endpoint bound{endpoint.host, (*l)->port()};  // the real port when 0 was asked for
      log::info("listener.open", {log::kv("protocol", name), log::kv("address", bound.to_string())});
      listeners.push_back(std::move(*l));
    }
  }
  for (auto& l : listeners) l->start();
  return listeners;
}

}  // namespace

namespace {

bool is_postgres_url(std::string_view url) {
  return url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
}

// "smtp 127.0.0.1:25, imap ..." from the configuration (what this node serves).
std::string served_listeners(const config::Config& cfg) {
  std::string out;
  for (std::string_view name : config::kListenerNames) {
    auto it = cfg.listeners.find(std::string(name));
    if (it == cfg.listeners.end()) continue;
    for (const auto& e : it->second.endpoints) {
      if (!out.empty()) out += ", ";
      out += std::string(name) + " " + e.to_string();
    }
  }
  return out;
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

// The node's identity in cluster_nodes: stable across restarts of one node (same
// machine, same data directory).
store::postgres::PostgresOptions::Heartbeat heartbeat_of(const config::Config& cfg) {
  std::string data = std::filesystem::absolute(cfg.data_dir).lexically_normal().string();
  return {host_name() + ":" + data, cfg.hostname, TAUBE_VERSION, served_listeners(cfg)};
}

std::string format_age(double seconds) {
  char buf[64];
  if (seconds < 120) {
    std::snprintf(buf, sizeof buf, "%.1fs", seconds);
  } else if (seconds < 7200) {
    std::snprintf(buf, sizeof buf, "%.0fm", seconds / 60);
  } else {
    std::snprintf(buf, sizeof buf, "%.0fh", seconds / 3600);
  }
  return buf;
}

}  // namespace

Result<OpenedStore> open_store(const config::Config& cfg, bool serving) {
  if (!cfg.store_url.empty()) {
    if (!is_postgres_url(cfg.store_url))
      return fail(ErrorCode::kInvalidArgument,
                  "store.url \"" + cfg.store_url + "\": expected postgresql://... (or empty for SQLite)");
    store::postgres::PostgresOptions options;
    options.conninfo = cfg.store_url;
    options.start_unavailable = serving;
    if (serving) options.heartbeat = heartbeat_of(cfg);
    auto s = store::postgres::open_postgres_store(options);
    if (!s) return s.error();
    return OpenedStore{std::move(*s), false};
  }
  std::error_code ec;
  std::filesystem::create_directories(cfg.data_dir, ec);
  if (ec) return fail(ErrorCode::kUnavailable, "cannot create " + cfg.data_dir.string() + ": " + ec.message());
  OpenedStore opened;
  opened.created = !std::filesystem::exists(cfg.sqlite_path());
  store::sqlite::SqliteOptions options;
  options.path = cfg.sqlite_path();
  auto s = store::sqlite::open_sqlite_store(options);
  if (!s) return s.error();
  opened.store = std::move(*s);
  return opened;
}

Result<std::string> cluster_status(const config::Config& cfg) {
  std::string out;
  if (cfg.store_url.empty()) {
    // One node on an embedded SQLite store: its lock tells whether it runs.
    std::error_code ec;
    bool exists = std::filesystem::exists(cfg.sqlite_path(), ec);
    bool running = false;
    std::filesystem::path lock = cfg.data_dir / "taube.lock";
    if (int fd = ::open(lock.c_str(), O_RDWR | O_CLOEXEC); fd >= 0) {
      running = ::flock(fd, LOCK_EX | LOCK_NB) != 0;
      ::close(fd);
    }
    out += "store: sqlite " + cfg.sqlite_path().string() + (exists ? "" : " (not created yet)") + "\n";
    out += "nodes: 1 (single node)\n";
    out += "  " + host_name() + ":" + std::filesystem::absolute(cfg.data_dir).lexically_normal().string() +
           "  " + (running ? "running" : "not running") + "  version " + TAUBE_VERSION +
           "  serves " + served_listeners(cfg) + "\n";
    return out;
  }
  auto status = store::postgres::read_cluster_status(cfg.store_url);
  if (!status) return status.error();
  out += "database: " + status->server + " " + (status->primary ? "primary" : "standby (read-only)") +
         "\n";
  if (status->primary) {
    out += "  synchronous_standby_names: " +
           (status->synchronous_standby_names.empty() ? std::string("(none: asynchronous)")
                                                      : status->synchronous_standby_names) +
           "\n  synchronous_commit: " + status->synchronous_commit + "\n";
    out += "  standbys: " + std::to_string(status->standbys.size()) + "\n";
    for (const auto& s : status->standbys) out += "    " + s + "\n";
  }
  out += "nodes: " + std::to_string(status->nodes.size()) + "\n";
  for (const auto& n : status->nodes) {
    out += "  " + n.node_id + "  host " + n.host + "  version " + n.version + "  up " +
           format_age(static_cast<double>(n.last_seen - n.started) + n.age_s) + "  last seen " +
           format_age(n.age_s) + " ago" + (n.age_s > 15 ? " (STALE)" : "") + "\n    serves " +
           (n.serves.empty() ? std::string("nothing") : n.serves) + "\n";
  }
  return out;
}

Result<bool> init_node(const config::Config& cfg) {
  auto opened = open_store(cfg);
  if (!opened) return opened.error();
  auto tls = net::ensure_self_signed(cfg.cert_file(), cfg.key_file(), cfg.hostname);
  if (!tls) return tls.error();
  if (*tls) log::info("tls.self_signed_created", {log::kv("cert", cfg.cert_file().string())});
  return opened->created || *tls;
}

int serve(const config::Config& cfg, const std::string& program) {
  // A fixed mmap threshold (it also turns off glibc's dynamic one): big
  // transient blocks, argon2's 19 MiB per password check above all, are
  // mapped and unmapped instead of staying resident in the heap after the
  // first logins (measured: ~40 MB of a server holding 2,000 idle IMAP sessions).
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  std::error_code ec;
  std::filesystem::create_directories(cfg.data_dir, ec);
  auto lock = DataDirLock::acquire(cfg.data_dir);
  if (!lock) {
    log::error("server.start_failed", {log::kv("reason", lock.error().detail)});
    return 1;
  }
  auto opened = open_store(cfg, true);
  if (!opened) {
    log::error("server.start_failed", {log::kv("reason", opened.error().detail)});
    return 1;
  }
  auto tls = net::ensure_self_signed(cfg.cert_file(), cfg.key_file(), cfg.hostname);
  if (!tls) {
    log::error("server.start_failed", {log::kv("reason", tls.error().detail)});
    return 1;
  }

  auto tls_contexts = net::TlsContexts::load(cfg.cert_file(), cfg.key_file());
  if (!tls_contexts) {
    log::error("server.start_failed", {log::kv("reason", tls_contexts.error().detail)});
    return 1;
  }

  auto spool = spool::Spool::open(cfg.spool_dir(), cfg.spool.max_bytes);
  if (!spool) {
    log::error("server.start_failed", {log::kv("reason", spool.error().detail)});
    return 1;
  }
  if ((*spool)->size() > 0)
    log::warn("spool.pending", {log::kv("messages", (*spool)->size()),
                                log::kv("directory", cfg.spool_dir().string())});

  {  // The node's runtime; everything in here ends before the store closes.
  // Before the io_context: its coroutines (watcher, replayer) die with the io_context,
  // then this waits for running alert commands.
  DegradedMode degraded(cfg, *opened->store, std::move(*spool));
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  // Declared first, destroyed last in this scope: suspended sessions are destroyed
  // with it, after the listeners and before the store.
  asio::io_context io{int(threads)};
  auth::Authenticator authenticator(*opened->store);
  Services services{cfg, *opened->store, authenticator, *tls_contexts};
  auto listeners = open_listeners(io.get_executor(), services, &degraded);
  if (!listeners) {
    log::error("server.start_failed", {log::kv("reason", listeners.error().detail)});
    return 1;
  }
  asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& error, int signo) {
        if (error) return;
        if (signo == SIGHUP) {
          auto r = services.tls->reload();
          if (r) {
            log::info("server.reload", {log::kv("what", "tls"), log::kv("cert", cfg.cert_file().string())});
          } else {
            log::error("server.reload_failed", {log::kv("reason", r.error().detail)});
          }
          signals.async_wait(on_signal);
          return;
        }
        log::info("server.stopping", {log::kv("signal", signo == SIGTERM ? "SIGTERM" : "SIGINT")});
        for (auto& l : *listeners) l->stop();
        io.stop();
      };
  signals.async_wait(on_signal);
  degraded.start(io.get_executor());
  // Outbound delivery from the store's queue (src/outbound): a background service
  // with its own DNS resolver; both end with the io_context.
  std::unique_ptr<dns::Resolver> resolver;
  std::unique_ptr<outbound::Service> outbound_service;
  if (cfg.outbound.enabled) {
    auto r = dns::Resolver::create(io.get_executor(),
                                   dns::ResolverOptions{cfg.dns.resolver, cfg.dns.timeout, cfg.dns.trust_anchor_file});
    if (r) {
      resolver = std::move(*r);
    } else {
      log::warn("dns.unavailable", {log::kv("reason", r.error().detail)});  // routes still work
    }
    outbound_service = outbound::make_service(io.get_executor(), cfg, *opened->store, opened->store->queue(),
                                              resolver.get(), outbound::make_dkim_signer(cfg.dkim_dir()));
    outbound_service->start();
  }

  if (opened->created) print_welcome(cfg, program, *listeners);
  const std::string store_name = cfg.store_url.empty() ? cfg.sqlite_path().string() : "postgresql";
  log::info("server.ready", {log::kv("data", cfg.data_dir.string()), log::kv("store", store_name),
                             log::kv("threads", threads), log::kv("pid", ::getpid())});

  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : pool) t.join();
  listeners->clear();
  // Sessions suspended in a store operation belong to that operation's completion
  // handler: let the store finish them (their completions land in the stopped
  // io_context), then the io_context destroys every suspended session while the
  // store they may unsubscribe from still exists.
  opened->store->drain();
  }
  opened->store.reset();  // drains the engine's queue and closes the database
  log::info("server.stopped");
  return 0;
}

}  // namespace taube::server
