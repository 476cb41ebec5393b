// Db: a thin RAII wrapper over one sqlite3 connection with a prepared-statement
// cache, used only inside the SQLite engine. A Db belongs to one thread at a
// time. SQLite failures throw DbError; the engine's job runner is the single
// place that catches it and turns it into an Error, so no exception crosses
// the public interface.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace taube::store::sqlite {

class DbError : public std::runtime_error {
 public:
  DbError(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }
  Error to_error() const;  // busy -> kBusy, constraint -> kConflict, else kUnavailable

 private:
  int code_;
};

struct BlobArg {
  std::string_view bytes;
};

class Db;

// A prepared statement in use; resets (and returns to the cache) on destruction.
class Stmt {
 public:
  // in_use: the cache's flag for this statement, or null for an owned one.
  Stmt(Db* db, sqlite3_stmt* stmt, bool* in_use) : db_(db), stmt_(stmt), in_use_(in_use) {}
  Stmt(Stmt&& o) noexcept : db_(o.db_), stmt_(o.stmt_), in_use_(o.in_use_) { o.stmt_ = nullptr; }
  Stmt& operator=(Stmt&&) = delete;
  ~Stmt();

  Stmt& bind(int i, std::int64_t v);
  Stmt& bind(int i, int v) { return bind(i, std::int64_t{v}); }
  Stmt& bind(int i, std::uint32_t v) { return bind(i, std::int64_t{v}); }
  Stmt& bind(int i, std::uint64_t v) { return bind(i, static_cast<std::int64_t>(v)); }
  Stmt& bind(int i, bool v) { return bind(i, std::int64_t{v ? 1 : 0}); }
  Stmt& bind(int i, std::string_view v);
  Stmt& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  Stmt& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Stmt& bind(int i, BlobArg v);
  Stmt& bind(int i, std::nullptr_t);
  template <class T>
  Stmt& bind(int i, const std::optional<T>& v) {
    return v ? bind(i, *v) : bind(i, nullptr);
  }

  bool step();  // true: a row is available; false: done. Throws DbError.
  void run() {
    while (step()) {
    }
  }
  std::int64_t i64(int col) const;
  std::string text(int col) const;  // NULL -> ""
  std::string blob(int col) const;
  bool is_null(int col) const;

 private:
  Db* db_;
  sqlite3_stmt* stmt_;
  bool* in_use_;
};

class Db {
 public:
  // Opens (creating when allowed) with foreign keys on, WAL, synchronous=FULL.
  // vfs may be null for the default.
  static std::unique_ptr<Db> open(const std::string& path, const char* vfs, bool create,
                                  bool query_only);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  void exec(const char* sql);  // one or more statements, no parameters
  Stmt prepare(std::string_view sql);

  template <class... A>
  Stmt query(std::string_view sql, const A&... args) {
    Stmt s = prepare(sql);
    int i = 0;
    (s.bind(++i, args), ...);
    return s;
  }
  // Runs a statement to completion; returns sqlite3_changes().
  template <class... A>
  int run(std::string_view sql, const A&... args) {
    query(sql, args...).run();
    return changes();
  }

  std::int64_t last_insert_rowid() const;
  int changes() const;
  sqlite3* raw() const { return db_; }
  [[noreturn]] void throw_error(int rc, std::string_view context) const;

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  struct Cached {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  std::unordered_map<std::string, Cached> cache_;  // node-based: flags stay put
};

}  // namespace taube::store::sqlite
