// The conformance suite on SQLite, plus what only this engine has: schema
// migrations, reopening a database, and group commit measured in fsyncs.
#include "store/sqlite/sqlite_store.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "store/conformance/conformance.hpp"
#include "store/content.hpp"
#include "store/dav.hpp"
#include "store/sqlite/db.hpp"
#include "store/sqlite/schema.hpp"

namespace taube::store::sqlite {
namespace {

namespace fs = std::filesystem;
using conformance::sync;
using namespace std::chrono_literals;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "taube-store-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Counts, holds or fails the fsyncs behind commits (the FaultVfs hook).
class VfsSyncControl final : public conformance::SyncControl {
 public:
  bool on_sync() {
    std::unique_lock lock(mu_);
    ++count_;
    if (hold_) {
      ++held_;
      cv_.notify_all();
      cv_.wait(lock, [&] { return !hold_; });
      --held_;
    }
    return !fail_;
  }
  std::uint64_t sync_count() override {
    std::lock_guard lock(mu_);
    return count_;
  }
  void set_fail(bool fail) override {
    std::lock_guard lock(mu_);
    fail_ = fail;
  }
  void set_hold(bool hold) override {
    std::lock_guard lock(mu_);
    hold_ = hold;
    cv_.notify_all();
  }
  bool wait_until_held(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return held_ > 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t count_ = 0;
  int held_ = 0;
  bool hold_ = false;
  bool fail_ = false;
};

class SqliteHarness final : public conformance::Harness {
 public:
  explicit SqliteHarness(const conformance::HarnessOptions& options) {
    SqliteOptions o;
    o.path = dir_.path() / "store.db";
    if (options.fault_injection) {
      sync_ = std::make_unique<VfsSyncControl>();
      o.on_sync = [s = sync_.get()] { return s->on_sync(); };
    }
    options_ = o;  // for reopen()
    auto store = open_sqlite_store(std::move(o));
    if (!store) throw std::runtime_error("open: " + store.error().detail);
    store_ = std::move(*store);
  }
  ~SqliteHarness() override { store_.reset(); }
  Store& store() override { return *store_; }
  conformance::SyncControl* sync_control() override { return sync_.get(); }
  bool reopen() override {
    store_.reset();
    auto store = open_sqlite_store(options_);
    if (!store) throw std::runtime_error("reopen: " + store.error().detail);
    store_ = std::move(*store);
    return true;
  }

 private:
  TempDir dir_;
  std::unique_ptr<VfsSyncControl> sync_;
  SqliteOptions options_;
  std::unique_ptr<Store> store_;
};

conformance::Backend sqlite_backend() {
  return {"Sqlite",
          [](const conformance::HarnessOptions& o) -> std::unique_ptr<conformance::Harness> {
            return std::make_unique<SqliteHarness>(o);
          }};
}

}  // namespace
}  // namespace taube::store::sqlite

namespace taube::store::conformance {
INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformance, testing::Values(sqlite::sqlite_backend()),
                         backend_name);
}  // namespace taube::store::conformance

namespace taube::store::sqlite {
namespace {

// The DAV step gives accounts that existed before it their default collections;
// accounts created afterwards get them from the trigger.
TEST(SqliteStore, AccountsFromBeforeDavGetTheDefaultCollections) {
  TempDir dir;
  auto path = dir.path() / "store.db";
  AccountId bob;
  {
    auto store = open_sqlite_store(SqliteOptions{.path = path, .schema_version = 2});
    ASSERT_TRUE(store);
    ASSERT_TRUE(sync((*store)->add_domain("example.org")));
    bob = sync((*store)->create_account("bob@example.org", "h"))->id;
  }
  auto store = open_sqlite_store(SqliteOptions{.path = path});
  ASSERT_TRUE(store);
  auto alice = sync((*store)->create_account("alice@example.org", "h"));
  ASSERT_TRUE(alice);
  for (auto who : {bob, alice->id}) {
    auto list = sync((*store)->dav().list_collections(who, who));
    ASSERT_TRUE(list) << list.error().detail;
    std::vector<std::string> names;
    for (const auto& c : *list) names.push_back(c.name + ":" + std::string(to_string(c.kind)));
    EXPECT_EQ(names, (std::vector<std::string>{"calendar:calendar", "contacts:addressbook",
                                               "inbox:schedule-inbox", "outbox:schedule-outbox"}));
  }
}

TEST(SqliteStore, DataSurvivesReopening) {
  TempDir dir;
  auto path = dir.path() / "store.db";
  AccountId bob;
  {
    auto store = open_sqlite_store(SqliteOptions{.path = path});
    ASSERT_TRUE(store);
    ASSERT_TRUE(sync((*store)->add_domain("example.org")));
    bob = sync((*store)->create_account("bob@example.org", "h"))->id;
    auto m = conformance::make_message("keep", "me");
    ASSERT_TRUE(sync((*store)->deliver(conformance::make_delivery(m, {DeliveryTarget{bob}}))));
  }
  auto store = open_sqlite_store(SqliteOptions{.path = path});
  ASSERT_TRUE(store);
  auto inbox = sync((*store)->account(bob)->get_mailbox("INBOX"));
  ASSERT_TRUE(inbox);
  EXPECT_EQ(inbox->counts.messages, 1u);
}

TEST(SqliteStore, MissingDirectoryIsUnavailable) {
  auto store = open_sqlite_store(SqliteOptions{.path = "/nonexistent-taube-dir/x/store.db"});
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kUnavailable);
}

TEST(SqliteStore, MigratesADatabaseFromThePreviousSchemaVersion) {
  ASSERT_GE(latest_schema_version(), 2);
  TempDir dir;
  auto path = dir.path() / "store.db";
  AccountId bob;
  MailboxId inbox;
  {
    // A database as the previous release left it, with mail in it.
    auto old = open_sqlite_store(
        SqliteOptions{.path = path, .schema_version = latest_schema_version() - 1});
    ASSERT_TRUE(old);
    ASSERT_TRUE(sync((*old)->add_domain("example.org")));
    bob = sync((*old)->create_account("bob@example.org", "h"))->id;
    auto m = conformance::make_message("Before the upgrade", "the pigeon loft roof leaks");
    auto d = sync((*old)->deliver(conformance::make_delivery(m, {DeliveryTarget{bob}})));
    ASSERT_TRUE(d);
    inbox = d->front()->mailbox;
  }
  {
    auto db = Db::open(path.string(), nullptr, false, true);
    EXPECT_EQ(schema_version(*db), latest_schema_version() - 1);
  }
  auto store = open_sqlite_store(SqliteOptions{.path = path});
  ASSERT_TRUE(store);
  {
    auto db = Db::open(path.string(), nullptr, false, true);
    EXPECT_EQ(schema_version(*db), latest_schema_version());
  }
  auto s = (*store)->account(bob);
  EXPECT_EQ(sync((*store)->find_account("bob@example.org"))->id, bob);
  auto records = sync(s->list_messages(inbox));
  ASSERT_TRUE(records);
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ(sync(s->read_meta(inbox, all_uids()))->front().second.subject, "Before the upgrade");
  // The full-text index added by the last step covers mail stored before it.
  EXPECT_EQ(*sync(s->search_text(inbox, "pigeon loft")), std::vector<Uid>{1});
  auto m = conformance::make_message("After", "the roof is fixed");
  ASSERT_TRUE(sync((*store)->deliver(conformance::make_delivery(m, {DeliveryTarget{bob}}))));
  EXPECT_EQ(*sync(s->search_text(inbox, "roof")), (std::vector<Uid>{1, 2}));
}

TEST(SqliteStore, RefusesADatabaseFromANewerVersion) {
  TempDir dir;
  auto path = dir.path() / "store.db";
  {
    auto db = Db::open(path.string(), nullptr, true, false);
    db->exec("PRAGMA user_version=999");
  }
  auto store = open_sqlite_store(SqliteOptions{.path = path});
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kInternal);
}

TEST(SqliteStore, CorruptBlobIsReportedNotReturned) {
  TempDir dir;
  auto path = dir.path() / "store.db";
  auto store = open_sqlite_store(SqliteOptions{.path = path});
  ASSERT_TRUE(store);
  ASSERT_TRUE(sync((*store)->add_domain("example.org")));
  auto bob = sync((*store)->create_account("bob@example.org", "h"))->id;
  auto m = conformance::make_message("fragile", std::string(4000, 'z') + "end");
  auto d = sync((*store)->deliver(conformance::make_delivery(m, {DeliveryTarget{bob}})));
  ASSERT_TRUE(d);
  {
    auto db = Db::open(path.string(), nullptr, false, false);
    // Flip one byte in the middle of the stored zstd frame.
    db->exec(
        "UPDATE blobs SET data = substr(data, 1, length(data) / 2) || x'FF' || "
        "substr(data, length(data) / 2 + 2)");
  }
  auto raw = sync((*store)->account(bob)->read_raw(d->front()->mailbox, d->front()->uid));
  ASSERT_FALSE(raw);
  EXPECT_EQ(raw.error().code, ErrorCode::kInternal);
}

// A crash right after a failed commit must not bring the failed delivery back:
// copy the database and its WAL (without the shared-memory index, as after a
// power loss) and open the copy, which runs WAL recovery.
TEST(SqliteStore, FailedCommitDoesNotReappearAfterCrashRecovery) {
  TempDir dir;
  auto path = dir.path() / "store.db";
  auto failing = std::make_shared<std::atomic<int>>(0);
  SqliteOptions o{.path = path};
  o.on_sync = [failing] { return failing->fetch_sub(1) <= 0; };
  auto store = open_sqlite_store(std::move(o));
  ASSERT_TRUE(store);
  ASSERT_TRUE(sync((*store)->add_domain("example.org")));
  auto bob = sync((*store)->create_account("bob@example.org", "h"))->id;
  auto kept = conformance::make_message("kept", "committed");
  ASSERT_TRUE(sync((*store)->deliver(conformance::make_delivery(kept, {DeliveryTarget{bob}}))));
  failing->store(1);  // exactly the next fsync fails
  auto lost = conformance::make_message("lost", std::string(30000, 'q'));
  auto r = sync((*store)->deliver(conformance::make_delivery(lost, {DeliveryTarget{bob}})));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);

  TempDir crash;
  fs::copy_file(path, crash.path() / "store.db");
  fs::copy_file(fs::path(path.string() + "-wal"), crash.path() / "store.db-wal");
  auto recovered = open_sqlite_store(SqliteOptions{.path = crash.path() / "store.db"});
  ASSERT_TRUE(recovered);
  auto inbox = sync((*recovered)->account(bob)->get_mailbox("INBOX"));
  ASSERT_TRUE(inbox);
  EXPECT_EQ(inbox->counts.messages, 1u) << "a failed delivery came back after recovery";
  EXPECT_EQ(sync((*recovered)->blobs().get(sha256_hex(lost.raw))).error().code,
            ErrorCode::kNotFound);
}

// Not a benchmark (that lives in bench/): shows the fsync saving and prints a
// rough rate for the report.
TEST(SqliteStore, GroupCommitNeedsFarFewerSyncsThanOneTransactionPerMessage) {
  constexpr int kN = 400;
  auto run = [&](std::size_t max_batch, std::uint64_t& syncs) {
    TempDir dir;
    std::atomic<std::uint64_t> count{0};
    SqliteOptions o{.path = dir.path() / "store.db", .max_batch_jobs = max_batch};
    o.on_sync = [&count] {
      ++count;
      return true;
    };
    auto store = open_sqlite_store(std::move(o));
    EXPECT_TRUE(store);
    EXPECT_TRUE(sync((*store)->add_domain("example.org")));
    auto bob = sync((*store)->create_account("bob@example.org", "h"))->id;
    std::vector<conformance::Task> tasks;
    for (int i = 0; i < kN; ++i) {
      tasks.push_back([&store, bob, i]() -> boost::asio::awaitable<void> {
        auto m = conformance::make_message("m" + std::to_string(i), "x");
        auto d = conformance::make_delivery(m, {DeliveryTarget{bob}});
        auto r = co_await (*store)->deliver(std::move(d));
        EXPECT_TRUE(r && r->front());
      });
    }
    auto start_count = count.load();
    auto start = std::chrono::steady_clock::now();
    conformance::Parallel(4, std::move(tasks)).join();
    auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    syncs = count.load() - start_count;
    return kN / seconds;
  };
  std::uint64_t grouped_syncs = 0;
  std::uint64_t single_syncs = 0;
  double grouped = run(512, grouped_syncs);
  double single = run(1, single_syncs);
  std::printf(
      "[ info ] %d concurrent deliveries: group commit %.0f/s with %llu fsyncs; "
      "one transaction each %.0f/s with %llu fsyncs\n",
      kN, grouped, static_cast<unsigned long long>(grouped_syncs), single,
      static_cast<unsigned long long>(single_syncs));
  EXPECT_GE(single_syncs, static_cast<std::uint64_t>(kN));
  EXPECT_LT(grouped_syncs * 4, single_syncs);
}

}  // namespace
}  // namespace taube::store::sqlite
