// FaultVfs: a thin SQLite VFS shim over the default ("unix") VFS that calls a
// hook before every xSync, so tests can count, hold (block) or fail the fsyncs
// behind a commit. Only installed when SqliteOptions::on_sync is set; every
// other file operation is forwarded unchanged. The hook runs on the engine
// thread that syncs. Registration is process-wide under a unique name; the
// FaultVfs must outlive every connection opened through it.
#pragma once

#include <functional>
#include <memory>
#include <string>

namespace taube::store::sqlite {

class FaultVfs {
 public:
  // on_sync: return false to make that xSync fail with SQLITE_IOERR_FSYNC.
  explicit FaultVfs(std::function<bool()> on_sync);
  ~FaultVfs();
  FaultVfs(const FaultVfs&) = delete;
  FaultVfs& operator=(const FaultVfs&) = delete;

  const char* name() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace taube::store::sqlite
