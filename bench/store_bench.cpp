// Delivery into the SQLite store: messages/s with group commit (many deliveries in
// flight share one transaction and one fsync) against one transaction per message
// (max_batch_jobs = 1, or one delivery in flight). The fsyncs per message are counted
// through the engine's sync hook. Durable settings in both cases (WAL, FULL).
#include <benchmark/benchmark.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <filesystem>
#include <string>

#include "store/sqlite/sqlite_store.hpp"

namespace asio = boost::asio;
using namespace taube;

namespace {

std::string make_message(uint64_t n) {
  std::string body;
  for (int i = 0; body.size() < 4000; ++i) body += "Line " + std::to_string(i) + " of message " + std::to_string(n) + ", some words of body text.\r\n";
  return "From: Bench <bench@example.org>\r\nTo: user@example.org\r\nSubject: message " +
         std::to_string(n) + "\r\nMessage-ID: <" + std::to_string(n) + "@bench>\r\n\r\n" + body;
}

void BM_Deliver(benchmark::State& state) {
  const int in_flight = int(state.range(0));
  const bool group_commit = state.range(1) != 0;
  char tmpl[] = "/tmp/taube-bench-XXXXXX";
  std::filesystem::path dir = ::mkdtemp(tmpl);
  std::atomic<uint64_t> syncs{0};
  store::sqlite::SqliteOptions options;
  options.path = dir / "taube.db";
  if (!group_commit) options.max_batch_jobs = 1;
  options.on_sync = [&syncs] {
    syncs.fetch_add(1, std::memory_order_relaxed);
    return true;
  };
  auto opened = store::sqlite::open_sqlite_store(options);
  if (!opened) {
    state.SkipWithError(opened.error().detail.c_str());
    return;
  }
  auto& s = **opened;
  asio::io_context io;
  store::AccountId account;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    (void)co_await s.add_domain("example.org");
    account = (co_await s.create_account("user@example.org", "x")).value().id;
  }, asio::detached);
  io.run();

  uint64_t next = 0;
  uint64_t delivered = 0;
  const uint64_t syncs_before = syncs.load();
  for (auto _ : state) {
    // One iteration = 256 messages, `in_flight` deliveries outstanding at any time.
    const uint64_t batch_end = next + 256;
    io.restart();
    for (int w = 0; w < in_flight; ++w) {
      asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        while (next < batch_end) {
          uint64_t n = next++;
          store::Delivery d;
          d.raw = make_message(n);
          d.meta.subject = "message " + std::to_string(n);
          d.targets.push_back(store::DeliveryTarget{.account = account});
          auto r = co_await s.deliver(std::move(d));
          if (r && (*r)[0]) ++delivered;
        }
      }, asio::detached);
    }
    io.run();
  }
  state.SetItemsProcessed(int64_t(delivered));
  state.counters["msgs_per_s"] = benchmark::Counter(double(delivered), benchmark::Counter::kIsRate);
  state.counters["fsyncs_per_msg"] = double(syncs.load() - syncs_before) / double(std::max<uint64_t>(delivered, 1));
  opened->reset();
  std::filesystem::remove_all(dir);
}

// in_flight=1 is one transaction per message whatever the engine does; group=0 with
// many in flight is the same load with group commit switched off.
BENCHMARK(BM_Deliver)->ArgNames({"in_flight", "group"})->Args({1, 1})->Args({64, 0})->Args({8, 1})->Args({64, 1})->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(3.0);

}  // namespace

BENCHMARK_MAIN();
