#include "metrics/node_metrics.hpp"

#include <gtest/gtest.h>

namespace taube::metrics {
namespace {

TEST(NodeMetrics, ConnectionScopeCountsOpenAndTotalConnections) {
  Registry r;
  {
    ConnectionScope a("imap", r);
    ConnectionScope b("imap", r);
    EXPECT_EQ(connections_gauge("imap", r).value(), 2);
  }
  EXPECT_EQ(connections_gauge("imap", r).value(), 0);
  EXPECT_EQ(connections_counter("imap", r).value(), 2u);
  EXPECT_EQ(r.render(),
            "# HELP taube_connections Open client connections by protocol.\n"
            "# TYPE taube_connections gauge\n"
            "taube_connections{protocol=\"imap\"} 0\n"
            "# HELP taube_connections_total Client connections accepted by protocol since start.\n"
            "# TYPE taube_connections_total counter\n"
            "taube_connections_total{protocol=\"imap\"} 2\n");
}

TEST(NodeMetrics, BuildInfoIsOne) {
  Registry r;
  set_build_info("1.2.3", r);
  EXPECT_EQ(r.render(),
            "# HELP taube_build_info Build information; the value is always 1.\n"
            "# TYPE taube_build_info gauge\n"
            "taube_build_info{version=\"1.2.3\"} 1\n");
}

}  // namespace
}  // namespace taube::metrics
