// The composition root: configuration -> store engine -> services -> listeners.
// The only place (besides tests and benchmarks) that names a concrete store engine.
// serve() owns the io_context threads and returns when SIGTERM/SIGINT arrive.
#pragma once

#include <memory>
#include <string>

#include "base/error.hpp"
#include "config/config.hpp"
#include "store/store.hpp"

namespace taube::server {

struct OpenedStore {
  std::unique_ptr<store::Store> store;
  bool created = false;  // the database did not exist before
};

// Creates the data directory if needed and opens the configured engine (SQLite at
// <data>/taube.db when store.url is empty). Errors: kUnavailable, kInvalidArgument
// (an engine this build does not have). `serving`: a PostgreSQL store that cannot be
// reached yet still opens (the node starts degraded and connects when it can).
Result<OpenedStore> open_store(const config::Config& cfg, bool serving = false);

// `taube cluster status`: the nodes registered in the store with their age, version
// and listeners, and the database's role (PostgreSQL); SQLite: the single node.
// Errors: kUnavailable.
Result<std::string> cluster_status(const config::Config& cfg);

// `taube init`: data directory, store (migrated) and the development TLS pair.
// Returns whether anything was created.
Result<bool> init_node(const config::Config& cfg);

// Runs the node until SIGTERM or SIGINT; SIGHUP reloads what can be reloaded.
// `program` is argv[0], used in the first-start hints. Returns the exit code.
int serve(const config::Config& cfg, const std::string& program);

}  // namespace taube::server
