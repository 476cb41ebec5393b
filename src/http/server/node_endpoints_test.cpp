#include "http/server/node_endpoints.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <stdexcept>

#include "http/server/test_transport.hpp"
#include "metrics/node_metrics.hpp"

namespace taube::http::server {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using std::chrono::milliseconds;

// Serves one scripted connection against make_node_service(probe) and returns the output.
std::string serve(StoreProbe probe, metrics::Registry& registry, std::string input,
                  milliseconds readiness_timeout = milliseconds(2000)) {
  NodeOptions options;
  options.registry = &registry;
  options.readiness_timeout = readiness_timeout;
  auto service = make_node_service(std::move(probe), options);
  auto record = std::make_shared<testing::Record>();
  asio::io_context io;
  auto transport = std::make_unique<testing::FakeTransport>(
      testing::Script{.reads = {std::move(input)}}, record);
  asio::co_spawn(io, run_session(std::move(transport), service, Options{}),
                 [](std::exception_ptr e) {
                   if (e) std::rethrow_exception(e);
                 });
  io.run();
  return record->output;
}

StoreProbe ok_probe() {
  return []() -> awaitable<Result<void>> { co_return Result<void>(); };
}

const std::string kReady = "GET /readyz HTTP/1.1\r\nHost: a\r\n\r\n";

std::string text(int status, std::string_view reason, std::string_view body) {
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
         "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

TEST(NodeEndpoints, ReadyWhenTheStoreAnswers) {
  metrics::Registry registry;
  EXPECT_EQ(serve(ok_probe(), registry, kReady), text(200, "OK", "ready\n"));
  EXPECT_EQ(registry.gauge(metrics::kDegraded, "").value(), 0);
  EXPECT_EQ(registry.histogram(metrics::kStoreReadinessSeconds, "", kReadinessBuckets).count(), 1u);
}

TEST(NodeEndpoints, DegradedWhenTheStoreFails) {
  metrics::Registry registry;
  StoreProbe probe = []() -> awaitable<Result<void>> {
    co_return fail(ErrorCode::kUnavailable, "secret detail");
  };
  EXPECT_EQ(serve(probe, registry, kReady),
            text(503, "Service Unavailable", "degraded: store unavailable\n"));
  EXPECT_EQ(registry.gauge(metrics::kDegraded, "").value(), 1);
}

TEST(NodeEndpoints, DegradedWhenTheProbeThrows) {
  metrics::Registry registry;
  StoreProbe probe = []() -> awaitable<Result<void>> {
    throw std::runtime_error("boom");
    co_return Result<void>();
  };
  EXPECT_EQ(serve(probe, registry, kReady),
            text(503, "Service Unavailable", "degraded: store unavailable\n"));
}

TEST(NodeEndpoints, DegradedWhenTheStoreIsSlowerThanTheTimeout) {
  metrics::Registry registry;
  StoreProbe slow = []() -> awaitable<Result<void>> {
    asio::steady_timer timer(co_await asio::this_coro::executor, milliseconds(400));
    co_await timer.async_wait(asio::use_awaitable);
    co_return Result<void>();
  };
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(serve(slow, registry, kReady, milliseconds(50)),
            text(503, "Service Unavailable", "degraded: store timeout\n"));
  EXPECT_GE(std::chrono::steady_clock::now() - start,
            milliseconds(400));  // io.run waited for the late probe
  auto& h = registry.histogram(metrics::kStoreReadinessSeconds, "", kReadinessBuckets);
  EXPECT_EQ(h.count(), 1u);
  EXPECT_GE(h.sum(), 0.05);
  EXPECT_LT(h.sum(), 0.4);  // the answer did not wait for the probe
  EXPECT_EQ(registry.gauge(metrics::kDegraded, "").value(), 1);
}

TEST(NodeEndpoints, HealthzIsOkEvenWhenDegraded) {
  metrics::Registry registry;
  StoreProbe probe = []() -> awaitable<Result<void>> {
    co_return fail(ErrorCode::kUnavailable, "down");
  };
  EXPECT_EQ(serve(probe, registry, "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"),
            text(200, "OK", "ok\n"));
}

TEST(NodeEndpoints, MetricsRenderNodeMetricsAndCountEarlierRequests) {
  metrics::Registry registry;
  std::string out =
      serve(ok_probe(), registry,
            "GET /nope HTTP/1.1\r\nHost: a\r\n\r\nGET /metrics HTTP/1.1\r\nHost: a\r\n\r\n");
  std::string second = out.substr(out.find("\r\n\r\nnot found\n") + 14);
  EXPECT_EQ(second.rfind(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n", 0),
            0u)
      << second;
  for (std::string line :
       {"# TYPE taube_build_info gauge\ntaube_build_info{version=\"",
        "\n# TYPE taube_connections gauge\ntaube_connections{protocol=\"http\"} 1\n",
        "\ntaube_connections_total{protocol=\"http\"} 1\n",
        "\n# TYPE taube_degraded gauge\ntaube_degraded 0\n",
        "\n# TYPE taube_http_requests_total counter\ntaube_http_requests_total{code=\"200\"} 0\n"
        "taube_http_requests_total{code=\"404\"} 1\n",
        "\n# TYPE taube_store_readiness_seconds histogram\n",
        "\ntaube_store_readiness_seconds_bucket{le=\"+Inf\"} 1\n",
        "\ntaube_store_readiness_seconds_count 1\n"}) {
    EXPECT_NE(second.find(line), std::string::npos) << line << "\nin:\n" << second;
  }
  // Only the 404 had been answered when the scrape rendered; 200 is there from the start.
  EXPECT_NE(second.find("\ntaube_http_requests_total{code=\"200\"} 0\n"), std::string::npos)
      << second;
}

}  // namespace
}  // namespace taube::http::server
