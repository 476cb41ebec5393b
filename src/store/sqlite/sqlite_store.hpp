// The SQLite engine: a Store on one database file (WAL, synchronous=FULL), for a
// single node. Only server/, tests and benchmarks include this header. One writer
// thread batches concurrent writes into one transaction and one fsync (group
// commit); reader threads serve reads on their own connections. Callers resume
// on their own executor. Destroying the store finishes queued work first.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>

#include "store/store.hpp"

namespace taube::store::sqlite {

struct SqliteOptions {
  std::filesystem::path path;  // the database file; its directory must exist
  int reader_threads = 2;
  // Writes per transaction at most; 1 turns group commit off (one transaction
  // and one fsync per write: the baseline for benchmarks).
  std::size_t max_batch_jobs = 512;
  std::size_t max_message_bytes = std::size_t{256} << 20;
  // Fault injection (tests): called before every fsync of the database or its
  // WAL on the syncing engine thread; may block to hold the sync; return false
  // to fail it (SQLITE_IOERR_FSYNC). Installs a VFS shim over "unix" when set.
  std::function<bool()> on_sync;
  // Migration tests only: stop at this schema version (0 = latest).
  int schema_version = 0;
};

// Opens (creating if needed) and migrates the database. Errors: kUnavailable
// (cannot open or migrate), kInternal (database newer than this code).
Result<std::unique_ptr<Store>> open_sqlite_store(SqliteOptions options);

}  // namespace taube::store::sqlite
