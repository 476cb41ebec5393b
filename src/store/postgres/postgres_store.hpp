// The PostgreSQL engine: a Store on a PostgreSQL 15 database shared by any number
// of taube nodes. Only server/, tests and benchmarks include this header. All
// connections live on one internal io thread and use libpq's asynchronous API
// (no thread per query); callers resume on their own executor. Writes are
// group-committed per writer connection (synchronous_commit=on), changes are
// published locally after COMMIT and to other nodes by NOTIFY. Destroying the
// store finishes queued work first.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace taube::store::postgres {

struct PostgresOptions {
  // libpq conninfo: a URL or key=value pairs; several hosts and
  // target_session_attrs=read-write are passed to libpq as they are.
  std::string conninfo;
  // Connections for operations; half (at least one) take writes, the rest
  // reads. One more connection LISTENs for other nodes' changes.
  int pool_size = 4;
  // Writes per transaction at most; 1 turns group commit off.
  std::size_t max_batch_jobs = 256;
  std::size_t max_message_bytes = std::size_t{256} << 20;
  // Bounds every connection attempt (all hosts of a multi-host conninfo).
  std::chrono::milliseconds connect_timeout{10000};
  // Reads while no writable primary answers go to this server (a hot standby).
  // Empty: `conninfo` with target_session_attrs=read-write replaced by
  // prefer-standby; no standby reads when `conninfo` has no such attribute.
  std::string standby_conninfo;
  // An operation whose connection broke (failover) reconnects with backoff and
  // runs again for this long before answering kUnavailable; once the database
  // has been unreachable for longer, operations fail at once (degraded mode).
  std::chrono::milliseconds retry_budget{8000};
  // Start even when the database cannot be reached (a node must come up in
  // degraded mode): operations answer kUnavailable until it can, and the
  // migrations run on the first connection that succeeds.
  bool start_unavailable = false;
  // The NOTIFY channel; nodes of one cluster must agree on it.
  std::string channel = "taube_changes";
  // Fault injection (tests): called on the engine's io thread just before each
  // group COMMIT is sent; may block (stalling the whole engine) to hold it;
  // returning false rolls the batch back and fails every job of it, as a failed
  // COMMIT would.
  std::function<bool()> on_commit;
  // Migration tests only: stop at this schema version (0 = latest).
  int schema_version = 0;
  // Set by `taube serve`: the node's row in cluster_nodes, refreshed every few
  // seconds (last_seen) for `taube cluster status`.
  struct Heartbeat {
    std::string node_id;  // stable across restarts of one node
    std::string host;
    std::string version;
    std::string serves;  // "smtp 127.0.0.1:25, imap ..."
  };
  std::optional<Heartbeat> heartbeat;
};

// One taube node as registered by its heartbeat.
struct ClusterNode {
  std::string node_id, host, version, serves;
  std::int64_t started = 0;    // unix seconds
  std::int64_t last_seen = 0;  // unix seconds
  double age_s = 0;            // seconds since last_seen (database clock)
};

struct ClusterStatus {
  std::string server;  // the server answering: "host:port"
  bool primary = false;  // false: a standby (pg_is_in_recovery)
  std::string synchronous_standby_names;
  std::string synchronous_commit;
  // From pg_stat_replication on a primary: "name state sync_state" per standby.
  std::vector<std::string> standbys;
  std::vector<ClusterNode> nodes;
};

// `taube cluster status`: connects (the writable primary, else any server of a
// multi-host conninfo), reads the registered nodes and the database's role.
// Blocking. Errors: kUnavailable.
Result<ClusterStatus> read_cluster_status(const std::string& conninfo);

// Connects, migrates the schema (serialised between nodes by an advisory lock)
// and starts listening for changes. Errors: kUnavailable (cannot connect or
// migrate), kInternal (database newer than this code).
Result<std::unique_ptr<Store>> open_postgres_store(PostgresOptions options);

}  // namespace taube::store::postgres
