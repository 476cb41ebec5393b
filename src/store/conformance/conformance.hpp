// The store conformance suite: behaviour every engine must show, written once
// against the Store interface (Stalwart tests/src/store/mod.rs). An engine's
// test binary instantiates it with a Backend that makes fresh, empty stores:
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformance, testing::Values(backend), backend_name);
// Tests that need fault injection at the durability point skip when the
// harness offers no SyncControl. Test-only code.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace taube::store::conformance {

// Control over the engine's durability point (an fsync for SQLite, the commit
// round trip for PostgreSQL). Thread-safe.
class SyncControl {
 public:
  virtual ~SyncControl() = default;
  virtual std::uint64_t sync_count() = 0;
  virtual void set_fail(bool fail) = 0;  // make syncs fail
  virtual void set_hold(bool hold) = 0;  // block syncs until set_hold(false)
  // True once a sync is blocked by set_hold(true) within `timeout`.
  virtual bool wait_until_held(std::chrono::milliseconds timeout) = 0;
};

class Harness {
 public:
  virtual ~Harness() = default;
  virtual Store& store() = 0;
  virtual SyncControl* sync_control() { return nullptr; }
  // Closes the store and opens it again on the same data (same options);
  // false when the harness cannot (then store() is unchanged). For DAV sync tokens.
  virtual bool reopen() { return false; }
};

struct HarnessOptions {
  bool fault_injection = false;
};

struct Backend {
  std::string name;
  std::function<std::unique_ptr<Harness>(const HarnessOptions&)> make;
};
std::string backend_name(const testing::TestParamInfo<Backend>& info);
inline void PrintTo(const Backend& backend, std::ostream* os) { *os << backend.name; }

// --- Running coroutines from tests (support.cpp holds all of Asio) ---
using Task = std::function<boost::asio::awaitable<void>()>;
// Runs `body` on a fresh io_context until it finishes; rethrows its exception.
void run_coroutine(Task body);
// Runs every task as its own coroutine on `threads` threads; in the background
// until join(). The destructor joins.
class Parallel {
 public:
  Parallel(int threads, std::vector<Task> tasks);
  ~Parallel();
  void join();  // rethrows the first exception of a task

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

template <class T>
Result<T> sync(Async<T> op) {
  std::optional<Result<T>> out;
  run_coroutine([&]() -> boost::asio::awaitable<void> { out.emplace(co_await std::move(op)); });
  return std::move(*out);
}

// --- Test messages ---
struct TestMessage {
  std::string raw;
  MessageMeta meta;
};
// A small RFC 5322 message with the metadata a parser would have produced.
TestMessage make_message(const std::string& subject, const std::string& body,
                         const std::string& from = "alice@example.org");
Delivery make_delivery(const TestMessage& m, std::vector<DeliveryTarget> targets);

class StoreConformance : public testing::TestWithParam<Backend> {
 protected:
  void SetUp() override;
  void TearDown() override;
  void reset(HarnessOptions options);  // replaces the store with a fresh one
  // Harness::reopen(): store() then refers to the reopened store.
  bool reopen() { return harness_->reopen(); }
  Store& store() { return harness_->store(); }
  SyncControl* sync_control() { return harness_->sync_control(); }

  // Creates the domain if needed and the account; fails the test on error.
  Account make_account(const std::string& address);
  MailboxId mailbox_id(AccountId account, const std::string& name);
  Delivered append(AccountId account, MailboxId mailbox, const std::string& subject,
                   const std::string& body = "hello", Flags flags = {});

 private:
  std::unique_ptr<Harness> harness_;
};

}  // namespace taube::store::conformance
