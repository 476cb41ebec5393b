// The node's standard metrics, so that every protocol names them the same way.
// Protocol sessions (smtp, imap, pop3, http...) hold a ConnectionScope for their
// lifetime; the HTTP server's /metrics renders the registry. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "metrics/registry.hpp"

namespace taube::metrics {

inline constexpr std::string_view kConnections = "taube_connections";
inline constexpr std::string_view kConnectionsTotal = "taube_connections_total";
inline constexpr std::string_view kHttpRequestsTotal = "taube_http_requests_total";
inline constexpr std::string_view kStoreReadinessSeconds = "taube_store_readiness_seconds";
inline constexpr std::string_view kDegraded = "taube_degraded";
inline constexpr std::string_view kBuildInfo = "taube_build_info";

// taube_connections{protocol}: open connections now.
Gauge& connections_gauge(std::string_view protocol, Registry& registry = default_registry());
// taube_connections_total{protocol}: connections accepted since start.
Counter& connections_counter(std::string_view protocol, Registry& registry = default_registry());

// Counts one connection of `protocol` ("smtp", "imaps", "http"...) while it lives:
// taube_connections{protocol} goes up now and down in the destructor, and
// taube_connections_total{protocol} goes up. Create one at the start of a session.
class ConnectionScope {
 public:
  explicit ConnectionScope(std::string_view protocol, Registry& registry = default_registry());
  ~ConnectionScope();
  ConnectionScope(const ConnectionScope&) = delete;
  ConnectionScope& operator=(const ConnectionScope&) = delete;

 private:
  Gauge& open_;
};

// taube_build_info{version} 1.
void set_build_info(std::string_view version, Registry& registry = default_registry());

}  // namespace taube::metrics
