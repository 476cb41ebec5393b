#include "store/sqlite/db.hpp"

#include <sqlite3.h>

namespace taube::store::sqlite {

Error DbError::to_error() const {
  switch (code_ & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Error{ErrorCode::kBusy, what()};
    case SQLITE_CONSTRAINT:
      return Error{ErrorCode::kConflict, what()};
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_MISMATCH:
      return Error{ErrorCode::kInternal, what()};
    default:
      return Error{ErrorCode::kUnavailable, what()};
  }
}

Stmt::~Stmt() {
  if (!stmt_) return;
  if (!in_use_) {
    sqlite3_finalize(stmt_);
  } else {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    *in_use_ = false;
  }
}

Stmt& Stmt::bind(int i, std::int64_t v) {
  int rc = sqlite3_bind_int64(stmt_, i, v);
  if (rc != SQLITE_OK) db_->throw_error(rc, "bind");
  return *this;
}

Stmt& Stmt::bind(int i, std::string_view v) {
  int rc = sqlite3_bind_text64(stmt_, i, v.data() ? v.data() : "", v.size(), SQLITE_TRANSIENT,
                               SQLITE_UTF8);
  if (rc != SQLITE_OK) db_->throw_error(rc, "bind");
  return *this;
}

Stmt& Stmt::bind(int i, BlobArg v) {
  int rc = sqlite3_bind_blob64(stmt_, i, v.bytes.data() ? v.bytes.data() : "", v.bytes.size(),
                               SQLITE_STATIC);
  if (rc != SQLITE_OK) db_->throw_error(rc, "bind");
  return *this;
}

Stmt& Stmt::bind(int i, std::nullptr_t) {
  int rc = sqlite3_bind_null(stmt_, i);
  if (rc != SQLITE_OK) db_->throw_error(rc, "bind");
  return *this;
}

bool Stmt::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_->throw_error(rc, sqlite3_sql(stmt_));
}

std::int64_t Stmt::i64(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string Stmt::text(int col) const {
  auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string(p, static_cast<size_t>(n)) : std::string();
}

std::string Stmt::blob(int col) const {
  auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
  int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string(p, static_cast<size_t>(n)) : std::string();
}

bool Stmt::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

std::unique_ptr<Db> Db::open(const std::string& path, const char* vfs, bool create,
                             bool query_only) {
  sqlite3* raw = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, vfs);
  std::unique_ptr<Db> db(new Db(raw));
  if (rc != SQLITE_OK) db->throw_error(rc, "open " + path);
  sqlite3_extended_result_codes(raw, 1);
  db->exec("PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;");
  db->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
  if (query_only) db->exec("PRAGMA query_only=1;");
  // Reads map the file instead of copying each page through pread(): a scan of
  // 100,000 messages' metadata spent most of its time in those copies.
  db->exec("PRAGMA mmap_size=17179869184;");
  return db;
}

Db::~Db() {
  for (auto& [sql, entry] : cache_) sqlite3_finalize(entry.stmt);
  sqlite3_close_v2(db_);
}

void Db::exec(const char* sql) {
  char* msg = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &msg);
  if (rc != SQLITE_OK) {
    std::string what = std::string(sql).substr(0, 60) + ": " + (msg ? msg : sqlite3_errstr(rc));
    sqlite3_free(msg);
    throw DbError(rc, what);
  }
}

Stmt Db::prepare(std::string_view sql) {
  auto it = cache_.find(std::string(sql));
  if (it != cache_.end() && !it->second.in_use) {
    it->second.in_use = true;
    return Stmt(this, it->second.stmt, &it->second.in_use);
  }
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) throw_error(rc, sql);
  if (it != cache_.end()) return Stmt(this, stmt, nullptr);  // cached one is in use (nested)
  auto& entry = cache_.emplace(std::string(sql), Cached{stmt, true}).first->second;
  return Stmt(this, stmt, &entry.in_use);
}

std::int64_t Db::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
int Db::changes() const { return sqlite3_changes(db_); }

void Db::throw_error(int rc, std::string_view context) const {
  std::string what(context.substr(0, 80));
  what += ": ";
  what += db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  throw DbError(rc, what);
}

}  // namespace taube::store::sqlite
