#include "store/sqlite/fault_vfs.hpp"

#include <sqlite3.h>

#include <atomic>
#include <stdexcept>

namespace taube::store::sqlite {

struct FaultVfs::Impl {
  sqlite3_vfs vfs{};
  sqlite3_vfs* base = nullptr;
  std::function<bool()> on_sync;
  std::string name;
};

namespace {

struct ShimFile {
  sqlite3_file base;  // must be first: SQLite sees a ShimFile as an sqlite3_file
  FaultVfs::Impl* owner;
  sqlite3_file* real;  // storage follows this struct
};
constexpr int kShimBytes = static_cast<int>((sizeof(ShimFile) + 15) / 16 * 16);

sqlite3_file* real(sqlite3_file* f) { return reinterpret_cast<ShimFile*>(f)->real; }
const sqlite3_io_methods* m(sqlite3_file* f) { return real(f)->pMethods; }

int x_close(sqlite3_file* f) { return m(f)->xClose(real(f)); }
int x_read(sqlite3_file* f, void* b, int n, sqlite3_int64 o) {
  return m(f)->xRead(real(f), b, n, o);
}
int x_write(sqlite3_file* f, const void* b, int n, sqlite3_int64 o) {
  return m(f)->xWrite(real(f), b, n, o);
}
int x_truncate(sqlite3_file* f, sqlite3_int64 size) { return m(f)->xTruncate(real(f), size); }
int x_sync(sqlite3_file* f, int flags) {
  auto* owner = reinterpret_cast<ShimFile*>(f)->owner;
  if (owner->on_sync && !owner->on_sync()) return SQLITE_IOERR_FSYNC;
  return m(f)->xSync(real(f), flags);
}
int x_file_size(sqlite3_file* f, sqlite3_int64* size) { return m(f)->xFileSize(real(f), size); }
int x_lock(sqlite3_file* f, int l) { return m(f)->xLock(real(f), l); }
int x_unlock(sqlite3_file* f, int l) { return m(f)->xUnlock(real(f), l); }
int x_check_reserved(sqlite3_file* f, int* out) { return m(f)->xCheckReservedLock(real(f), out); }
int x_file_control(sqlite3_file* f, int op, void* arg) {
  return m(f)->xFileControl(real(f), op, arg);
}
int x_sector_size(sqlite3_file* f) { return m(f)->xSectorSize(real(f)); }
int x_device_chars(sqlite3_file* f) { return m(f)->xDeviceCharacteristics(real(f)); }
int x_shm_map(sqlite3_file* f, int pg, int sz, int extend, void volatile** out) {
  return m(f)->xShmMap(real(f), pg, sz, extend, out);
}
int x_shm_lock(sqlite3_file* f, int off, int n, int flags) {
  return m(f)->xShmLock(real(f), off, n, flags);
}
void x_shm_barrier(sqlite3_file* f) { m(f)->xShmBarrier(real(f)); }
int x_shm_unmap(sqlite3_file* f, int del) { return m(f)->xShmUnmap(real(f), del); }
int x_fetch(sqlite3_file* f, sqlite3_int64 off, int amt, void** pp) {
  return m(f)->xFetch(real(f), off, amt, pp);
}
int x_unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
  return m(f)->xUnfetch(real(f), off, p);
}

const sqlite3_io_methods kIo = {
    3,
    x_close,
    x_read,
    x_write,
    x_truncate,
    x_sync,
    x_file_size,
    x_lock,
    x_unlock,
    x_check_reserved,
    x_file_control,
    x_sector_size,
    x_device_chars,
    x_shm_map,
    x_shm_lock,
    x_shm_barrier,
    x_shm_unmap,
    x_fetch,
    x_unfetch,
};

FaultVfs::Impl* impl(sqlite3_vfs* vfs) { return static_cast<FaultVfs::Impl*>(vfs->pAppData); }
sqlite3_vfs* base(sqlite3_vfs* vfs) { return impl(vfs)->base; }

int v_open(sqlite3_vfs* vfs, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  auto* shim = reinterpret_cast<ShimFile*>(f);
  shim->owner = impl(vfs);
  shim->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + kShimBytes);
  shim->real->pMethods = nullptr;
  int rc = base(vfs)->xOpen(base(vfs), name, shim->real, flags, out_flags);
  if (shim->real->pMethods && shim->real->pMethods->iVersion < 3) {
    shim->real->pMethods->xClose(shim->real);
    shim->base.pMethods = nullptr;
    return SQLITE_CANTOPEN;
  }
  shim->base.pMethods = shim->real->pMethods ? &kIo : nullptr;
  return rc;
}
int v_delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  return base(vfs)->xDelete(base(vfs), name, sync_dir);
}
int v_access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return base(vfs)->xAccess(base(vfs), name, flags, out);
}
int v_full_pathname(sqlite3_vfs* vfs, const char* name, int n, char* out) {
  return base(vfs)->xFullPathname(base(vfs), name, n, out);
}
void* v_dl_open(sqlite3_vfs* vfs, const char* name) { return base(vfs)->xDlOpen(base(vfs), name); }
void v_dl_error(sqlite3_vfs* vfs, int n, char* msg) { base(vfs)->xDlError(base(vfs), n, msg); }
void (*v_dl_sym(sqlite3_vfs* vfs, void* h, const char* sym))(void) {
  return base(vfs)->xDlSym(base(vfs), h, sym);
}
void v_dl_close(sqlite3_vfs* vfs, void* h) { base(vfs)->xDlClose(base(vfs), h); }
int v_randomness(sqlite3_vfs* vfs, int n, char* out) {
  return base(vfs)->xRandomness(base(vfs), n, out);
}
int v_sleep(sqlite3_vfs* vfs, int us) { return base(vfs)->xSleep(base(vfs), us); }
int v_current_time(sqlite3_vfs* vfs, double* out) {
  return base(vfs)->xCurrentTime(base(vfs), out);
}
int v_get_last_error(sqlite3_vfs* vfs, int n, char* out) {
  return base(vfs)->xGetLastError(base(vfs), n, out);
}
int v_current_time_int64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  return base(vfs)->xCurrentTimeInt64(base(vfs), out);
}

std::atomic<int> g_counter{0};

}  // namespace

FaultVfs::FaultVfs(std::function<bool()> on_sync) : impl_(std::make_unique<Impl>()) {
  impl_->base = sqlite3_vfs_find(nullptr);
  if (!impl_->base || impl_->base->iVersion < 2)
    throw std::runtime_error("FaultVfs: no usable default VFS");
  impl_->on_sync = std::move(on_sync);
  impl_->name = "taube-fault-" + std::to_string(++g_counter);
  sqlite3_vfs& v = impl_->vfs;
  v.iVersion = 2;
  v.szOsFile = kShimBytes + impl_->base->szOsFile;
  v.mxPathname = impl_->base->mxPathname;
  v.zName = impl_->name.c_str();
  v.pAppData = impl_.get();
  v.xOpen = v_open;
  v.xDelete = v_delete;
  v.xAccess = v_access;
  v.xFullPathname = v_full_pathname;
  v.xDlOpen = v_dl_open;
  v.xDlError = v_dl_error;
  v.xDlSym = v_dl_sym;
  v.xDlClose = v_dl_close;
  v.xRandomness = v_randomness;
  v.xSleep = v_sleep;
  v.xCurrentTime = v_current_time;
  v.xGetLastError = v_get_last_error;
  v.xCurrentTimeInt64 = v_current_time_int64;
  if (sqlite3_vfs_register(&v, 0) != SQLITE_OK) throw std::runtime_error("FaultVfs: register");
}

FaultVfs::~FaultVfs() { sqlite3_vfs_unregister(&impl_->vfs); }

const char* FaultVfs::name() const { return impl_->name.c_str(); }

}  // namespace taube::store::sqlite
