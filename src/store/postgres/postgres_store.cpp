// The PostgreSQL engine's io thread, connection pool, group commit, change
// notifications (LISTEN/NOTIFY) and the asynchronous facade over ops::*.
#include "store/postgres/postgres_store.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <condition_variable>
#include <mutex>
#include <deque>
#include <future>
#include <random>
#include <thread>
#include <type_traits>

#include "store/change_hub.hpp"
#include "store/content.hpp"
#include "store/postgres/ops.hpp"
#include "store/postgres/pg_conn.hpp"
#include "store/postgres/schema.hpp"

namespace taube::store::postgres {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using ops::Changes;

// A queued operation. run() executes it on the io thread over a connection;
// it rethrows PgErrors that doom the whole transaction (lost connection,
// deadlock, serialization failure) and turns the others into its result.
// complete() hands the result to the caller's executor and is called once.
class Job {
 public:
  virtual ~Job() = default;
  virtual awaitable<bool> run(PgConn& conn, Changes& changes) = 0;
  // True when running it again after a COMMIT of unknown outcome is safe: the
  // operation finds out itself whether it already happened (an idempotency key).
  virtual bool idempotent() const = 0;
  virtual void fail(const Error& e) = 0;
  virtual void complete() = 0;
};

template <class R, class F, class Handler>
class JobImpl final : public Job {
 public:
  JobImpl(F fn, Handler handler, bool idempotent)
      : idempotent_(idempotent),
        fn_(std::move(fn)),
        handler_(std::move(handler)),
        // Keeps the caller's io_context from running out of work while we hold
        // its continuation.
        work_(asio::prefer(asio::get_associated_executor(handler_),
                           asio::execution::outstanding_work.tracked)) {}

  awaitable<bool> run(PgConn& conn, Changes& changes) override {
    result_.reset();
    std::optional<Error> error;
    try {
      auto op = fn_(conn, changes);
      result_.emplace(co_await std::move(op));
    } catch (const PgError& e) {
      if (e.connection_lost() || e.retryable() || e.read_only_server() || conn.is_bad()) throw;
      error = e.to_error();
    } catch (const std::exception& e) {
      error = Error{ErrorCode::kInternal, e.what()};
    }
    if (error) result_.emplace(boost::system::in_place_error, std::move(*error));
    co_return result_->has_value();
  }

  bool idempotent() const override { return idempotent_; }
  void fail(const Error& e) override { result_.emplace(boost::system::in_place_error, e); }

  void complete() override {
    if (!result_)
      result_.emplace(boost::system::in_place_error, Error{ErrorCode::kInternal, "not run"});
    asio::post(work_, [h = std::move(handler_), r = std::move(*result_)]() mutable {
      std::move(h)(std::move(r));
    });
  }

 private:
  using Executor =
      std::decay_t<decltype(asio::prefer(asio::get_associated_executor(std::declval<Handler&>()),
                                         asio::execution::outstanding_work.tracked))>;
  bool idempotent_;
  F fn_;
  Handler handler_;
  Executor work_;
  std::optional<R> result_;
};

std::string change_payload(std::uint64_t node, const MailboxChange& c) {
  return std::to_string(node) + " " + std::to_string(c.account.value) + " " +
         std::to_string(c.mailbox.value) + " " + std::to_string(c.highest_modseq) + " " +
         std::to_string(c.uid_next) + " " + (c.deleted ? "1" : "0");
}

// "node account mailbox highest_modseq uid_next deleted"; nullopt if malformed.
std::optional<std::pair<std::uint64_t, MailboxChange>> parse_payload(std::string_view s) {
  std::uint64_t v[6] = {};
  const char* p = s.data();
  const char* end = s.data() + s.size();
  for (int i = 0; i < 6; ++i) {
    while (p < end && *p == ' ') ++p;
    auto [next, ec] = std::from_chars(p, end, v[i]);
    if (ec != std::errc()) return std::nullopt;
    p = next;
  }
  MailboxChange c{AccountId{static_cast<std::int64_t>(v[1])},
                  MailboxId{static_cast<std::int64_t>(v[2])}, v[3], static_cast<Uid>(v[4]),
                  v[5] != 0};
  return std::make_pair(v[0], c);
}

// "target_session_attrs=read-write" -> "...=prefer-standby" (URL or key=value
// form); "" when the conninfo does not ask for a writable server.
std::string standby_conninfo_of(const std::string& conninfo) {
  constexpr std::string_view kWrite = "target_session_attrs=read-write";
  auto at = conninfo.find(kWrite);
  if (at == std::string::npos) return "";
  std::string out = conninfo;
  out.replace(at, kWrite.size(), "target_session_attrs=prefer-standby");
  return out;
}

using Clock = std::chrono::steady_clock;

// Reconnect attempts during a failover: 50 ms doubling up to this. Short, so that
// writes resume within a fraction of a second of the promotion (an attempt on
// loopback or a LAN costs a refused connection or a read-only answer).
constexpr std::chrono::milliseconds kMaxBackoff{250};

// The loops catch every database error; anything else escaping one is a bug
// and must not be swallowed (co_spawn's `detached` would).
void rethrow(std::exception_ptr e) {
  if (e) std::rethrow_exception(e);
}

class Engine {
 public:
  explicit Engine(PostgresOptions options)
      : options_(std::move(options)), wake_(io_), listen_retry_(io_), heartbeat_timer_(io_) {
    if (options_.max_batch_jobs == 0) options_.max_batch_jobs = 1;
    if (options_.standby_conninfo.empty())
      options_.standby_conninfo = standby_conninfo_of(options_.conninfo);
    std::random_device rd;
    node_id_ = (std::uint64_t{rd()} << 32 | rd()) & 0x7fffffffffffffffULL;
    wake_.expires_at(asio::steady_timer::time_point::max());
    std::promise<void> ready;
    auto started = ready.get_future();
    asio::co_spawn(io_, start(), [this, &ready](std::exception_ptr e) {
      if (e) {
        ready.set_exception(e);
        return;
      }
      ready.set_value();
    });
    thread_ = std::thread([this] { io_.run(); });
    try {
      started.get();
    } catch (...) {
      shutdown();
      throw;
    }
  }

  ~Engine() { shutdown(); }

  template <class F>
  auto write(F fn) {
    return submit(std::move(fn), true, false);
  }
  // A write that may run again after a COMMIT of unknown outcome (see Job).
  template <class F>
  auto write_idempotent(F fn) {
    return submit(std::move(fn), true, true);
  }
  template <class F>
  auto read(F fn) {
    return submit(std::move(fn), false, false);
  }

  ChangeHub& hub() { return hub_; }
  const PostgresOptions& options() const { return options_; }

  // Waits until every submitted job has run and posted its completion.
  void drain() {
    std::unique_lock lock(pending_mu_);
    pending_cv_.wait(lock, [&] { return pending_ == 0; });
  }

 private:
  // Hands a job's result to its caller; drain() counts on this being the only way.
  void complete(Job& job) {
    job.complete();
    std::lock_guard lock(pending_mu_);
    if (--pending_ == 0) pending_cv_.notify_all();
  }

  template <class F>
  auto submit(F fn, bool is_write, bool idempotent) {
    using R = typename std::invoke_result_t<F&, PgConn&, Changes&>::value_type;
    return asio::async_initiate<decltype(asio::use_awaitable), void(R)>(
        [this, is_write, idempotent](auto handler, F f) {
          std::unique_ptr<Job> job = std::make_unique<JobImpl<R, F, decltype(handler)>>(
              std::move(f), std::move(handler), idempotent);
          {
            std::lock_guard lock(pending_mu_);
            ++pending_;
          }
          asio::post(io_, [this, is_write, job = std::move(job)]() mutable {
            (is_write ? write_queue_ : read_queue_).push_back(std::move(job));
            wake_.cancel();
          });
        },
        asio::use_awaitable, std::move(fn));
  }

  void shutdown() {
    if (!thread_.joinable()) return;
    asio::post(io_, [this] {
      stopping_ = true;
      wake_.cancel();
      listen_retry_.cancel();
      heartbeat_timer_.cancel();
      if (listener_) listener_->cancel_wait();
    });
    thread_.join();
  }

  // A connection to the writable primary (the conninfo as configured). Its
  // failures and successes tell the retry policy whether the database is down.
  awaitable<std::unique_ptr<PgConn>> open_conn() {
    std::unique_ptr<PgConn> conn;
    try {
      auto op = open_session(options_.conninfo);
      conn = co_await std::move(op);
      if (!migrated_) {
        co_await migrate(*conn, options_.schema_version);
        migrated_ = true;
      }
    } catch (const PgError&) {
      primary_failed_at_ = Clock::now();
      if (!down_since_) down_since_ = primary_failed_at_;
      throw;
    }
    down_since_.reset();
    primary_failed_at_.reset();
    co_return conn;
  }

  awaitable<std::unique_ptr<PgConn>> open_session(const std::string& conninfo) {
    auto conn = co_await PgConn::connect(io_, conninfo, options_.connect_timeout);
    // Durability is not left to the server's default: a write completes only
    // after its COMMIT is flushed (and, with synchronous standbys, replicated).
    co_await conn->exec_script("SET synchronous_commit TO on; SET client_min_messages TO warning");
    co_return conn;
  }

  // Whether an operation that started at `started` may try once more: within
  // its own retry budget, and the database not unreachable for longer than it.
  bool may_retry(Clock::time_point started) const {
    if (stopping_) return false;
    auto now = Clock::now();
    if (now - started >= options_.retry_budget) return false;
    return !down_since_ || now - *down_since_ < options_.retry_budget;
  }

  // Reads go to the standby while the primary has refused a connection within
  // the last second (then the primary is tried again).
  bool read_from_standby() const {
    return !options_.standby_conninfo.empty() && primary_failed_at_ &&
           Clock::now() - *primary_failed_at_ < std::chrono::seconds(1);
  }

  awaitable<void> sleep(std::chrono::milliseconds d) {
    asio::steady_timer t(io_);
    t.expires_after(d);
    boost::system::error_code ec;
    co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }

  // Connects, migrates, LISTENs, then starts the pool's loops. Throws on failure,
  // unless start_unavailable: then the loops start anyway and connect (and
  // migrate) when they can.
  awaitable<void> start() {
    std::unique_ptr<PgConn> listener;
    try {
      listener = co_await open_conn();
      std::string listen = "LISTEN " + quoted_channel();
      co_await listener->exec_script(listen);
    } catch (const PgError&) {
      if (!options_.start_unavailable) throw;
      listener.reset();
    } catch (const std::exception&) {
      throw;  // a database newer than this code: never start on it
    }
    asio::co_spawn(io_, listen_loop(std::move(listener)), rethrow);
    int writers = std::max(1, options_.pool_size / 2);
    int readers = std::max(1, options_.pool_size - writers);
    for (int i = 0; i < writers; ++i) asio::co_spawn(io_, writer_loop(), rethrow);
    for (int i = 0; i < readers; ++i) asio::co_spawn(io_, reader_loop(), rethrow);
    if (options_.heartbeat) asio::co_spawn(io_, heartbeat_loop(), rethrow);
  }

  std::string quoted_channel() const {
    std::string out = "\"";
    for (char c : options_.channel) {
      if (c == '"') out += '"';
      out += c;
    }
    return out + "\"";
  }

  awaitable<void> wait_for_work() {
    boost::system::error_code ec;
    co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }

  awaitable<void> writer_loop() {
    std::unique_ptr<PgConn> conn;
    for (;;) {
      if (write_queue_.empty()) {
        if (stopping_) co_return;
        co_await wait_for_work();
        continue;
      }
      std::vector<std::unique_ptr<Job>> batch;
      while (!write_queue_.empty() && batch.size() < options_.max_batch_jobs) {
        batch.push_back(std::move(write_queue_.front()));
        write_queue_.pop_front();
      }
      co_await run_batch(conn, batch);
    }
  }

  // Group commit: each job runs in its own SAVEPOINT of one transaction and
  // callers learn their result only after COMMIT returned. A transaction that
  // failed before COMMIT was sent (lost connection, failover, deadlock) has left
  // nothing behind and runs again, on a fresh connection with backoff, within
  // the retry budget. A connection lost while COMMIT was in flight leaves the
  // outcome unknown: only idempotent jobs (deliveries with an idempotency key,
  // which find out themselves whether they already happened) run again; the
  // others fail with kUnavailable. Nothing of unknown outcome, and no COMMIT
  // whose wait for the synchronous standby was cancelled, is reported as success.
  awaitable<void> run_batch(std::unique_ptr<PgConn>& conn,
                            std::vector<std::unique_ptr<Job>>& batch) {
    Changes changes;
    std::optional<Error> batch_error;
    const auto started = Clock::now();
    std::chrono::milliseconds backoff{50};
    int deadlocks = 0;
    for (;;) {
      changes.clear();
      bool commit_sent = false;
      bool injected = false;
      bool connecting = false;
      bool not_durable = false;
      std::optional<PgError> error;
      try {
        if (!conn || conn->is_bad()) {
          connecting = true;
          conn = co_await open_conn();
          connecting = false;
        }
        co_await conn->exec_script("BEGIN");
        for (auto& job : batch) {
          co_await conn->exec_script("SAVEPOINT job");
          size_t mark = changes.size();
          if (co_await job->run(*conn, changes)) {
            co_await conn->exec_script("RELEASE job");
          } else {
            co_await conn->exec_script("ROLLBACK TO job; RELEASE job");
            changes.resize(mark);
          }
        }
        if (!changes.empty()) co_await notify(*conn, changes);
        if (options_.on_commit) {
          ++hook_calls_;
          if (!options_.on_commit()) {
            injected = true;
            throw PgError("COMMIT failed (injected)", "", false);
          }
        }
        conn->reset_notices();
        commit_sent = true;
        auto r = co_await conn->query("COMMIT");
        // COMMIT of an aborted transaction answers ROLLBACK, without an error.
        if (r.command() != "COMMIT") throw PgError("COMMIT answered " + r.command(), "", false);
        if (conn->sync_rep_cancelled()) {
          not_durable = true;
          throw PgError("COMMIT's wait for the synchronous standby was cancelled", "", false);
        }
        break;
      } catch (const PgError& e) {
        error = e;
      }
      bool lost = !conn || conn->is_bad() || error->connection_lost() ||
                  error->read_only_server();
      if (!lost && !commit_sent) {
        try {
          co_await conn->exec_script("ROLLBACK");
        } catch (const PgError&) {
          lost = true;
        }
      }
      if (lost) conn.reset();
      // An error answer to COMMIT means it rolled back; only a connection lost
      // while it was in flight leaves the outcome unknown.
      bool unknown = commit_sent && lost;
      if (injected || not_durable || (commit_sent && !lost && !error->retryable())) {
        batch_error = Error{ErrorCode::kUnavailable,
                            std::string("commit failed: ") + error->what()};
        break;
      }
      // Jobs of one batch may lock mailboxes in an order that conflicts with
      // another transaction's (this node's other writer, another node): after
      // a deadlock, run them one per transaction, where each takes its locks
      // in ascending order.
      if (!unknown && !lost && error->retryable() && batch.size() > 1) {
        for (auto& job : batch) {
          std::vector<std::unique_ptr<Job>> one;
          one.push_back(std::move(job));
          co_await run_batch(conn, one);
        }
        co_return;
      }
      if (!unknown && !lost && error->retryable() && ++deadlocks <= 4) continue;
      if (unknown) {
        // Those that cannot tell whether they happened are answered now.
        std::vector<std::unique_ptr<Job>> again;
        for (auto& job : batch) {
          if (job->idempotent()) {
            again.push_back(std::move(job));
            continue;
          }
          job->fail(Error{ErrorCode::kUnavailable,
                          std::string("the outcome of COMMIT is unknown: ") + error->what()});
          complete(*job);
        }
        batch = std::move(again);
        if (batch.empty()) co_return;
      }
      if ((lost || connecting) && may_retry(started)) {
        co_await sleep(backoff);
        backoff = std::min(backoff * 2, kMaxBackoff);
        continue;
      }
      batch_error = Error{ErrorCode::kUnavailable,
                          std::string(unknown ? "the outcome of COMMIT is unknown: "
                                              : "transaction failed: ") +
                              error->what()};
      break;
    }
    if (batch_error) {
      for (auto& job : batch) job->fail(*batch_error);
      changes.clear();
    }
    hub_.publish(changes);
    for (auto& job : batch) complete(*job);
  }

  // One NOTIFY per changed mailbox, sent inside the transaction: PostgreSQL
  // delivers it at COMMIT and drops it on ROLLBACK.
  awaitable<void> notify(PgConn& conn, const Changes& changes) {
    std::string payloads = "{";
    for (const auto& c : changes) {
      if (payloads.size() > 1) payloads += ',';
      payloads += '"' + change_payload(node_id_, c) + '"';
    }
    payloads += '}';
    co_await conn.query("SELECT pg_notify($1, p) FROM unnest($2::text[]) p", options_.channel,
                        payloads);
  }

  // Reads run on the primary, or on the standby while the primary refuses
  // connections (failover, outage): they have no side effects, so a lost
  // connection is simply replaced and the read run again within the budget.
  awaitable<void> reader_loop() {
    std::unique_ptr<PgConn> primary;
    std::unique_ptr<PgConn> standby;
    for (;;) {
      if (read_queue_.empty()) {
        if (stopping_) co_return;
        co_await wait_for_work();
        continue;
      }
      auto job = std::move(read_queue_.front());
      read_queue_.pop_front();
      Changes unused;
      const auto started = Clock::now();
      std::chrono::milliseconds backoff{50};
      int retries = 0;
      for (;;) {
        const bool on_standby = read_from_standby();
        auto& conn = on_standby ? standby : primary;
        std::optional<PgError> error;
        bool connecting = false;
        try {
          if (!conn || conn->is_bad()) {
            connecting = true;
            if (on_standby) {
              auto op = open_session(options_.standby_conninfo);
              conn = co_await std::move(op);
            } else {
              conn = co_await open_conn();
            }
            connecting = false;
          }
          // One snapshot for all statements of the job.
          co_await conn->exec_script("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
          co_await job->run(*conn, unused);
          co_await conn->exec_script("COMMIT");
          break;
        } catch (const PgError& e) {
          error = e;
        }
        bool lost = !conn || conn->is_bad() || error->connection_lost();
        if (!lost) {
          try {
            co_await conn->exec_script("ROLLBACK");
          } catch (const PgError&) {
            lost = true;
          }
        }
        if (lost) conn.reset();
        // The primary refused: the next round goes to the standby at once.
        if (connecting && !on_standby && !options_.standby_conninfo.empty()) {
          if (++retries <= 8) continue;
        }
        if (!lost && !connecting && error->retryable() && ++retries <= 4) continue;
        if ((lost || connecting) && !stopping_ &&
            Clock::now() - started < options_.retry_budget &&
            (on_standby || may_retry(started))) {
          if (retries++ > 0) {
            co_await sleep(backoff);
            backoff = std::min(backoff * 2, kMaxBackoff);
          }
          continue;
        }
        job->fail(Error{ErrorCode::kUnavailable, std::string("read failed: ") + error->what()});
        break;
      }
      complete(*job);
    }
  }

  // Other nodes' changes arrive as notifications on this connection; ours were
  // published after our own COMMITs and are skipped by node id. A lost listener
  // connection is re-established with a delay; changes in that gap are missed.
  awaitable<void> listen_loop(std::unique_ptr<PgConn> conn) {
    while (!stopping_) {
      if (!conn) {
        try {
          conn = co_await open_conn();
          std::string listen = "LISTEN " + quoted_channel();
          co_await conn->exec_script(listen);
        } catch (const PgError&) {
          conn.reset();
        }
        if (!conn) {
          listen_retry_.expires_after(std::chrono::milliseconds(200));
          boost::system::error_code ec;
          co_await listen_retry_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
          continue;
        }
      }
      listener_ = conn.get();
      deliver_notifications(*conn);
      bool readable = co_await conn->wait_readable();
      listener_ = nullptr;
      if (stopping_) break;
      if (!readable) continue;
      if (PQconsumeInput(conn->native()) == 0 || conn->is_bad()) {
        conn.reset();
        continue;
      }
      deliver_notifications(*conn);
    }
  }

  // The node's row in cluster_nodes, refreshed every 5 s on a connection of its
  // own; rows of nodes not seen for a day are removed. Failures are retried on
  // the next beat (a node in degraded mode simply stops refreshing).
  awaitable<void> heartbeat_loop() {
    const auto& hb = *options_.heartbeat;
    const auto started = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
    std::unique_ptr<PgConn> conn;
    while (!stopping_) {
      try {
        if (!conn || conn->is_bad()) conn = co_await open_conn();
        co_await conn->query(
            "INSERT INTO cluster_nodes(node_id, host, version, serves, started_at, last_seen) "
            "VALUES ($1, $2, $3, $4, to_timestamp($5), now()) ON CONFLICT (node_id) DO UPDATE SET "
            "host = EXCLUDED.host, version = EXCLUDED.version, serves = EXCLUDED.serves, "
            "started_at = EXCLUDED.started_at, last_seen = now()",
            hb.node_id, hb.host, hb.version, hb.serves, started);
        co_await conn->query(
            "DELETE FROM cluster_nodes WHERE last_seen < now() - interval '1 day'");
      } catch (const PgError&) {
        conn.reset();
      }
      if (stopping_) break;  // shutdown() cancelled no wait of ours
      heartbeat_timer_.expires_after(std::chrono::seconds(5));
      boost::system::error_code ec;
      co_await heartbeat_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  void deliver_notifications(PgConn& conn) {
    Changes changes;
    while (PGnotify* n = PQnotifies(conn.native())) {
      auto parsed = parse_payload(n->extra ? n->extra : "");
      PQfreemem(n);
      if (parsed && parsed->first != node_id_) changes.push_back(parsed->second);
    }
    if (!changes.empty()) hub_.publish(changes);
  }

  PostgresOptions options_;
  std::uint64_t node_id_ = 0;
  ChangeHub hub_;
  asio::io_context io_;
  asio::steady_timer wake_;  // cancelled to wake idle loops; never expires
  asio::steady_timer listen_retry_;
  asio::steady_timer heartbeat_timer_;
  // io thread only:
  std::deque<std::unique_ptr<Job>> write_queue_;
  std::deque<std::unique_ptr<Job>> read_queue_;
  bool stopping_ = false;
  PgConn* listener_ = nullptr;
  std::uint64_t hook_calls_ = 0;
  bool migrated_ = false;
  // Since when the primary refuses connections; the last refusal.
  std::optional<Clock::time_point> down_since_;
  std::optional<Clock::time_point> primary_failed_at_;
  std::thread thread_;
  std::mutex pending_mu_;
  std::condition_variable pending_cv_;
  std::size_t pending_ = 0;  // submitted, not yet completed: see drain()
};

Result<ops::PreparedBlob> prepare_blob(const std::string& raw, std::size_t max_bytes) {
  if (raw.size() > max_bytes) return fail(ErrorCode::kTooLarge, "message too large");
  auto frame = compress(raw);
  if (!frame) return frame.error();
  return ops::PreparedBlob{sha256_hex(raw), std::move(*frame), raw.size()};
}

// 128 random bits as hex.
std::string random_key() {
  thread_local std::mt19937_64 gen{std::random_device{}() ^
                                   (std::uint64_t{std::random_device{}()} << 32)};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 2; ++i) {
    std::uint64_t v = gen();
    for (int j = 0; j < 16; ++j, v >>= 4) out += kHex[v & 15];
  }
  return out;
}

// Hashing and compression happen on the caller's thread, not the io thread.
Async<std::vector<Result<Delivered>>> deliver_on(Engine& engine, Delivery d) {
  auto blob = prepare_blob(d.raw, engine.options().max_message_bytes);
  if (!blob) co_return blob.error();
  d.raw = std::string();
  // Every delivery carries an idempotency key (the caller's, or one of its own),
  // so that a COMMIT whose outcome was lost with the connection is resolved by
  // running it again: the store answers the earlier results if it had committed.
  if (d.idempotency_key.empty()) d.idempotency_key = "pg-engine:" + random_key();
  // GCC 12: build the operation in its own statement, never inside co_await.
  auto op = engine.write_idempotent([d = std::move(d), b = std::move(*blob)](
                                        PgConn& c, Changes& ch) { return ops::deliver(c, ch, d, b); });
  co_return co_await std::move(op);
}

class PostgresBlobStore final : public BlobStore {
 public:
  explicit PostgresBlobStore(Engine& engine) : engine_(engine) {}

  Async<std::string> put(std::string raw) override {
    auto blob = prepare_blob(raw, engine_.options().max_message_bytes);
    if (!blob) co_return blob.error();
    auto op =
        engine_.write([b = std::move(*blob)](PgConn& c, Changes&) { return ops::put_blob(c, b); });
    co_return co_await std::move(op);
  }
  Async<std::string> get(std::string hash) override {
    auto max = engine_.options().max_message_bytes;
    auto op = engine_.read([hash](PgConn& c, Changes&) { return ops::get_blob_frame(c, hash); });
    auto frame = co_await std::move(op);
    if (!frame) co_return frame.error();
    co_return decompress(*frame, max);
  }
  Async<void> erase(std::string hash) override {
    return engine_.write([hash](PgConn& c, Changes&) { return ops::erase_blob(c, hash); });
  }
  Async<std::uint64_t> count() override {
    return engine_.read([](PgConn& c, Changes&) { return ops::count_blobs(c); });
  }

 private:
  Engine& engine_;
};

class PostgresQueueStore final : public QueueStore {
 public:
  explicit PostgresQueueStore(Engine& engine) : e_(engine) {}

  Async<std::vector<QueueEntryId>> enqueue(std::string raw, Outbound outbound) override {
    auto blob = prepare_blob(raw, e_.options().max_message_bytes);
    if (!blob) co_return blob.error();
    auto op = e_.write([o = std::move(outbound), b = std::move(*blob)](PgConn& c, Changes&) {
      return ops::enqueue(c, o, b);
    });
    co_return co_await std::move(op);
  }
  Async<std::vector<QueueEntry>> claim(std::string node, std::size_t max,
                                       std::chrono::seconds lease) override {
    return e_.write(
        [node, max, lease](PgConn& c, Changes&) { return ops::claim(c, node, max, lease); });
  }
  Async<void> renew(QueueEntryId id, std::string node, std::chrono::seconds lease) override {
    return e_.write(
        [id, node, lease](PgConn& c, Changes&) { return ops::renew(c, id, node, lease); });
  }
  Async<std::string> read_message(QueueEntryId id) override {
    auto max = e_.options().max_message_bytes;
    auto op = e_.read([id](PgConn& c, Changes&) { return ops::read_queue_frame(c, id); });
    auto frame = co_await std::move(op);
    if (!frame) co_return frame.error();
    co_return decompress(*frame, max);
  }
  Async<void> record_attempt(QueueEntryId id, std::string node, AttemptResult r) override {
    return e_.write([id, node, r = std::move(r)](PgConn& c, Changes&) {
      return ops::record_attempt(c, id, node, r);
    });
  }
  Async<std::vector<QueueEntry>> list() override {
    return e_.read([](PgConn& c, Changes&) { return ops::list_queue(c); });
  }
  Async<QueueEntry> get(QueueEntryId id) override {
    return e_.read([id](PgConn& c, Changes&) { return ops::get_queue_entry(c, id); });
  }
  Async<void> hold(QueueEntryId id, bool held) override {
    return e_.write(
        [id, held](PgConn& c, Changes&) { return ops::hold_queue_entry(c, id, held); });
  }
  Async<void> retry_now(QueueEntryId id) override {
    return e_.write([id](PgConn& c, Changes&) { return ops::retry_queue_entry(c, id); });
  }
  Async<void> remove(QueueEntryId id) override {
    return e_.write([id](PgConn& c, Changes&) { return ops::remove_queue_entry(c, id); });
  }
  Async<std::uint64_t> depth() override {
    return e_.read([](PgConn& c, Changes&) { return ops::queue_depth(c); });
  }

 private:
  Engine& e_;
};

// Calendars and address books: the etag is hashed on the caller's thread; the
// access checks and preconditions run in the writer's transaction (the collection row locked).
class PostgresDavStore final : public DavStore {
 public:
  explicit PostgresDavStore(Engine& engine) : e_(engine) {}

  Async<std::vector<Collection>> list_collections(AccountId actor, AccountId owner) override {
    return e_.read([actor, owner](PgConn& c, Changes&) {
      return ops::dav::list_collections(c, actor, owner);
    });
  }
  Async<std::vector<Collection>> list_shared_with(AccountId actor) override {
    return e_.read([actor](PgConn& c, Changes&) { return ops::dav::list_shared_with(c, actor); });
  }
  Async<Collection> get_collection(AccountId actor, AccountId owner, std::string name) override {
    return e_.read([actor, owner, name](PgConn& c, Changes&) {
      return ops::dav::get_collection(c, actor, owner, name);
    });
  }
  Async<Collection> get_collection(AccountId actor, CollectionId id) override {
    return e_.read(
        [actor, id](PgConn& c, Changes&) { return ops::dav::get_collection(c, actor, id); });
  }
  Async<Collection> create_collection(AccountId actor, AccountId owner,
                                      NewCollection collection) override {
    return e_.write([actor, owner, nc = std::move(collection)](PgConn& c, Changes&) {
      return ops::dav::create_collection(c, actor, owner, nc);
    });
  }
  Async<Collection> update_collection(AccountId actor, CollectionId id,
                                      CollectionPatch patch) override {
    return e_.write([actor, id, p = std::move(patch)](PgConn& c, Changes&) {
      return ops::dav::update_collection(c, actor, id, p);
    });
  }
  Async<void> delete_collection(AccountId actor, CollectionId id) override {
    return e_.write(
        [actor, id](PgConn& c, Changes&) { return ops::dav::delete_collection(c, actor, id); });
  }
  Async<std::vector<DavResource>> list_resources(AccountId actor, CollectionId id,
                                                 ResourceFilter filter) override {
    return e_.read([actor, id, f = std::move(filter)](PgConn& c, Changes&) {
      return ops::dav::list_resources(c, actor, id, f);
    });
  }
  Async<DavResource> get_resource(AccountId actor, CollectionId id, std::string name) override {
    return e_.read([actor, id, name](PgConn& c, Changes&) {
      return ops::dav::get_resource(c, actor, id, name);
    });
  }
  Async<std::vector<DavResource>> multiget(AccountId actor, CollectionId id,
                                           std::vector<std::string> names) override {
    return e_.read([actor, id, n = std::move(names)](PgConn& c, Changes&) {
      return ops::dav::multiget(c, actor, id, n);
    });
  }
  Async<DavPutResult> put_resource(AccountId actor, CollectionId id, DavPut put) override {
    std::string etag = sha256_hex(put.content);
    return e_.write([actor, id, p = std::move(put), etag = std::move(etag)](PgConn& c, Changes&) {
      return ops::dav::put_resource(c, actor, id, p, etag);
    });
  }
  Async<std::uint64_t> delete_resource(AccountId actor, CollectionId id, std::string name,
                                       std::optional<std::string> if_match) override {
    return e_.write([actor, id, name, if_match](PgConn& c, Changes&) {
      return ops::dav::delete_resource(c, actor, id, name, if_match);
    });
  }
  Async<DavChanges> changes_since(AccountId actor, CollectionId id, std::uint64_t token) override {
    return e_.read([actor, id, token](PgConn& c, Changes&) {
      return ops::dav::changes_since(c, actor, id, token);
    });
  }
  Async<std::vector<ResourceRef>> find_uid(AccountId actor, AccountId owner,
                                           std::string uid) override {
    return e_.read([actor, owner, uid](PgConn& c, Changes&) {
      return ops::dav::find_uid(c, actor, owner, uid);
    });
  }
  Async<void> set_share(CollectionId id, AccountId sharee, Access access) override {
    return e_.write([id, sharee, access](PgConn& c, Changes&) {
      return ops::dav::set_share(c, id, sharee, access);
    });
  }
  Async<void> remove_share(CollectionId id, AccountId sharee) override {
    return e_.write(
        [id, sharee](PgConn& c, Changes&) { return ops::dav::remove_share(c, id, sharee); });
  }
  Async<std::vector<Share>> list_shares(std::optional<AccountId> account) override {
    return e_.read([account](PgConn& c, Changes&) { return ops::dav::list_shares(c, account); });
  }

 private:
  Engine& e_;
};

class PostgresAccountStore final : public AccountStore {
 public:
  PostgresAccountStore(Engine& engine, AccountId account) : e_(engine), a_(account) {}
  AccountId account() const override { return a_; }

  Async<std::vector<Mailbox>> list_mailboxes() override {
    return e_.read([a = a_](PgConn& c, Changes&) { return ops::list_mailboxes(c, a); });
  }
  Async<Mailbox> get_mailbox(std::string name) override {
    return e_.read([a = a_, name](PgConn& c, Changes&) { return ops::get_mailbox(c, a, name); });
  }
  Async<Mailbox> get_mailbox(MailboxId id) override {
    return e_.read([a = a_, id](PgConn& c, Changes&) { return ops::get_mailbox(c, a, id); });
  }
  Async<Mailbox> create_mailbox(std::string name, SpecialUse use) override {
    return e_.write([a = a_, name, use](PgConn& c, Changes& ch) {
      return ops::create_mailbox(c, ch, a, name, use);
    });
  }
  Async<void> delete_mailbox(std::string name) override {
    return e_.write(
        [a = a_, name](PgConn& c, Changes& ch) { return ops::delete_mailbox(c, ch, a, name); });
  }
  Async<void> rename_mailbox(std::string from, std::string to) override {
    return e_.write([a = a_, from, to](PgConn& c, Changes& ch) {
      return ops::rename_mailbox(c, ch, a, from, to);
    });
  }
  Async<void> subscribe(std::string name) override {
    return e_.write([a = a_, name](PgConn& c, Changes&) { return ops::subscribe(c, a, name); });
  }
  Async<void> unsubscribe(std::string name) override {
    return e_.write([a = a_, name](PgConn& c, Changes&) { return ops::unsubscribe(c, a, name); });
  }
  Async<std::vector<std::string>> list_subscriptions() override {
    return e_.read([a = a_](PgConn& c, Changes&) { return ops::list_subscriptions(c, a); });
  }
  Async<Delivered> append(MailboxId mailbox, std::string raw, MessageMeta meta, Flags flags,
                          UnixTime internal_date) override {
    std::vector<DeliveryTarget> targets;
    targets.push_back(DeliveryTarget{a_, std::string(), mailbox, std::move(flags)});
    Delivery d{std::move(raw), std::move(meta), internal_date, std::move(targets)};
    auto op = deliver_on(e_, std::move(d));
    auto r = co_await std::move(op);
    if (!r) co_return r.error();
    co_return std::move(r->front());
  }
  Async<std::vector<MessageRecord>> list_messages(MailboxId mailbox, ModSeq since) override {
    return e_.read([a = a_, mailbox, since](PgConn& c, Changes&) {
      return ops::list_messages(c, a, mailbox, since);
    });
  }
  Async<std::vector<std::pair<Uid, MessageMeta>>> read_meta(MailboxId mailbox,
                                                            UidSet uids) override {
    return e_.read([a = a_, mailbox, uids](PgConn& c, Changes&) {
      return ops::read_meta(c, a, mailbox, uids);
    });
  }
  Async<std::string> read_raw(MailboxId mailbox, Uid uid) override {
    auto max = e_.options().max_message_bytes;
    auto op = e_.read([a = a_, mailbox, uid](PgConn& c, Changes&) {
      return ops::read_frame(c, a, mailbox, uid);
    });
    auto frame = co_await std::move(op);
    if (!frame) co_return frame.error();
    co_return decompress(*frame, max);
  }
  Async<StoreFlagsResult> store_flags(MailboxId mailbox, UidSet uids, FlagsMode mode, Flags flags,
                                      std::optional<ModSeq> unchanged_since) override {
    return e_.write([a = a_, mailbox, uids, mode, flags, unchanged_since](PgConn& c, Changes& ch) {
      return ops::store_flags(c, ch, a, mailbox, uids, mode, flags, unchanged_since);
    });
  }
  Async<std::vector<Uid>> expunge(MailboxId mailbox, UidSet uids, bool only_deleted) override {
    return e_.write([a = a_, mailbox, uids, only_deleted](PgConn& c, Changes& ch) {
      return ops::expunge(c, ch, a, mailbox, uids, only_deleted);
    });
  }
  Async<std::vector<Uid>> expunged_since(MailboxId mailbox, ModSeq since) override {
    return e_.read([a = a_, mailbox, since](PgConn& c, Changes&) {
      return ops::expunged_since(c, a, mailbox, since);
    });
  }
  Async<CopyResult> copy(MailboxId from, UidSet uids, MailboxId to) override {
    return e_.write([a = a_, from, uids, to](PgConn& c, Changes& ch) {
      return ops::copy(c, ch, a, from, uids, to, false);
    });
  }
  Async<CopyResult> move(MailboxId from, UidSet uids, MailboxId to) override {
    return e_.write([a = a_, from, uids, to](PgConn& c, Changes& ch) {
      return ops::copy(c, ch, a, from, uids, to, true);
    });
  }
  Async<std::vector<Uid>> search_text(MailboxId mailbox, std::string query) override {
    return e_.read([a = a_, mailbox, query](PgConn& c, Changes&) {
      return ops::search_text(c, a, mailbox, query);
    });
  }
  Async<std::vector<Uid>> header_search(MailboxId mailbox, std::string field,
                                        std::string substring) override {
    return e_.read([a = a_, mailbox, field, substring](PgConn& c, Changes&) {
      return ops::header_search(c, a, mailbox, field, substring);
    });
  }

 private:
  Engine& e_;
  AccountId a_;
};

class PostgresStore final : public Store {
 public:
  explicit PostgresStore(PostgresOptions options)
      : e_(std::move(options)), blobs_(e_), queue_(e_) {}

  Async<Domain> add_domain(std::string name) override {
    return e_.write([name](PgConn& c, Changes&) { return ops::add_domain(c, name); });
  }
  Async<std::vector<Domain>> list_domains() override {
    return e_.read([](PgConn& c, Changes&) { return ops::list_domains(c); });
  }
  Async<void> delete_domain(std::string name) override {
    return e_.write([name](PgConn& c, Changes&) { return ops::delete_domain(c, name); });
  }
  Async<bool> is_local_domain(std::string name) override {
    return e_.read([name](PgConn& c, Changes&) { return ops::is_local_domain(c, name); });
  }
  Async<Account> create_account(std::string address, std::string password_hash) override {
    return e_.write([address, password_hash](PgConn& c, Changes& ch) {
      return ops::create_account(c, ch, address, password_hash);
    });
  }
  Async<Account> find_account(std::string address) override {
    return e_.read([address](PgConn& c, Changes&) { return ops::find_account(c, address); });
  }
  Async<Account> get_account(AccountId id) override {
    return e_.read([id](PgConn& c, Changes&) { return ops::get_account(c, id); });
  }
  Async<std::vector<Account>> list_accounts(std::optional<std::string> domain) override {
    return e_.read([domain](PgConn& c, Changes&) { return ops::list_accounts(c, domain); });
  }
  Async<void> delete_account(AccountId id) override {
    return e_.write([id](PgConn& c, Changes& ch) { return ops::delete_account(c, ch, id); });
  }
  Async<void> set_password_hash(AccountId id, std::string password_hash) override {
    return e_.write([id, password_hash](PgConn& c, Changes&) {
      return ops::set_password_hash(c, id, password_hash);
    });
  }
  Async<void> add_alias(Alias alias) override {
    return e_.write([alias](PgConn& c, Changes&) { return ops::add_alias(c, alias); });
  }
  Async<std::vector<Alias>> list_aliases(std::optional<std::string> domain) override {
    return e_.read([domain](PgConn& c, Changes&) { return ops::list_aliases(c, domain); });
  }
  Async<void> delete_alias(std::string source) override {
    return e_.write([source](PgConn& c, Changes&) { return ops::delete_alias(c, source); });
  }
  Async<std::vector<AccountId>> resolve_recipient(std::string address) override {
    return e_.read([address](PgConn& c, Changes&) { return ops::resolve_recipient(c, address); });
  }
  Async<std::vector<Result<Delivered>>> deliver(Delivery delivery) override {
    return deliver_on(e_, std::move(delivery));
  }
  std::unique_ptr<AccountStore> account(AccountId id) override {
    return std::make_unique<PostgresAccountStore>(e_, id);
  }
  std::unique_ptr<ChangeSubscription> subscribe_changes(
      AccountId account, std::function<void(const MailboxChange&)> on_change) override {
    return e_.hub().subscribe(account, std::move(on_change));
  }
  BlobStore& blobs() override { return blobs_; }
  DavStore& dav() override { return dav_; }
  QueueStore& queue() override { return queue_; }
  void drain() override { e_.drain(); }

 private:
  Engine e_;
  PostgresBlobStore blobs_;
  PostgresDavStore dav_{e_};
  PostgresQueueStore queue_;
};

awaitable<ClusterStatus> query_cluster_status(asio::io_context& io, std::string conninfo) {
  auto conn = co_await PgConn::connect(io, conninfo, std::chrono::seconds(10));
  ClusterStatus out;
  auto role = co_await conn->query(
      "SELECT coalesce(host(inet_server_addr()), 'local') || ':' || current_setting('port'), "
      "NOT pg_is_in_recovery(), current_setting('synchronous_standby_names'), "
      "current_setting('synchronous_commit')");
  out.server = role.text(0, 0);
  out.primary = role.boolean(0, 1);
  out.synchronous_standby_names = role.text(0, 2);
  out.synchronous_commit = role.text(0, 3);
  if (out.primary) {
    auto standbys = co_await conn->query(
        "SELECT application_name || ' ' || coalesce(host(client_addr), 'local') || ' ' || state || "
        "' ' || sync_state FROM pg_stat_replication ORDER BY application_name");
    for (int i = 0; i < standbys.size(); ++i) out.standbys.push_back(standbys.text(i, 0));
  }
  auto exists = co_await conn->query("SELECT to_regclass('cluster_nodes') IS NOT NULL");
  if (exists.boolean(0, 0)) {
    auto rows = co_await conn->query(
        "SELECT node_id, host, version, serves, extract(epoch FROM started_at)::bigint, "
        "extract(epoch FROM last_seen)::bigint, "
        "extract(epoch FROM clock_timestamp() - last_seen)::float8::text "
        "FROM cluster_nodes ORDER BY node_id");
    for (int i = 0; i < rows.size(); ++i) {
      ClusterNode n{rows.text(i, 0), rows.text(i, 1), rows.text(i, 2), rows.text(i, 3),
                    rows.i64(i, 4),  rows.i64(i, 5),  std::stod(rows.text(i, 6))};
      out.nodes.push_back(std::move(n));
    }
  }
  co_return out;
}

}  // namespace

Result<ClusterStatus> read_cluster_status(const std::string& conninfo) {
  // The primary; while there is none, any server (a standby still answers).
  std::vector<std::string> tries{conninfo};
  if (auto standby = standby_conninfo_of(conninfo); !standby.empty()) tries.push_back(standby);
  std::string last_error;
  for (const auto& c : tries) {
    asio::io_context io;
    std::optional<ClusterStatus> out;
    asio::co_spawn(io, query_cluster_status(io, c), [&](std::exception_ptr e, ClusterStatus s) {
      if (!e) {
        out = std::move(s);
        return;
      }
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        last_error = ex.what();
      }
    });
    io.run();
    if (out) return std::move(*out);
  }
  return Error{ErrorCode::kUnavailable, last_error};
}

Result<std::unique_ptr<Store>> open_postgres_store(PostgresOptions options) {
  try {
    return std::unique_ptr<Store>(std::make_unique<PostgresStore>(std::move(options)));
  } catch (const PgError& e) {
    return Error{ErrorCode::kUnavailable, e.what()};
  } catch (const std::exception& e) {
    return fail(ErrorCode::kInternal, e.what());
  }
}

}  // namespace taube::store::postgres
