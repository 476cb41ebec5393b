// Conformance: the outbound queue (store/queue.hpp) - claims and leases, lease
// takeover, concurrent claimers, per-recipient completion, the blob kept while
// queued, admin operations - and deliveries that mix local and outbound
// recipients or carry an idempotency key.
#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "store/conformance/conformance.hpp"
#include "store/queue.hpp"

namespace taube::store::conformance {
namespace {

using boost::asio::awaitable;
using namespace std::chrono_literals;

Outbound outbound_to(std::vector<std::string> addresses, std::string sender = "bob@example.org") {
  Outbound o;
  o.sender = std::move(sender);
  o.envid = "env-1";
  o.ret = DsnRet::kHeaders;
  for (auto& a : addresses) o.recipients.push_back(OutboundRecipient{std::move(a), "", 0});
  return o;
}

const QueueRecipient* find_rcpt(const QueueEntry& e, const std::string& address) {
  for (const auto& r : e.recipients)
    if (r.rcpt.address == address) return &r;
  return nullptr;
}

TEST_P(StoreConformance, QueueEnqueueGroupsByDomainAndClaimLeasesEntries) {
  auto& q = store().queue();
  auto m = make_message("out", "to the world");
  Outbound o = outbound_to({"a@Remote.example", "b@remote.example", "c@other.example",
                            "A@remote.example"});
  o.recipients[2].orcpt = "rfc822;c@other.example";
  o.recipients[2].notify = kNotifyFailure | kNotifyDelay;
  auto ids = sync(q.enqueue(m.raw, o));
  ASSERT_TRUE(ids) << ids.error().detail;
  ASSERT_EQ(ids->size(), 2u) << "one entry per destination domain";
  EXPECT_EQ(*sync(q.depth()), 2u);

  auto all = *sync(q.list());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, (*ids)[0]);
  EXPECT_EQ(all[0].domain, "remote.example");
  ASSERT_EQ(all[0].recipients.size(), 2u) << "a recipient listed twice is queued once";
  EXPECT_EQ(all[0].recipients[0].rcpt.address, "a@Remote.example");
  EXPECT_EQ(all[0].recipients[1].rcpt.address, "b@remote.example");
  EXPECT_EQ(all[1].domain, "other.example");
  ASSERT_EQ(all[1].recipients.size(), 1u);
  EXPECT_EQ(all[1].recipients[0].rcpt.orcpt, "rfc822;c@other.example");
  EXPECT_EQ(all[1].recipients[0].rcpt.notify, kNotifyFailure | kNotifyDelay);
  EXPECT_EQ(all[1].recipients[0].state, RecipientState::kPending);
  for (const auto& e : all) {
    EXPECT_EQ(e.sender, "bob@example.org");
    EXPECT_EQ(e.envid, "env-1");
    EXPECT_EQ(e.ret, DsnRet::kHeaders);
    EXPECT_EQ(e.size, m.raw.size());
    EXPECT_EQ(e.attempts, 0u);
    EXPECT_FALSE(e.held);
    EXPECT_EQ(e.lease_owner, "");
    EXPECT_EQ(*sync(q.read_message(e.id)), m.raw);
  }

  auto claimed = sync(q.claim("node-a", 10, 60s));
  ASSERT_TRUE(claimed) << claimed.error().detail;
  ASSERT_EQ(claimed->size(), 2u);
  for (const auto& e : *claimed) {
    EXPECT_EQ(e.lease_owner, "node-a");
    EXPECT_EQ(e.attempts, 1u);
    EXPECT_GT(e.lease_until, e.created_at);
    EXPECT_FALSE(e.recipients.empty());
  }
  EXPECT_TRUE(sync(q.claim("node-b", 10, 60s))->empty()) << "live leases are never taken";
  EXPECT_TRUE(sync(q.renew((*ids)[0], "node-a", 60s)));
  EXPECT_EQ(sync(q.renew((*ids)[0], "node-b", 60s)).error().code, ErrorCode::kConflict);
  EXPECT_EQ(sync(q.renew(QueueEntryId{999999}, "node-a", 60s)).error().code,
            ErrorCode::kNotFound);

  EXPECT_EQ(sync(q.enqueue(m.raw, outbound_to({}))).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(sync(q.enqueue(m.raw, outbound_to({"not-an-address"}))).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(*sync(q.depth()), 2u);
}

TEST_P(StoreConformance, QueueLeaseExpiresAndAnotherNodeTakesOver) {
  auto& q = store().queue();
  auto m = make_message("lease", "body");
  auto ids = *sync(q.enqueue(m.raw, outbound_to({"x@remote.example"})));
  ASSERT_EQ(sync(q.claim("dead-node", 5, 1s))->size(), 1u);
  EXPECT_TRUE(sync(q.claim("node-b", 5, 60s))->empty());
  std::this_thread::sleep_for(2200ms);  // the dead node's lease runs out
  auto taken = *sync(q.claim("node-b", 5, 60s));
  ASSERT_EQ(taken.size(), 1u) << "an expired lease is taken over";
  EXPECT_EQ(taken[0].id, ids[0]);
  EXPECT_EQ(taken[0].lease_owner, "node-b");
  EXPECT_EQ(taken[0].attempts, 2u);

  // The old holder comes back: nothing it reports is recorded.
  AttemptResult late;
  late.recipients = {{"x@remote.example", RecipientState::kDelivered}};
  EXPECT_EQ(sync(q.record_attempt(ids[0], "dead-node", late)).error().code,
            ErrorCode::kConflict);
  EXPECT_EQ(sync(q.renew(ids[0], "dead-node", 60s)).error().code, ErrorCode::kConflict);
  auto entry = *sync(q.get(ids[0]));
  EXPECT_EQ(entry.recipients[0].state, RecipientState::kPending);
  EXPECT_EQ(entry.lease_owner, "node-b");

  AttemptResult done;
  done.recipients = {{"x@remote.example", RecipientState::kDelivered}};
  done.replies = {{"x@remote.example", "250 2.0.0 ok"}};
  EXPECT_TRUE(sync(q.record_attempt(ids[0], "node-b", done)));
  EXPECT_EQ(sync(q.get(ids[0])).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(*sync(q.depth()), 0u);
}

TEST_P(StoreConformance, QueueConcurrentClaimersNeverGetTheSameEntry) {
  auto& q = store().queue();
  constexpr int kEntries = 60;
  auto m = make_message("many", "body");
  std::vector<std::string> rcpts;
  for (int i = 0; i < kEntries; ++i) rcpts.push_back("u@d" + std::to_string(i) + ".example");
  ASSERT_EQ(sync(q.enqueue(m.raw, outbound_to(rcpts)))->size(), size_t{kEntries});

  constexpr int kClaimers = 8;
  std::mutex mu;
  std::vector<std::int64_t> got;
  std::atomic<int> errors{0};
  std::vector<Task> tasks;
  for (int w = 0; w < kClaimers; ++w) {
    tasks.push_back([&, w]() -> awaitable<void> {
      std::string node = "node-" + std::to_string(w);
      for (int round = 0; round < 40; ++round) {
        auto op = store().queue().claim(node, 3, std::chrono::seconds(60));
        auto r = co_await std::move(op);
        if (!r) {
          ++errors;
          continue;
        }
        std::lock_guard lock(mu);
        for (const auto& e : *r) {
          got.push_back(e.id.value);
          if (e.lease_owner != node) ++errors;
        }
      }
    });
  }
  Parallel(4, std::move(tasks)).join();
  EXPECT_EQ(errors.load(), 0);
  std::set<std::int64_t> unique(got.begin(), got.end());
  EXPECT_EQ(unique.size(), got.size()) << "an entry was claimed twice";
  EXPECT_EQ(got.size(), size_t{kEntries});
}

TEST_P(StoreConformance, QueueEntryStaysUntilEveryRecipientIsDone) {
  auto& q = store().queue();
  auto m = make_message("partial", "body");
  auto id = sync(q.enqueue(m.raw, outbound_to({"a@remote.example", "b@remote.example"})))->at(0);
  ASSERT_EQ(sync(q.claim("n1", 1, 60s))->size(), 1u);

  AttemptResult first;
  first.recipients = {{"a@remote.example", RecipientState::kDelivered}};
  first.replies = {{"a@remote.example", "250 ok"}, {"b@remote.example", "451 try later"}};
  first.next_attempt = UnixTime{std::chrono::floor<std::chrono::seconds>(
                           std::chrono::system_clock::now())} +
                       std::chrono::hours(1);
  first.error = "451 from peer";
  first.delay_notified = true;
  ASSERT_TRUE(sync(q.record_attempt(id, "n1", first)));
  auto e = *sync(q.get(id));
  EXPECT_EQ(e.lease_owner, "") << "the lease is released";
  EXPECT_EQ(e.next_attempt, *first.next_attempt);
  EXPECT_EQ(e.last_error, "451 from peer");
  EXPECT_TRUE(e.delay_notified);
  EXPECT_EQ(e.attempts, 1u);
  ASSERT_EQ(e.recipients.size(), 2u);
  EXPECT_EQ(find_rcpt(e, "a@remote.example")->state, RecipientState::kDelivered);
  EXPECT_EQ(find_rcpt(e, "a@remote.example")->last_reply, "250 ok");
  EXPECT_EQ(find_rcpt(e, "b@remote.example")->state, RecipientState::kPending);
  EXPECT_EQ(find_rcpt(e, "b@remote.example")->last_reply, "451 try later");
  EXPECT_TRUE(sync(q.claim("n1", 1, 60s))->empty()) << "not due for an hour";

  ASSERT_TRUE(sync(q.retry_now(id)));
  auto again = *sync(q.claim("n2", 1, 60s));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].attempts, 2u);
  AttemptResult last;
  last.recipients = {{"b@remote.example", RecipientState::kFailed}};
  last.replies = {{"b@remote.example", "550 no such user"}};
  ASSERT_TRUE(sync(q.record_attempt(id, "n2", last)));
  EXPECT_EQ(sync(q.get(id)).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(sync(q.record_attempt(id, "n2", last)).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(*sync(q.depth()), 0u);
}

TEST_P(StoreConformance, QueuedBlobSurvivesLocalExpungeAndIsFreedAfter) {
  auto bob = make_account("bob@example.org");
  auto inbox = mailbox_id(bob.id, "INBOX");
  auto& q = store().queue();
  auto baseline = *sync(store().blobs().count());

  auto m = make_message("both", "local and remote copy");
  auto d = make_delivery(m, {DeliveryTarget{bob.id}});
  d.outbound = outbound_to({"far@remote.example"});
  auto r = sync(store().deliver(std::move(d)));
  ASSERT_TRUE(r) << r.error().detail;
  ASSERT_EQ(r->size(), 1u);
  ASSERT_TRUE(r->front());
  EXPECT_EQ(*sync(store().blobs().count()), baseline + 1) << "one blob for both";
  auto entries = *sync(q.list());
  ASSERT_EQ(entries.size(), 1u);
  auto hash = entries[0].blob_hash;

  // The local copy goes: the queue still needs the blob.
  auto gone = sync(store().account(bob.id)->expunge(inbox, all_uids(), false));
  ASSERT_TRUE(gone);
  ASSERT_EQ(gone->size(), 1u);
  EXPECT_EQ(*sync(store().blobs().count()), baseline + 1);
  EXPECT_EQ(*sync(q.read_message(entries[0].id)), m.raw);
  EXPECT_EQ(sync(store().blobs().erase(hash)).error().code, ErrorCode::kConflict);

  // Delivered: nothing needs it any more.
  ASSERT_EQ(sync(q.claim("n1", 1, 60s))->size(), 1u);
  AttemptResult done;
  done.recipients = {{"far@remote.example", RecipientState::kDelivered}};
  ASSERT_TRUE(sync(q.record_attempt(entries[0].id, "n1", done)));
  EXPECT_EQ(*sync(store().blobs().count()), baseline);

  // The other order: the queue lets go first, the local copy keeps the blob.
  auto m2 = make_message("both2", "second");
  auto d2 = make_delivery(m2, {DeliveryTarget{bob.id}});
  d2.outbound = outbound_to({"far@remote.example"});
  ASSERT_TRUE(sync(store().deliver(std::move(d2))));
  auto id2 = sync(q.list())->at(0).id;
  ASSERT_TRUE(sync(q.remove(id2)));
  EXPECT_EQ(*sync(store().blobs().count()), baseline + 1);
  auto uids = *sync(store().account(bob.id)->list_messages(inbox));
  ASSERT_EQ(uids.size(), 1u);
  EXPECT_EQ(*sync(store().account(bob.id)->read_raw(inbox, uids[0].uid)), m2.raw);
  ASSERT_TRUE(sync(store().account(bob.id)->expunge(inbox, all_uids(), false)));
  EXPECT_EQ(*sync(store().blobs().count()), baseline);

  // Internally generated mail (enqueue) is freed with its entry too.
  auto m3 = make_message("dsn", "bounce");
  auto ids3 = *sync(q.enqueue(m3.raw, outbound_to({"x@remote.example"}, "")));
  EXPECT_EQ(*sync(store().blobs().count()), baseline + 1);
  ASSERT_TRUE(sync(q.remove(ids3[0])));
  EXPECT_EQ(*sync(store().blobs().count()), baseline);
}

TEST_P(StoreConformance, QueueHoldReleaseRetryAndRemove) {
  auto& q = store().queue();
  auto m = make_message("admin", "body");
  auto id = sync(q.enqueue(m.raw, outbound_to({"a@remote.example"})))->at(0);
  ASSERT_TRUE(sync(q.hold(id, true)));
  EXPECT_TRUE(sync(q.get(id))->held);
  EXPECT_TRUE(sync(q.claim("n1", 5, 60s))->empty()) << "held entries are not claimed";
  ASSERT_TRUE(sync(q.hold(id, false)));
  EXPECT_FALSE(sync(q.get(id))->held);
  ASSERT_EQ(sync(q.claim("n1", 5, 60s))->size(), 1u);

  AttemptResult later;
  later.next_attempt = UnixTime{std::chrono::floor<std::chrono::seconds>(
                           std::chrono::system_clock::now())} +
                       std::chrono::hours(2);
  ASSERT_TRUE(sync(q.record_attempt(id, "n1", later)));
  EXPECT_TRUE(sync(q.claim("n1", 5, 60s))->empty());
  ASSERT_TRUE(sync(q.retry_now(id)));
  ASSERT_EQ(sync(q.claim("n2", 5, 60s))->size(), 1u);

  ASSERT_TRUE(sync(q.remove(id)));
  EXPECT_EQ(sync(q.get(id)).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(sync(q.remove(id)).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(sync(q.hold(id, true)).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(sync(q.retry_now(id)).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(sync(q.read_message(id)).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(sync(q.list())->empty());
}

TEST_P(StoreConformance, DeliverStoresLocalCopiesAndQueuesOutboundInOneTransaction) {
  auto bob = make_account("bob@example.org");
  auto carol = make_account("carol@example.org");
  auto& q = store().queue();
  auto m = make_message("mixed", "body");
  auto d = make_delivery(m, {DeliveryTarget{bob.id}, DeliveryTarget{carol.id}});
  d.outbound = outbound_to({"x@one.example", "y@two.example", "z@one.example"});
  auto r = sync(store().deliver(std::move(d)));
  ASSERT_TRUE(r) << r.error().detail;
  ASSERT_EQ(r->size(), 2u) << "one result per local target only";
  EXPECT_TRUE((*r)[0]);
  EXPECT_TRUE((*r)[1]);
  auto entries = *sync(q.list());
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].domain, "one.example");
  EXPECT_EQ(entries[0].recipients.size(), 2u);
  EXPECT_EQ(entries[1].domain, "two.example");
  EXPECT_EQ(entries[0].blob_hash, entries[1].blob_hash);
  auto records = *sync(store().account(bob.id)->list_messages(mailbox_id(bob.id, "INBOX")));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].blob_hash, entries[0].blob_hash) << "one blob for local and queued";

  // All recipients foreign: no targets at all.
  auto m2 = make_message("remote only", "body");
  auto d2 = make_delivery(m2, {});
  d2.outbound = outbound_to({"x@three.example"});
  auto r2 = sync(store().deliver(std::move(d2)));
  ASSERT_TRUE(r2) << r2.error().detail;
  EXPECT_TRUE(r2->empty());
  EXPECT_EQ(*sync(q.depth()), 3u);
  EXPECT_EQ(*sync(q.read_message(sync(q.list())->back().id)), m2.raw);

  // A bad outbound recipient fails the whole delivery: no local copy either.
  auto m3 = make_message("bad", "body");
  auto d3 = make_delivery(m3, {DeliveryTarget{bob.id}});
  d3.outbound = outbound_to({"broken"});
  EXPECT_EQ(sync(store().deliver(std::move(d3))).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(sync(store().account(bob.id)->list_messages(mailbox_id(bob.id, "INBOX")))->size(),
            1u);
  EXPECT_EQ(*sync(q.depth()), 3u);
}

TEST_P(StoreConformance, IdempotentRedeliveryReturnsTheSameUidsAndStoresNothing) {
  auto bob = make_account("bob@example.org");
  auto carol = make_account("carol@example.org");
  auto inbox = mailbox_id(bob.id, "INBOX");
  auto& q = store().queue();
  auto m = make_message("once", "exactly once");
  auto first_d = make_delivery(m, {DeliveryTarget{bob.id}, DeliveryTarget{carol.id, "Nope"}});
  first_d.outbound = outbound_to({"x@remote.example"});
  first_d.idempotency_key = "spool-0001";
  auto second_d = first_d;
  auto first = sync(store().deliver(std::move(first_d)));
  ASSERT_TRUE(first) << first.error().detail;
  ASSERT_EQ(first->size(), 2u);
  ASSERT_TRUE((*first)[0]);
  EXPECT_EQ((*first)[1].error().code, ErrorCode::kNotFound);

  auto second = sync(store().deliver(std::move(second_d)));
  ASSERT_TRUE(second) << second.error().detail;
  ASSERT_EQ(second->size(), 2u);
  ASSERT_TRUE((*second)[0]);
  EXPECT_EQ((*second)[0]->uid, (*first)[0]->uid);
  EXPECT_EQ((*second)[0]->mailbox, (*first)[0]->mailbox);
  EXPECT_EQ((*second)[0]->uid_validity, (*first)[0]->uid_validity);
  EXPECT_EQ((*second)[0]->modseq, (*first)[0]->modseq);
  EXPECT_EQ((*second)[1].error().code, ErrorCode::kNotFound);
  EXPECT_EQ(sync(store().account(bob.id)->list_messages(inbox))->size(), 1u);
  EXPECT_EQ(*sync(q.depth()), 1u) << "the outbound part is not queued twice";

  // Another key is another delivery.
  auto other = make_delivery(m, {DeliveryTarget{bob.id}});
  other.idempotency_key = "spool-0002";
  auto third = sync(store().deliver(std::move(other)));
  ASSERT_TRUE(third && (*third)[0]);
  EXPECT_GT((*third)[0]->uid, (*first)[0]->uid);

  // Concurrent deliveries with one key (a replay racing a retry): one copy.
  auto m2 = make_message("race", "body");
  std::mutex mu;
  std::vector<Uid> uids;
  std::atomic<int> errors{0};
  std::vector<Task> tasks;
  for (int w = 0; w < 8; ++w) {
    tasks.push_back([&]() -> awaitable<void> {
      auto d = make_delivery(m2, {DeliveryTarget{bob.id}});
      d.idempotency_key = "spool-race";
      auto op = store().deliver(std::move(d));
      auto r = co_await std::move(op);
      if (!r || r->size() != 1 || !r->front()) {
        ++errors;
        co_return;
      }
      std::lock_guard lock(mu);
      uids.push_back(r->front()->uid);
    });
  }
  Parallel(4, std::move(tasks)).join();
  EXPECT_EQ(errors.load(), 0);
  ASSERT_EQ(uids.size(), 8u);
  EXPECT_TRUE(std::all_of(uids.begin(), uids.end(), [&](Uid u) { return u == uids[0]; }));
  EXPECT_EQ(sync(store().account(bob.id)->list_messages(inbox))->size(), 3u);
}

}  // namespace
}  // namespace taube::store::conformance
