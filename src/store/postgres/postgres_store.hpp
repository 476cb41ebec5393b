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
#include <memory>
#include <string>

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
  // The NOTIFY channel; nodes of one cluster must agree on it.
  std::string channel = "taube_changes";
  // Fault injection (tests): called on the engine's io thread just before each
  // group COMMIT is sent; may block (stalling the whole engine) to hold it;
  // returning false rolls the batch back and fails every job of it, as a failed
  // COMMIT would.
  std::function<bool()> on_commit;
  // Migration tests only: stop at this schema version (0 = latest).
  int schema_version = 0;
};

// Connects, migrates the schema (serialised between nodes by an advisory lock)
// and starts listening for changes. Errors: kUnavailable (cannot connect or
// migrate), kInternal (database newer than this code).
Result<std::unique_ptr<Store>> open_postgres_store(PostgresOptions options);

}  // namespace taube::store::postgres
