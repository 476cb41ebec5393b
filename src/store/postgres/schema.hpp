// Versioned migrations of the PostgreSQL engine: an append-only list of steps,
// the missing ones applied in one transaction and recorded in
// schema_migrations. Nodes starting together serialise on an advisory lock, so
// a step runs once.
// Runs on the engine's io thread over one PgConn; throws PgError.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "store/postgres/pg_conn.hpp"

namespace taube::store::postgres {

int latest_schema_version();
// The highest applied version (0 for an empty database).
boost::asio::awaitable<int> schema_version(PgConn& conn);
// Applies the missing steps up to `target` (0 = latest). Throws PgError, or
// std::runtime_error when the database is newer than this code.
boost::asio::awaitable<void> migrate(PgConn& conn, int target);

}  // namespace taube::store::postgres
