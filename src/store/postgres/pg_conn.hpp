// One libpq connection driven by Asio: non-blocking connect (PQconnectStart/
// PQconnectPoll), queries with PQsendQueryParams and results collected with
// PQconsumeInput/PQisBusy/PQgetResult while the coroutine waits on PQsocket
// (wrapped in a stream_descriptor that is release()d, never closed by Asio).
// Used only by the PostgreSQL engine; a PgConn belongs to the engine's io thread
// and is used by one coroutine at a time. Failures throw PgError.
#pragma once

#include <libpq-fe.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "base/error.hpp"

namespace taube::store::postgres {

// A failed statement or a lost connection. `sqlstate` is empty when the server
// sent none (connection-level failures).
class PgError : public std::runtime_error {
 public:
  PgError(std::string message, std::string sqlstate, bool connection_lost)
      : std::runtime_error(std::move(message)),
        sqlstate_(std::move(sqlstate)),
        connection_lost_(connection_lost) {}
  const std::string& sqlstate() const { return sqlstate_; }
  bool connection_lost() const { return connection_lost_; }
  // Deadlock or serialization failure: the transaction was rolled back and may
  // be retried as a whole.
  bool retryable() const { return sqlstate_ == "40P01" || sqlstate_ == "40001"; }
  bool unique_violation() const { return sqlstate_ == "23505"; }
  // A write reached a read-only server (a demoted primary, a standby): the
  // connection is to the wrong server, nothing was written.
  bool read_only_server() const { return sqlstate_ == "25006"; }
  Error to_error() const;

 private:
  std::string sqlstate_;
  bool connection_lost_;
};

// One query parameter: NULL, text, or binary (BYTEA).
struct Param {
  std::optional<std::string> value;
  bool binary = false;
};
struct Bytea {
  const std::string& data;
};

inline Param to_param(const std::string& s) { return Param{s, false}; }
inline Param to_param(std::string_view s) { return Param{std::string(s), false}; }
inline Param to_param(const char* s) { return Param{std::string(s), false}; }
inline Param to_param(const Bytea& b) { return Param{b.data, true}; }
inline Param to_param(bool b) { return Param{std::string(b ? "t" : "f"), false}; }
template <class T>
requires std::is_integral_v<T> Param to_param(T v) { return Param{std::to_string(v), false}; }
template <class T>
Param to_param(const std::optional<T>& v) {
  return v ? to_param(*v) : Param{};
}

// The rows of one statement (text format). Move-only; owns the PGresult.
class Rows {
 public:
  Rows() = default;
  explicit Rows(PGresult* r) : r_(r, &PQclear) {}
  int size() const { return r_ ? PQntuples(r_.get()) : 0; }
  bool empty() const { return size() == 0; }
  bool is_null(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  std::string text(int row, int col) const {
    return std::string(PQgetvalue(r_.get(), row, col),
                       static_cast<size_t>(PQgetlength(r_.get(), row, col)));
  }
  std::int64_t i64(int row, int col) const;
  bool boolean(int row, int col) const { return PQgetvalue(r_.get(), row, col)[0] == 't'; }
  // The raw bytes of a column of a binary-format result (query_binary).
  std::string raw(int row, int col) const { return text(row, col); }
  std::uint64_t affected() const;  // PQcmdTuples
  std::string command() const { return r_ ? PQcmdStatus(r_.get()) : ""; }

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> r_{nullptr, &PQclear};
};

class PgConn {
 public:
  // Connects without blocking the io thread (multi-host conninfo allowed).
  // Throws PgError (connection_lost) when no host accepts.
  // `timeout` bounds the whole attempt (libpq's connect_timeout is only
  // enforced by its blocking calls).
  static boost::asio::awaitable<std::unique_ptr<PgConn>> connect(boost::asio::io_context& io,
                                                                 std::string conninfo,
                                                                 std::chrono::milliseconds timeout);
  ~PgConn();
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  // Runs one parameterised statement and returns its rows. Throws PgError.
  // `binary_result` asks for every column in binary format (used for BYTEA, which
  // would double in size as hex text).
  boost::asio::awaitable<Rows> exec(std::string sql, std::vector<Param> params,
                                    bool binary_result = false);
  // Runs one or more statements without parameters (simple query protocol).
  boost::asio::awaitable<void> exec_script(std::string sql);

  template <class... A>
  boost::asio::awaitable<Rows> query(std::string sql, const A&... args) {
    std::vector<Param> params;
    params.reserve(sizeof...(A));
    (params.push_back(to_param(args)), ...);
    return exec(std::move(sql), std::move(params));
  }
  // As query(), with the result in binary format: read it with Rows::raw().
  template <class... A>
  boost::asio::awaitable<Rows> query_binary(std::string sql, const A&... args) {
    std::vector<Param> params;
    params.reserve(sizeof...(A));
    (params.push_back(to_param(args)), ...);
    return exec(std::move(sql), std::move(params), true);
  }

  bool is_bad() const { return PQstatus(c_) != CONNECTION_OK; }
  int backend_pid() const { return PQbackendPID(c_); }
  PGconn* native() { return c_; }
  // Waits until the socket is readable (notifications, or the server going
  // away). Returns false when cancelled.
  boost::asio::awaitable<bool> wait_readable();
  void cancel_wait();

  // The server's "canceling wait for synchronous replication" WARNING since the
  // last reset: a COMMIT that returns with it committed locally but may not be
  // on the standby (someone cancelled the wait), so it is not a durable success.
  bool sync_rep_cancelled() const { return sync_rep_cancelled_; }
  void reset_notices() { sync_rep_cancelled_ = false; }

 private:
  explicit PgConn(boost::asio::io_context& io, PGconn* c);
  void rewrap_socket();
  boost::asio::awaitable<void> flush();
  boost::asio::awaitable<std::vector<PGresult*>> collect();
  [[noreturn]] void fail_connection(std::string_view what);

  PGconn* c_;
  boost::asio::posix::stream_descriptor sock_;
  int fd_ = -1;
  bool sync_rep_cancelled_ = false;
};

}  // namespace taube::store::postgres
