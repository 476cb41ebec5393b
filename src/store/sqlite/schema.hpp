// Versioned schema of the SQLite engine: an append-only list of migration steps;
// PRAGMA user_version records how many have run. Opening an older database runs
// the missing steps, each in its own transaction. Used by the engine at open
// and by migration tests. Never edit a released step: append a new one.
#pragma once

#include "store/sqlite/db.hpp"

namespace taube::store::sqlite {

int latest_schema_version();

// Brings `db` to `target` (0 = latest). Throws DbError; throws std::runtime_error
// when the database is newer than this code.
void migrate(Db& db, int target = 0);

int schema_version(Db& db);

}  // namespace taube::store::sqlite
