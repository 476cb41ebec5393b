// Conformance: delivery, mailboxes, flags, expunge, copy/move, search, changes.
#include <atomic>

#include "store/conformance/conformance.hpp"
#include "store/content.hpp"

namespace taube::store::conformance {
namespace {

std::vector<Uid> uids_of(const std::vector<MessageRecord>& records) {
  std::vector<Uid> out;
  for (const auto& r : records) out.push_back(r.uid);
  return out;
}

TEST_P(StoreConformance, DeliveryStoresOneBlobForAllTargetsAndReadsBack) {
  auto bob = make_account("bob@example.org");
  auto carol = make_account("carol@example.org");
  auto baseline = *sync(store().blobs().count());
  auto m = make_message("Quarterly report", "numbers attached");
  auto result = sync(store().deliver(make_delivery(
      m, {DeliveryTarget{bob.id}, DeliveryTarget{carol.id, "Archive"},
          DeliveryTarget{carol.id, "No such folder"}, DeliveryTarget{AccountId{999999}},
          DeliveryTarget{bob.id, "inbox", std::nullopt, Flags{kFlagged, {"$Important"}}}})));
  ASSERT_TRUE(result);
  ASSERT_EQ(result->size(), 5u);
  ASSERT_TRUE((*result)[0]);
  ASSERT_TRUE((*result)[1]);
  EXPECT_EQ((*result)[2].error().code, ErrorCode::kNotFound);
  EXPECT_EQ((*result)[3].error().code, ErrorCode::kNotFound);
  ASSERT_TRUE((*result)[4]);
  EXPECT_EQ((*result)[0]->uid, 1u);
  EXPECT_EQ((*result)[4]->uid, 2u);
  EXPECT_EQ((*result)[4]->mailbox, (*result)[0]->mailbox);
  EXPECT_EQ(*sync(store().blobs().count()), baseline + 1);

  auto bob_store = store().account(bob.id);
  auto inbox = (*result)[0]->mailbox;
  auto records = sync(bob_store->list_messages(inbox));
  ASSERT_TRUE(records);
  ASSERT_EQ(records->size(), 2u);
  const auto& r = (*records)[1];
  EXPECT_EQ(r.uid, 2u);
  EXPECT_EQ(r.size, m.raw.size());
  EXPECT_EQ(r.blob_hash, sha256_hex(m.raw));
  EXPECT_EQ(r.flags.system, kFlagged);
  EXPECT_EQ(r.flags.keywords, std::vector<std::string>{"$Important"});
  EXPECT_EQ(r.internal_date, UnixTime{std::chrono::seconds{1795690000}});
  EXPECT_FALSE(r.email_id.empty());
  EXPECT_NE(r.email_id, (*records)[0].email_id);
  EXPECT_EQ(*sync(bob_store->read_raw(inbox, 2)), m.raw);
  EXPECT_EQ(*sync(store().blobs().get(r.blob_hash)), m.raw);
  auto meta = sync(bob_store->read_meta(inbox, all_uids()));
  ASSERT_TRUE(meta);
  ASSERT_EQ(meta->size(), 2u);
  EXPECT_EQ((*meta)[0].first, 1u);
  EXPECT_EQ((*meta)[0].second, m.meta);
  EXPECT_EQ(sync(bob_store->read_raw(inbox, 3)).error().code, ErrorCode::kNotFound);

  auto status = sync(bob_store->get_mailbox("INBOX"));
  ASSERT_TRUE(status);
  EXPECT_EQ(status->counts.messages, 2u);
  EXPECT_EQ(status->counts.unseen, 2u);
  EXPECT_EQ(status->counts.size_bytes, 2 * m.raw.size());
  EXPECT_EQ(status->uid_next, 3u);
  EXPECT_EQ(status->highest_modseq, (*result)[4]->modseq);
}

TEST_P(StoreConformance, AccountHandleIsConfinedToItsAccount) {
  auto bob = make_account("bob@example.org");
  auto carol = make_account("carol@example.org");
  auto carol_inbox = mailbox_id(carol.id, "INBOX");
  append(carol.id, carol_inbox, "secret");
  auto bob_store = store().account(bob.id);
  EXPECT_EQ(sync(bob_store->list_messages(carol_inbox)).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(sync(bob_store->read_raw(carol_inbox, 1)).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(sync(bob_store->get_mailbox(carol_inbox)).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(sync(bob_store->expunge(carol_inbox, all_uids(), false)).error().code,
            ErrorCode::kNotFound);
  auto m = make_message("x", "y");
  EXPECT_EQ(sync(bob_store->append(carol_inbox, m.raw, m.meta, {}, UnixTime{})).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(
      sync(bob_store->copy(carol_inbox, all_uids(), mailbox_id(bob.id, "INBOX"))).error().code,
      ErrorCode::kNotFound);
}

TEST_P(StoreConformance, MailboxesAreCreatedRenamedAndDeleted) {
  auto bob = make_account("bob@example.org");
  auto s = store().account(bob.id);
  auto created = sync(s->create_mailbox("Projects/Taube/Design"));
  ASSERT_TRUE(created);
  EXPECT_TRUE(sync(s->get_mailbox("Projects")));  // superiors are created too
  EXPECT_TRUE(sync(s->get_mailbox("Projects/Taube")));
  EXPECT_EQ(sync(s->create_mailbox("Projects")).error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(sync(s->create_mailbox("inbox")).error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(sync(s->create_mailbox("a//b")).error().code, ErrorCode::kInvalidArgument);
  append(bob.id, created->id, "design note");

  ASSERT_TRUE(sync(s->rename_mailbox("Projects/Taube", "Archive/Taube")));
  EXPECT_EQ(sync(s->get_mailbox("Projects/Taube")).error().code, ErrorCode::kNotFound);
  auto moved = sync(s->get_mailbox("Archive/Taube/Design"));
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->id, created->id);
  EXPECT_EQ(moved->uid_validity, created->uid_validity);
  EXPECT_EQ(moved->counts.messages, 1u);
  EXPECT_EQ(sync(s->rename_mailbox("Nope", "Other")).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(sync(s->rename_mailbox("Sent", "Trash")).error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(sync(s->rename_mailbox("Sent", "Sent/Sub")).error().code, ErrorCode::kInvalidArgument);

  EXPECT_EQ(sync(s->delete_mailbox("INBOX")).error().code, ErrorCode::kInvalidArgument);
  ASSERT_TRUE(sync(s->delete_mailbox("Archive/Taube/Design")));
  EXPECT_EQ(sync(s->delete_mailbox("Archive/Taube/Design")).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(sync(s->get_mailbox("Archive/Taube")));  // superiors stay

  // A recreated name never reuses a uid_validity (RFC 9051 2.3.1.1).
  auto again = sync(s->create_mailbox("Archive/Taube/Design"));
  ASSERT_TRUE(again);
  EXPECT_NE(again->uid_validity, created->uid_validity);
  EXPECT_EQ(again->uid_next, 1u);
}

TEST_P(StoreConformance, RenamingInboxMovesItsMessagesAndLeavesAnEmptyInbox) {
  auto bob = make_account("bob@example.org");
  auto s = store().account(bob.id);
  auto inbox = *sync(s->get_mailbox("INBOX"));
  append(bob.id, inbox.id, "one");
  append(bob.id, inbox.id, "two");
  ASSERT_TRUE(sync(s->create_mailbox("INBOX/Child")));
  ASSERT_TRUE(sync(s->rename_mailbox("INBOX", "Old Inbox")));
  auto old = sync(s->get_mailbox("Old Inbox"));
  ASSERT_TRUE(old);
  EXPECT_EQ(old->counts.messages, 2u);
  auto fresh = sync(s->get_mailbox("inbox"));
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->counts.messages, 0u);
  EXPECT_NE(fresh->uid_validity, inbox.uid_validity);
  EXPECT_TRUE(sync(s->get_mailbox("INBOX/Child")));  // inferiors do not move
}

TEST_P(StoreConformance, SubscriptionsMayNameMissingMailboxes) {
  auto bob = make_account("bob@example.org");
  auto s = store().account(bob.id);
  ASSERT_TRUE(sync(s->subscribe("Shared/Elsewhere")));
  ASSERT_TRUE(sync(s->unsubscribe("Junk")));
  EXPECT_EQ(sync(s->unsubscribe("Junk")).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(*sync(s->list_subscriptions()),
            (std::vector<std::string>{"Archive", "Drafts", "INBOX", "Sent", "Shared/Elsewhere",
                                      "Trash"}));
  EXPECT_FALSE(sync(s->get_mailbox("Junk"))->subscribed);
}

TEST_P(StoreConformance, StoreFlagsHonoursUnchangedSince) {
  auto bob = make_account("bob@example.org");
  auto s = store().account(bob.id);
  auto inbox = mailbox_id(bob.id, "INBOX");
  auto m1 = append(bob.id, inbox, "one");
  auto m2 = append(bob.id, inbox, "two");
  auto m3 = append(bob.id, inbox, "three");

  auto r =
      sync(s->store_flags(inbox, {{1, 2}}, FlagsMode::kAdd, Flags{kSeen, {"Work"}}, std::nullopt));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->records.size(), 2u);
  ModSeq after_seen = r->highest_modseq;
  EXPECT_EQ(after_seen, m3.modseq + 1);
  EXPECT_EQ(r->records[0].modseq, after_seen);
  EXPECT_EQ(r->records[0].flags, (Flags{kSeen, {"Work"}}));

  // Message 2 changed after m2.modseq, message 3 did not.
  auto c = sync(s->store_flags(inbox, {{2, 3}}, FlagsMode::kAdd, Flags{kFlagged, {}}, m3.modseq));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->failed, std::vector<Uid>{2});
  ASSERT_EQ(c->records.size(), 1u);
  EXPECT_EQ(c->records[0].uid, 3u);
  EXPECT_EQ(c->records[0].flags.system, kFlagged);

  // A store that changes nothing does not bump the modseq.
  auto same = sync(
      s->store_flags(inbox, single_uid(3), FlagsMode::kAdd, Flags{kFlagged, {}}, std::nullopt));
  ASSERT_TRUE(same);
  EXPECT_EQ(same->highest_modseq, c->highest_modseq);

  auto rep = sync(s->store_flags(inbox, all_uids(), FlagsMode::kReplace,
                                 Flags{kAnswered, {"$label1"}}, std::nullopt));
  ASSERT_TRUE(rep);
  EXPECT_EQ(rep->records.size(), 3u);
  auto rem = sync(
      s->store_flags(inbox, all_uids(), FlagsMode::kRemove, Flags{0, {"$LABEL1"}}, std::nullopt));
  ASSERT_TRUE(rem);
  for (const auto& rec : rem->records) EXPECT_EQ(rec.flags, (Flags{kAnswered, {}}));

  // CONDSTORE: only messages changed since a modseq.
  auto changed = sync(s->list_messages(inbox, rep->highest_modseq));
  ASSERT_TRUE(changed);
  EXPECT_EQ(uids_of(*changed), (std::vector<Uid>{1, 2, 3}));
  EXPECT_EQ(sync(s->list_messages(inbox, rem->highest_modseq))->size(), 0u);
  EXPECT_EQ(sync(s->get_mailbox(inbox))->highest_modseq, rem->highest_modseq);
  (void)m1;
  (void)m2;
}

TEST_P(StoreConformance, ExpungeLogsVanishedUidsWithTheirModseq) {
  auto bob = make_account("bob@example.org");
  auto s = store().account(bob.id);
  auto inbox = mailbox_id(bob.id, "INBOX");
  for (int i = 0; i < 5; ++i) append(bob.id, inbox, "m" + std::to_string(i));
  auto before = sync(s->get_mailbox(inbox))->highest_modseq;
  ASSERT_TRUE(sync(
      s->store_flags(inbox, {{2, 2}, {4, 5}}, FlagsMode::kAdd, Flags{kDeleted, {}}, std::nullopt)));
  EXPECT_EQ(sync(s->get_mailbox(inbox))->counts.deleted, 3u);
  auto flagged = sync(s->get_mailbox(inbox))->highest_modseq;
  auto gone = sync(s->expunge(inbox, {{1, 4}}));  // only \Deleted within 1:4
  ASSERT_TRUE(gone);
  EXPECT_EQ(*gone, (std::vector<Uid>{2, 4}));
  auto after = sync(s->get_mailbox(inbox));
  EXPECT_EQ(after->highest_modseq, flagged + 1);
  EXPECT_EQ(after->counts.messages, 3u);
  EXPECT_EQ(*sync(s->expunged_since(inbox, before)), (std::vector<Uid>{2, 4}));
  EXPECT_EQ(sync(s->expunged_since(inbox, after->highest_modseq))->size(), 0u);
  auto forced = sync(s->expunge(inbox, single_uid(1), false));
  EXPECT_EQ(*forced, std::vector<Uid>{1});
  EXPECT_EQ(*sync(s->expunged_since(inbox, after->highest_modseq)), std::vector<Uid>{1});
  EXPECT_EQ(sync(s->expunge(inbox, single_uid(1), false))->size(), 0u);
  // UIDs are never reused after expunge.
  EXPECT_EQ(append(bob.id, inbox, "new").uid, 6u);
}

TEST_P(StoreConformance, CopyAndMoveReportUidMappingAndMoveIsAtomic) {
  auto bob = make_account("bob@example.org");
  auto s = store().account(bob.id);
  auto inbox = mailbox_id(bob.id, "INBOX");
  auto archive = mailbox_id(bob.id, "Archive");
  auto baseline = *sync(store().blobs().count());
  append(bob.id, archive, "already there");
  for (int i = 0; i < 4; ++i)
    append(bob.id, inbox, "m" + std::to_string(i), "body", Flags{kSeen, {"K"}});
  auto inbox_records = *sync(s->list_messages(inbox));

  auto copied = sync(s->copy(inbox, {{2, 3}}, archive));
  ASSERT_TRUE(copied);
  EXPECT_EQ(copied->uid_validity, sync(s->get_mailbox(archive))->uid_validity);
  EXPECT_EQ(copied->source_uids, (std::vector<Uid>{2, 3}));
  EXPECT_EQ(copied->destination_uids, (std::vector<Uid>{2, 3}));
  auto archived = *sync(s->list_messages(archive));
  ASSERT_EQ(archived.size(), 3u);
  EXPECT_EQ(archived[1].flags, (Flags{kSeen, {"K"}}));
  EXPECT_EQ(archived[1].email_id, inbox_records[1].email_id);
  EXPECT_EQ(archived[1].blob_hash, inbox_records[1].blob_hash);
  EXPECT_EQ(*sync(s->read_raw(archive, 2)), *sync(s->read_raw(inbox, 2)));
  EXPECT_EQ(*sync(store().blobs().count()), baseline + 5);  // copies share blobs

  auto moved = sync(s->move(inbox, {{1, 1}, {3, 4}}, archive));
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->source_uids, (std::vector<Uid>{1, 3, 4}));
  EXPECT_EQ(moved->destination_uids, (std::vector<Uid>{4, 5, 6}));
  EXPECT_EQ(uids_of(*sync(s->list_messages(inbox))), std::vector<Uid>{2});
  EXPECT_EQ(*sync(s->expunged_since(inbox, 0)), (std::vector<Uid>{1, 3, 4}));
  EXPECT_EQ(sync(s->list_messages(archive))->size(), 6u);
  auto none = sync(s->copy(inbox, single_uid(99), archive));
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->source_uids.empty());
}

TEST_P(StoreConformance, FullTextSearchFindsBodyAndHeaderWordsInOneMailbox) {
  auto bob = make_account("bob@example.org");
  auto s = store().account(bob.id);
  auto inbox = mailbox_id(bob.id, "INBOX");
  auto sent = mailbox_id(bob.id, "Sent");
  append(bob.id, inbox, "Lunch", "Shall we meet at the Rathaus cafeteria?");
  append(bob.id, inbox, "Budget", "The budget for the new pigeon loft is attached.");
  append(bob.id, inbox, "Re: Lunch", "Yes, Rathaus at noon. Grüße");
  append(bob.id, sent, "Elsewhere", "Rathaus mentioned in another mailbox");

  EXPECT_EQ(*sync(s->search_text(inbox, "rathaus")), (std::vector<Uid>{1, 3}));
  EXPECT_EQ(*sync(s->search_text(inbox, "PIGEON loft")), std::vector<Uid>{2});
  EXPECT_EQ(*sync(s->search_text(inbox, "grüße")), std::vector<Uid>{3});
  EXPECT_EQ(*sync(s->search_text(inbox, "budget")), std::vector<Uid>{2});  // subject header
  EXPECT_EQ(*sync(s->search_text(inbox, "pige")), std::vector<Uid>{2});    // prefix
  EXPECT_EQ(sync(s->search_text(inbox, "loft pigeon"))->size(), 0u);       // phrase order
  // Client text is never FTS syntax.
  EXPECT_TRUE(sync(s->search_text(inbox, "\" OR * NEAR( x")));
  EXPECT_TRUE(sync(s->search_text(inbox, "subject:budget")));
  EXPECT_EQ(sync(s->search_text(inbox, "\"\""))->size(), 3u);  // no words: everything
}

TEST_P(StoreConformance, HeaderSearchMatchesUnfoldedFieldsCaseInsensitively) {
  auto bob = make_account("bob@example.org");
  auto s = store().account(bob.id);
  auto inbox = mailbox_id(bob.id, "INBOX");
  append(bob.id, inbox, "Hello World");
  auto m = make_message("ignored", "body");
  m.meta.headers =
      "From: Carol <carol@example.net>\r\nSubject: a folded\r\n  Subject Line\r\n"
      "X-Ticket: #4711\r\n";
  // The envelope fields are searched decoded (as delivery stores them):
  // unfolded, continuation blanks kept.
  m.meta.subject = "a folded  Subject Line";
  m.meta.from = "Carol <carol@example.net>";
  m.meta.to.clear();  // its header block has no To:
  ASSERT_TRUE(sync(s->append(inbox, m.raw, m.meta, {}, UnixTime{})));
  auto encoded = make_message("ignored", "body");
  encoded.meta.headers = "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=\r\nX-Note: 50% off_\r\n";
  encoded.meta.subject = "Grüße aus Köln";
  encoded.meta.to.clear();
  ASSERT_TRUE(sync(s->append(inbox, encoded.raw, encoded.meta, {}, UnixTime{})));
  EXPECT_EQ(*sync(s->header_search(inbox, "subject", "HELLO")), std::vector<Uid>{1});
  EXPECT_EQ(*sync(s->header_search(inbox, "Subject", "folded subject")), std::vector<Uid>{2});
  EXPECT_EQ(*sync(s->header_search(inbox, "from", "example.net")), std::vector<Uid>{2});
  EXPECT_EQ(*sync(s->header_search(inbox, "x-ticket", "")), std::vector<Uid>{2});
  EXPECT_EQ(*sync(s->header_search(inbox, "to", "bob@")), std::vector<Uid>{1});
  EXPECT_EQ(sync(s->header_search(inbox, "x-ticket", "4712"))->size(), 0u);
  // A client's UTF-8 text matches an encoded word; LIKE wildcards are literal.
  EXPECT_EQ(*sync(s->header_search(inbox, "SUBJECT", "grüße AUS")), std::vector<Uid>{3});
  EXPECT_EQ(sync(s->header_search(inbox, "subject", "=?utf-8?"))->size(), 0u);
  EXPECT_EQ(sync(s->header_search(inbox, "subject", "%"))->size(), 0u);
  EXPECT_EQ(sync(s->header_search(inbox, "subject", "a_folded"))->size(), 0u);
  EXPECT_EQ(*sync(s->header_search(inbox, "x-note", "50% off_")), std::vector<Uid>{3});
  EXPECT_EQ(*sync(s->header_search(inbox, "subject", "")), (std::vector<Uid>{1, 2, 3}));
}

TEST_P(StoreConformance, SubscribersLearnOfCommittedChanges) {
  auto bob = make_account("bob@example.org");
  auto carol = make_account("carol@example.org");
  auto inbox = mailbox_id(bob.id, "INBOX");
  std::mutex mu;
  std::vector<MailboxChange> seen;
  auto sub = store().subscribe_changes(bob.id, [&](const MailboxChange& c) {
    std::lock_guard lock(mu);
    seen.push_back(c);
  });
  auto d = append(bob.id, inbox, "ping");
  append(carol.id, mailbox_id(carol.id, "INBOX"), "not for bob");
  {
    std::lock_guard lock(mu);
    ASSERT_EQ(seen.size(), 1u);  // published before the append completed
    EXPECT_EQ(seen[0].mailbox, inbox);
    EXPECT_EQ(seen[0].highest_modseq, d.modseq);
    EXPECT_EQ(seen[0].uid_next, d.uid + 1);
  }
  sub.reset();
  append(bob.id, inbox, "after unsubscribe");
  std::lock_guard lock(mu);
  EXPECT_EQ(seen.size(), 1u);
}

}  // namespace
}  // namespace taube::store::conformance
