#include "metrics/node_metrics.hpp"

namespace taube::metrics {

Gauge& connections_gauge(std::string_view protocol, Registry& registry) {
  return registry.gauge(kConnections, "Open client connections by protocol.",
                        {{"protocol", std::string(protocol)}});
}

Counter& connections_counter(std::string_view protocol, Registry& registry) {
  return registry.counter(kConnectionsTotal, "Client connections accepted by protocol since start.",
                          {{"protocol", std::string(protocol)}});
}

ConnectionScope::ConnectionScope(std::string_view protocol, Registry& registry)
    : open_(connections_gauge(protocol, registry)) {
  open_.add(1);
  connections_counter(protocol, registry).inc();
}

ConnectionScope::~ConnectionScope() { open_.sub(1); }

void set_build_info(std::string_view version, Registry& registry) {
  registry
      .gauge(kBuildInfo, "Build information; the value is always 1.",
             {{"version", std::string(version)}})
      .set(1);
}

}  // namespace taube::metrics
