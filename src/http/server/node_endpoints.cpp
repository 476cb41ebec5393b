#include "http/server/node_endpoints.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "log/log.hpp"
#include "metrics/node_metrics.hpp"

#ifndef TAUBE_VERSION
#error "TAUBE_VERSION must be defined by the build"
#endif

namespace taube::http::server {

namespace asio = boost::asio;
using asio::awaitable;

StoreProbe store_probe(store::Store& store) {
  return [&store]() -> awaitable<Result<void>> {
    // ".invalid" is reserved (RFC 2606): never a real domain, always an index miss.
    auto r = co_await store.is_local_domain("readiness-probe.invalid");
    if (!r) co_return r.error();
    co_return Result<void>();
  };
}

Readiness::Readiness(StoreProbe probe, std::chrono::milliseconds timeout,
                     metrics::Registry& registry)
    : probe_(std::move(probe)),
      timeout_(timeout),
      degraded_(registry.gauge(metrics::kDegraded,
                               "1 while the node is degraded (store not ready), else 0.")),
      latency_(registry.histogram(metrics::kStoreReadinessSeconds,
                                  "Latency of the store readiness probe.", kReadinessBuckets)) {}

namespace {

// Shared by check() and the detached probe; lives on the caller's strand.
struct ProbeState {
  explicit ProbeState(asio::any_io_executor ex) : timer(ex) {}
  asio::steady_timer timer;
  std::optional<Result<void>> result;
};

}  // namespace

awaitable<std::optional<std::string>> Readiness::check() const {
  auto executor = co_await asio::this_coro::executor;
  auto state = std::make_shared<ProbeState>(executor);
  state->timer.expires_after(timeout_);
  auto start = std::chrono::steady_clock::now();
  StoreProbe probe = probe_;
  auto run = [state, probe]() -> awaitable<void> {
    Result<void> r = fail(ErrorCode::kInternal, "probe threw");
    try {
      r = co_await probe();
    } catch (const std::exception& e) {
      r = fail(ErrorCode::kInternal, std::string("probe threw: ") + e.what());
    }
    state->result = std::move(r);
    state->timer.cancel();
  };
  auto on_done = [](std::exception_ptr e) {
    if (e) log::error("http.readiness_probe_failed");
  };
  asio::co_spawn(executor, std::move(run), std::move(on_done));
  if (!state->result) {
    auto token = asio::as_tuple(asio::use_awaitable);
    co_await state->timer.async_wait(token);
  }
  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  latency_.observe(elapsed.count());
  std::optional<std::string> reason;
  if (!state->result) {
    reason = "store timeout";
    log::warn("http.not_ready", {log::kv("reason", "store did not answer within " +
                                                       std::to_string(timeout_.count()) + " ms")});
  } else if (!*state->result) {
    reason = "store unavailable";
    log::warn("http.not_ready", {log::kv("reason", state->result->error().detail)});
  }
  degraded_.set(reason ? 1 : 0);
  co_return reason;
}

void add_node_routes(Routes& routes, std::shared_ptr<const Readiness> readiness,
                     metrics::Registry& registry) {
  routes.add("GET", "/healthz",
             [](const Request&) -> awaitable<Response> { co_return text_response(200, "ok\n"); });
  routes.add("GET", "/readyz", [readiness](const Request&) -> awaitable<Response> {
    std::optional<std::string> reason = co_await readiness->check();
    if (reason) co_return text_response(503, "degraded: " + *reason + "\n");
    co_return text_response(200, "ready\n");
  });
  metrics::Registry* r = &registry;
  routes.add("GET", "/metrics", [readiness, r](const Request&) -> awaitable<Response> {
    // Refresh the readiness metrics so that a scrape sees the current state.
    co_await readiness->check();
    co_return text_response(200, r->render(), "text/plain; version=0.0.4; charset=utf-8");
  });
}

std::shared_ptr<const Service> make_node_service(StoreProbe probe, NodeOptions options) {
  metrics::Registry& registry = *options.registry;
  metrics::set_build_info(TAUBE_VERSION, registry);
  // Present from the start, so that rate() over the first scrapes works.
  registry.counter(metrics::kHttpRequestsTotal, kHttpRequestsHelp, {{"code", "200"}});
  auto readiness =
      std::make_shared<const Readiness>(std::move(probe), options.readiness_timeout, registry);
  auto service = std::make_shared<Service>();
  service->registry = &registry;
  add_node_routes(service->routes, std::move(readiness), registry);
  return service;
}

std::shared_ptr<const Service> make_node_service(store::Store& store, NodeOptions options) {
  return make_node_service(store_probe(store), options);
}

}  // namespace taube::http::server
