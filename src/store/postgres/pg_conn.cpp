#include "store/postgres/pg_conn.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>

namespace taube::store::postgres {

namespace asio = boost::asio;

Error PgError::to_error() const {
  if (unique_violation()) return Error{ErrorCode::kAlreadyExists, what()};
  if (connection_lost_ || retryable() || read_only_server() || sqlstate_.starts_with("08") ||
      sqlstate_.starts_with("57") || sqlstate_.starts_with("53"))
    return Error{ErrorCode::kUnavailable, what()};
  return Error{ErrorCode::kInternal, what()};
}

std::int64_t Rows::i64(int row, int col) const {
  const char* v = PQgetvalue(r_.get(), row, col);
  std::int64_t out = 0;
  auto len = static_cast<size_t>(PQgetlength(r_.get(), row, col));
  auto [p, ec] = std::from_chars(v, v + len, out);
  if (ec != std::errc()) throw PgError("not an integer: " + std::string(v, len), "", false);
  return out;
}

std::uint64_t Rows::affected() const {
  const char* t = r_ ? PQcmdTuples(r_.get()) : "";
  std::uint64_t out = 0;
  std::from_chars(t, t + std::char_traits<char>::length(t), out);
  return out;
}

PgConn::PgConn(asio::io_context& io, PGconn* c) : c_(c), sock_(io) {}

PgConn::~PgConn() {
  // Asio must not close libpq's socket: PQfinish does.
  if (sock_.is_open()) sock_.release();
  PQfinish(c_);
}

// Always re-registers, even for the same descriptor number: while connecting,
// libpq may close a socket and open the next host's under the same number, and
// the reactor's registration of the closed one is gone with it.
void PgConn::rewrap_socket() {
  int fd = PQsocket(c_);
  if (sock_.is_open()) sock_.release();
  fd_ = fd;
  if (fd >= 0) sock_.assign(fd);
}

void PgConn::fail_connection(std::string_view what) {
  std::string msg(what);
  msg += ": ";
  msg += PQerrorMessage(c_);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  throw PgError(std::move(msg), "", true);
}

asio::awaitable<std::unique_ptr<PgConn>> PgConn::connect(asio::io_context& io, std::string conninfo,
                                                         std::chrono::milliseconds timeout) {
  PGconn* raw = PQconnectStart(conninfo.c_str());
  if (!raw) throw PgError("out of memory for a connection", "", true);
  std::unique_ptr<PgConn> conn(new PgConn(io, raw));
  // Server notices and the FATAL of a terminated backend are not for stderr:
  // failures reach the engine as PgError. One warning matters: a COMMIT whose
  // wait for the synchronous standby was cancelled (HA-NOTES.md section 6).
  PQsetNoticeProcessor(
      raw,
      [](void* arg, const char* message) {
        if (std::string_view(message).find("canceling wait for synchronous replication") !=
            std::string_view::npos)
          static_cast<PgConn*>(arg)->sync_rep_cancelled_ = true;
      },
      conn.get());
  // The deadline cancels the socket wait; the timer is cancelled on every exit
  // path before `conn` can go away, so its handler only runs while we wait.
  asio::steady_timer deadline(io);
  deadline.expires_after(timeout);
  bool expired = false;
  deadline.async_wait([c = conn.get(), &expired](boost::system::error_code ec) {
    if (ec) return;
    expired = true;
    c->cancel_wait();
  });
  struct CancelOnExit {
    asio::steady_timer& t;
    ~CancelOnExit() { t.cancel(); }
  } cancel_on_exit{deadline};
  if (PQstatus(raw) == CONNECTION_BAD) conn->fail_connection("connect");
  // libpq tries hosts one after the other; each may bring a new socket.
  PostgresPollingStatusType poll = PGRES_POLLING_WRITING;
  while (poll != PGRES_POLLING_OK) {
    if (poll == PGRES_POLLING_FAILED) conn->fail_connection("connect");
    conn->rewrap_socket();
    if (conn->fd_ < 0) conn->fail_connection("connect");
    boost::system::error_code ec;
    auto wait = poll == PGRES_POLLING_READING ? asio::posix::stream_descriptor::wait_read
                                              : asio::posix::stream_descriptor::wait_write;
    co_await conn->sock_.async_wait(wait, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) conn->fail_connection(expired ? "connect timed out" : "connect wait");
    poll = PQconnectPoll(raw);
  }
  conn->rewrap_socket();
  if (PQsetnonblocking(raw, 1) != 0) conn->fail_connection("nonblocking");
  co_return conn;
}

asio::awaitable<void> PgConn::flush() {
  for (;;) {
    int r = PQflush(c_);
    if (r == 0) co_return;
    if (r < 0) fail_connection("send");
    boost::system::error_code ec;
    co_await sock_.async_wait(asio::posix::stream_descriptor::wait_write,
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec) fail_connection("send wait");
    // Input may be needed for the output to make progress.
    if (PQconsumeInput(c_) == 0) fail_connection("receive");
  }
}

asio::awaitable<std::vector<PGresult*>> PgConn::collect() {
  std::vector<PGresult*> out;
  try {
    for (;;) {
      while (PQisBusy(c_)) {
        boost::system::error_code ec;
        co_await sock_.async_wait(asio::posix::stream_descriptor::wait_read,
                                  asio::redirect_error(asio::use_awaitable, ec));
        if (ec) fail_connection("receive wait");
        if (PQconsumeInput(c_) == 0) fail_connection("receive");
      }
      PGresult* r = PQgetResult(c_);
      if (!r) break;
      out.push_back(r);
    }
  } catch (...) {
    for (auto* r : out) PQclear(r);
    throw;
  }
  co_return out;
}

namespace {

// Turns the results of one query into Rows, or throws the first error.
Rows take_result(PGconn* c, std::vector<PGresult*> results) {
  std::optional<PgError> error;
  PGresult* keep = nullptr;
  for (auto* r : results) {
    auto status = PQresultStatus(r);
    if (!error && (status == PGRES_FATAL_ERROR || status == PGRES_BAD_RESPONSE ||
                   status == PGRES_NONFATAL_ERROR)) {
      const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
      std::string msg = PQresultErrorMessage(r);
      while (!msg.empty() && msg.back() == '\n') msg.pop_back();
      error.emplace(msg, state ? state : "", PQstatus(c) != CONNECTION_OK);
    }
    if (keep) PQclear(keep);
    keep = r;
  }
  if (error) {
    if (keep) PQclear(keep);
    throw *error;
  }
  if (!keep) {
    std::string msg = PQerrorMessage(c);
    throw PgError("no result: " + msg, "", PQstatus(c) != CONNECTION_OK);
  }
  return Rows(keep);
}

}  // namespace

asio::awaitable<Rows> PgConn::exec(std::string sql, std::vector<Param> params, bool binary_result) {
  if (is_bad()) fail_connection("connection lost");
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  for (const auto& p : params) {
    values.push_back(p.value ? p.value->data() : nullptr);
    lengths.push_back(p.value ? static_cast<int>(p.value->size()) : 0);
    formats.push_back(p.binary ? 1 : 0);
  }
  if (!PQsendQueryParams(c_, sql.c_str(), static_cast<int>(params.size()), nullptr, values.data(),
                         lengths.data(), formats.data(), binary_result ? 1 : 0))
    fail_connection("send query");
  co_await flush();
  auto results = co_await collect();
  co_return take_result(c_, std::move(results));
}

asio::awaitable<void> PgConn::exec_script(std::string sql) {
  if (is_bad()) fail_connection("connection lost");
  if (!PQsendQuery(c_, sql.c_str())) fail_connection("send query");
  co_await flush();
  auto results = co_await collect();
  take_result(c_, std::move(results));
}

asio::awaitable<bool> PgConn::wait_readable() {
  boost::system::error_code ec;
  co_await sock_.async_wait(asio::posix::stream_descriptor::wait_read,
                            asio::redirect_error(asio::use_awaitable, ec));
  co_return !ec;
}

void PgConn::cancel_wait() {
  if (sock_.is_open()) sock_.cancel();
}

}  // namespace taube::store::postgres
