// Conformance: concurrent writers, shared blobs at scale, and group commit
// (nothing acknowledged before the durability point; a failed one fails the
// whole batch).
#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "store/conformance/conformance.hpp"
#include "store/content.hpp"

namespace taube::store::conformance {
namespace {

using boost::asio::awaitable;
using namespace std::chrono_literals;

TEST_P(StoreConformance, UidsAndModseqsAreGapFreeUnderConcurrentWriters) {
  auto bob = make_account("bob@example.org");
  auto inbox = mailbox_id(bob.id, "INBOX");
  constexpr int kWriters = 12;
  constexpr int kPerWriter = 15;
  std::mutex mu;
  std::vector<Uid> all;
  std::atomic<int> flag_ops{0};
  std::atomic<int> errors{0};
  std::vector<Task> tasks;
  for (int w = 0; w < kWriters; ++w) {
    tasks.push_back([&, w]() -> awaitable<void> {
      auto s = store().account(bob.id);
      Uid last = 0;
      for (int i = 0; i < kPerWriter; ++i) {
        auto m = make_message("w" + std::to_string(w) + "-" + std::to_string(i), "body");
        Uid uid = 0;
        if (w % 2 == 0) {  // half append, half deliver: one allocator for both
          auto r = co_await s->append(inbox, m.raw, m.meta, {}, UnixTime{});
          if (r) uid = r->uid;
        } else {
          // GCC 12: no initializer_list temporaries inside a co_await expression.
          auto d = make_delivery(m, {DeliveryTarget{bob.id}});
          auto r = co_await store().deliver(std::move(d));
          if (r && r->front()) uid = r->front()->uid;
        }
        if (uid == 0 || uid <= last) ++errors;  // each writer sees its own UIDs increase
        last = uid;
        {
          std::lock_guard lock(mu);
          all.push_back(uid);
        }
        // Flag a message of our own with a keyword nobody else uses: always a change.
        Flags keyword{0, {"k" + std::to_string(w) + "x" + std::to_string(i)}};
        auto f =
            co_await s->store_flags(inbox, single_uid(uid), FlagsMode::kAdd, keyword, std::nullopt);
        if (!f || f->records.size() != 1) ++errors;
        ++flag_ops;
      }
    });
  }
  Parallel(4, std::move(tasks)).join();
  EXPECT_EQ(errors.load(), 0);

  constexpr Uid kTotal = kWriters * kPerWriter;
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), kTotal);
  for (Uid i = 0; i < kTotal; ++i) ASSERT_EQ(all[i], i + 1) << "UIDs must be 1..N without gaps";

  auto status = sync(store().account(bob.id)->get_mailbox(inbox));
  ASSERT_TRUE(status);
  EXPECT_EQ(status->uid_next, kTotal + 1);
  // One modseq per append and per effective STORE, starting from 1: gap-free.
  EXPECT_EQ(status->highest_modseq, 1 + kTotal + static_cast<ModSeq>(flag_ops.load()));
  auto records = *sync(store().account(bob.id)->list_messages(inbox));
  std::set<ModSeq> modseqs;
  for (const auto& r : records) modseqs.insert(r.modseq);
  EXPECT_EQ(modseqs.size(), records.size()) << "each message's last change has its own modseq";
  EXPECT_EQ(*modseqs.rbegin(), status->highest_modseq);
}

TEST_P(StoreConformance, BlobDeliveredToAThousandRecipientsIsStoredOnceAndFreedWithTheLast) {
  constexpr int kRecipients = 1000;
  ASSERT_TRUE(sync(store().add_domain("example.org")));
  std::vector<AccountId> ids(kRecipients);
  std::vector<Task> tasks;
  for (int t = 0; t < 4; ++t) {
    tasks.push_back([&, t]() -> awaitable<void> {
      for (int i = t; i < kRecipients; i += 4) {
        auto a = co_await store().create_account("user" + std::to_string(i) + "@example.org", "h");
        EXPECT_TRUE(a);
        if (a) ids[static_cast<size_t>(i)] = a->id;
      }
    });
  }
  Parallel(2, std::move(tasks)).join();
  auto baseline = *sync(store().blobs().count());

  auto m = make_message("All staff", std::string(20000, 'x'));
  std::vector<DeliveryTarget> targets;
  for (auto id : ids) targets.push_back(DeliveryTarget{id});
  auto result = sync(store().deliver(make_delivery(m, targets)));
  ASSERT_TRUE(result);
  for (const auto& r : *result) ASSERT_TRUE(r);
  EXPECT_EQ(*sync(store().blobs().count()), baseline + 1);
  auto hash = sha256_hex(m.raw);
  EXPECT_EQ(sync(store().blobs().erase(hash)).error().code, ErrorCode::kConflict);

  for (int i = 0; i + 1 < kRecipients; ++i) {
    auto gone = sync(store()
                         .account(ids[static_cast<size_t>(i)])
                         ->expunge((*result)[static_cast<size_t>(i)]->mailbox, all_uids(), false));
    ASSERT_TRUE(gone);
    ASSERT_EQ(gone->size(), 1u);
  }
  EXPECT_EQ(*sync(store().blobs().count()), baseline + 1);
  EXPECT_EQ(*sync(store().blobs().get(hash)), m.raw);
  auto last = ids.back();
  ASSERT_TRUE(sync(store().account(last)->expunge(result->back()->mailbox, all_uids(), false)));
  EXPECT_EQ(*sync(store().blobs().count()), baseline);
  EXPECT_EQ(sync(store().blobs().get(hash)).error().code, ErrorCode::kNotFound);
}

// Launches n deliveries of distinct messages to `account`; counts completions.
struct Burst {
  std::atomic<int> completed{0};
  std::atomic<int> succeeded{0};
  std::mutex mu;
  std::vector<Error> errors;
  std::unique_ptr<Parallel> running;

  void start(Store& store, AccountId account, int n) {
    std::vector<Task> tasks;
    for (int i = 0; i < n; ++i) {
      tasks.push_back([this, &store, account, i]() -> awaitable<void> {
        auto m = make_message("burst " + std::to_string(i), "b" + std::to_string(i));
        auto d = make_delivery(m, {DeliveryTarget{account}});
        auto r = co_await store.deliver(std::move(d));
        if (r && r->front()) {
          ++succeeded;
        } else {
          std::lock_guard lock(mu);
          errors.push_back(r ? r->front().error() : r.error());
        }
        ++completed;
      });
    }
    running = std::make_unique<Parallel>(4, std::move(tasks));
  }
};

TEST_P(StoreConformance, GroupCommitAcknowledgesNothingBeforeTheSync) {
  reset(HarnessOptions{true});
  if (!sync_control()) GTEST_SKIP() << "backend offers no sync control";
  auto bob = make_account("bob@example.org");
  constexpr int kN = 200;
  auto before = sync_control()->sync_count();
  sync_control()->set_hold(true);
  Burst burst;
  burst.start(store(), bob.id, kN);
  ASSERT_TRUE(sync_control()->wait_until_held(10s));
  std::this_thread::sleep_for(300ms);  // let the rest queue behind the held commit
  EXPECT_EQ(burst.completed.load(), 0) << "a completion fired while its sync was held";
  sync_control()->set_hold(false);
  burst.running->join();
  EXPECT_EQ(burst.succeeded.load(), kN);
  auto syncs = sync_control()->sync_count() - before;
  EXPECT_LE(syncs, static_cast<std::uint64_t>(kN / 10)) << "deliveries were not batched";
  RecordProperty("syncs_for_200_deliveries", static_cast<int>(syncs));
  auto inbox = sync(store().account(bob.id)->get_mailbox("INBOX"));
  EXPECT_EQ(inbox->counts.messages, static_cast<std::uint32_t>(kN));
}

TEST_P(StoreConformance, FailedSyncFailsEveryCallerOfTheBatchAndLeavesNothingVisible) {
  reset(HarnessOptions{true});
  if (!sync_control()) GTEST_SKIP() << "backend offers no sync control";
  auto bob = make_account("bob@example.org");
  auto s = store().account(bob.id);
  auto before = *sync(s->get_mailbox("INBOX"));
  auto blobs_before = *sync(store().blobs().count());
  constexpr int kN = 50;
  sync_control()->set_hold(true);
  Burst burst;
  burst.start(store(), bob.id, kN);
  ASSERT_TRUE(sync_control()->wait_until_held(10s));
  std::this_thread::sleep_for(300ms);
  sync_control()->set_fail(true);
  sync_control()->set_hold(false);
  burst.running->join();
  EXPECT_EQ(burst.succeeded.load(), 0);
  ASSERT_EQ(burst.errors.size(), static_cast<size_t>(kN));
  for (const auto& e : burst.errors) EXPECT_EQ(e.code, ErrorCode::kUnavailable);

  sync_control()->set_fail(false);
  auto after = *sync(s->get_mailbox("INBOX"));
  EXPECT_EQ(after.counts.messages, 0u);
  EXPECT_EQ(after.uid_next, before.uid_next);
  EXPECT_EQ(after.highest_modseq, before.highest_modseq);
  EXPECT_EQ(*sync(store().blobs().count()), blobs_before);
  // The store recovers, and the failed batch left no gap in the UIDs.
  auto ok = append(bob.id, before.id, "after the failure");
  EXPECT_EQ(ok.uid, before.uid_next);
  EXPECT_EQ(sync(s->list_messages(before.id))->size(), 1u);
}

}  // namespace
}  // namespace taube::store::conformance
