// The node's own endpoints, served on the "http" and "https" listeners:
//   GET /healthz  200 "ok" while the process runs;
//   GET /readyz   200 "ready" when the store answers a cheap query within the
//                 readiness timeout, else 503 "degraded: <short reason>";
//   GET /metrics  the registry in Prometheus text format 0.0.4.
// Readiness updates taube_degraded and taube_store_readiness_seconds. Built once per
// listener by server/http_protocols.cpp; shared read-only by its sessions.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/error.hpp"
#include "http/server/session.hpp"
#include "metrics/registry.hpp"
#include "store/store.hpp"

namespace taube::http::server {

// One cheap store round trip. Runs detached from the request (see Readiness).
using StoreProbe = std::function<boost::asio::awaitable<Result<void>>()>;

// A probe that asks `store` whether a reserved name is a local domain (an index
// lookup). REQUIRES: store outlives every call.
StoreProbe store_probe(store::Store& store);

// Whether the node may take traffic. Thread-safe; shared by sessions on any strand.
class Readiness {
 public:
  Readiness(StoreProbe probe, std::chrono::milliseconds timeout, metrics::Registry& registry);

  // Runs the probe with the timeout; nullopt when ready, else a short reason for
  // clients ("store unavailable", "store timeout"; the detail is logged). Sets
  // taube_degraded to 0 or 1 and observes the latency (the timeout when it passed).
  // The probe itself cannot be cancelled: one that hangs stays pending, holding
  // only its own small state, until the store answers.
  boost::asio::awaitable<std::optional<std::string>> check() const;

 private:
  StoreProbe probe_;
  std::chrono::milliseconds timeout_;
  metrics::Gauge& degraded_;
  metrics::Histogram& latency_;
};

// Adds GET /healthz, /readyz and /metrics to `routes`.
void add_node_routes(Routes& routes, std::shared_ptr<const Readiness> readiness,
                     metrics::Registry& registry);

struct NodeOptions {
  std::chrono::milliseconds readiness_timeout{2'000};
  metrics::Registry* registry = &metrics::default_registry();
};

// The Service for a node listener: node routes over `store`; also registers build
// info and the node metrics at their initial values so that they are always present.
std::shared_ptr<const Service> make_node_service(store::Store& store, NodeOptions options);
std::shared_ptr<const Service> make_node_service(StoreProbe probe, NodeOptions options);

// taube_store_readiness_seconds buckets.
inline const std::vector<double> kReadinessBuckets = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                      0.25,  0.5,   1,    2.5,   5};

}  // namespace taube::http::server
