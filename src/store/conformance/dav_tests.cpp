// Conformance: calendars and address books (store/dav.hpp): collections,
// resources with strong etags and atomic preconditions, UID uniqueness, sync
// tokens and the change log (also across a reopen), shares, and the time-range
// pre-filter.
#include <algorithm>
#include <atomic>

#include "store/conformance/conformance.hpp"
#include "store/content.hpp"
#include "store/dav.hpp"

namespace taube::store::conformance {
namespace {

UnixTime at(std::int64_t s) { return UnixTime{std::chrono::seconds{s}}; }

std::string event(const std::string& uid, const std::string& summary = "x") {
  return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
         "\r\nDTSTAMP:20261126T100000Z\r\nDTSTART:20261127T100000Z\r\nSUMMARY:" + summary +
         "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
}

DavPut make_put(const std::string& name, const std::string& uid, const std::string& summary = "x") {
  DavPut p;
  p.name = name;
  p.uid = uid;
  p.content = event(uid, summary);
  p.content_type = "text/calendar; charset=utf-8";
  p.component = "VEVENT";
  return p;
}

std::vector<std::string> names_of(const std::vector<DavResource>& rs) {
  std::vector<std::string> out;
  for (const auto& r : rs) out.push_back(r.name);
  return out;
}

std::vector<std::string> names_of(const std::vector<Collection>& cs) {
  std::vector<std::string> out;
  for (const auto& c : cs) out.push_back(c.name);
  return out;
}

DavPutResult put(DavStore& dav, AccountId actor, CollectionId id, DavPut p) {
  auto r = sync(dav.put_resource(actor, id, std::move(p)));
  EXPECT_TRUE(r) << (r ? "" : r.error().detail);
  return r ? *r : DavPutResult{};
}

DavStore& dav_of(Store& s) { return s.dav(); }

TEST_P(StoreConformance, DavDefaultCollectionsComeWithTheAccount) {
  auto bob = make_account("bob@example.org");
  auto alice = make_account("alice@example.org");
  auto list = sync(dav_of(store()).list_collections(bob.id, bob.id));
  ASSERT_TRUE(list) << list.error().detail;
  EXPECT_EQ(names_of(*list), (std::vector<std::string>{"calendar", "contacts", "inbox", "outbox"}));
  for (const auto& c : *list) {
    EXPECT_EQ(c.owner, bob.id);
    EXPECT_EQ(c.access, Access::kOwner);
    EXPECT_GE(c.sync_token, 1u);
  }
  EXPECT_EQ((*list)[0].kind, CollectionKind::kCalendar);
  EXPECT_EQ((*list)[0].components, (std::vector<std::string>{"VEVENT", "VTODO"}));
  EXPECT_EQ((*list)[1].kind, CollectionKind::kAddressBook);
  EXPECT_EQ((*list)[2].kind, CollectionKind::kScheduleInbox);
  EXPECT_EQ((*list)[3].kind, CollectionKind::kScheduleOutbox);
  // Another account sees none of them, not even their existence.
  EXPECT_TRUE(sync(dav_of(store()).list_collections(alice.id, bob.id))->empty());
  EXPECT_EQ(sync(dav_of(store()).get_collection(alice.id, bob.id, "calendar")).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(sync(dav_of(store()).get_collection(alice.id, (*list)[0].id)).error().code,
            ErrorCode::kNotFound);
  // The server itself sees everything.
  EXPECT_EQ(sync(dav_of(store()).list_collections(kSystemActor, bob.id))->size(), 4u);
}

TEST_P(StoreConformance, DavCollectionsAreCreatedUpdatedAndDeleted) {
  auto& dav = dav_of(store());
  auto bob = make_account("bob@example.org");
  auto alice = make_account("alice@example.org");
  NewCollection nc;
  nc.kind = CollectionKind::kCalendar;
  nc.name = "work";
  nc.displayname = "Work";
  nc.description = "Meetings";
  nc.color = "#ff0000ff";
  nc.timezone = "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n";
  nc.components = {"VEVENT"};
  nc.properties["{http://apple.com/ns/ical/}calendar-order"] = "3";
  auto created = sync(dav.create_collection(bob.id, bob.id, nc));
  ASSERT_TRUE(created) << created.error().detail;
  EXPECT_EQ(created->name, "work");
  EXPECT_EQ(created->displayname, "Work");
  EXPECT_EQ(created->description, "Meetings");
  EXPECT_EQ(created->color, "#ff0000ff");
  EXPECT_EQ(created->timezone, nc.timezone);
  EXPECT_EQ(created->components, std::vector<std::string>{"VEVENT"});
  EXPECT_EQ(created->properties, nc.properties);
  EXPECT_EQ(created->access, Access::kOwner);

  EXPECT_EQ(sync(dav.create_collection(bob.id, bob.id, nc)).error().code,
            ErrorCode::kAlreadyExists);
  NewCollection bad = nc;
  const std::vector<std::string> bad_names{"", "a/b", ".", "..", "a\nb", std::string(256, 'x')};
  for (const auto& name : bad_names) {
    bad.name = name;
    EXPECT_EQ(sync(dav.create_collection(bob.id, bob.id, bad)).error().code,
              ErrorCode::kInvalidArgument)
        << name;
  }
  NewCollection other = nc;
  other.name = "intrusion";
  EXPECT_EQ(sync(dav.create_collection(alice.id, bob.id, other)).error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(sync(dav.create_collection(kSystemActor, AccountId{999999}, other)).error().code,
            ErrorCode::kNotFound);
  other.kind = CollectionKind::kAddressBook;
  other.name = "friends";
  ASSERT_TRUE(sync(dav.create_collection(kSystemActor, bob.id, other)));

  CollectionPatch patch;
  patch.displayname = "Work (new)";
  patch.components = std::vector<std::string>{"VEVENT", "VTODO"};
  patch.properties["{http://apple.com/ns/ical/}calendar-order"] = std::nullopt;
  patch.properties["{urn:x}flag"] = "<x:y/>";
  auto updated = sync(dav.update_collection(bob.id, created->id, patch));
  ASSERT_TRUE(updated) << updated.error().detail;
  EXPECT_EQ(updated->displayname, "Work (new)");
  EXPECT_EQ(updated->description, "Meetings");  // untouched
  EXPECT_EQ(updated->components, (std::vector<std::string>{"VEVENT", "VTODO"}));
  EXPECT_EQ(updated->properties, (std::map<std::string, std::string>{{"{urn:x}flag", "<x:y/>"}}));
  EXPECT_GT(updated->sync_token, created->sync_token);
  EXPECT_EQ(sync(dav.update_collection(alice.id, created->id, patch)).error().code,
            ErrorCode::kNotFound);

  EXPECT_EQ(sync(dav.delete_collection(alice.id, created->id)).error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(sync(dav.delete_collection(bob.id, created->id)));
  EXPECT_EQ(sync(dav.get_collection(bob.id, created->id)).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(sync(dav.delete_collection(bob.id, created->id)).error().code, ErrorCode::kNotFound);
  // A new collection of the same name is a new collection (sync tokens name it).
  auto again = sync(dav.create_collection(bob.id, bob.id, nc));
  ASSERT_TRUE(again);
  EXPECT_NE(again->id, created->id);

  // Deleting the account deletes its collections and what is in them.
  auto cal = sync(dav.get_collection(bob.id, bob.id, "calendar"));
  ASSERT_TRUE(cal);
  ASSERT_TRUE(sync(dav.put_resource(bob.id, cal->id, make_put("a.ics", "A"))));
  ASSERT_TRUE(sync(store().delete_account(bob.id)));
  EXPECT_TRUE(sync(dav.list_collections(kSystemActor, bob.id))->empty());
  EXPECT_EQ(sync(dav.get_resource(kSystemActor, cal->id, "a.ics")).error().code,
            ErrorCode::kNotFound);
}

TEST_P(StoreConformance, DavResourcesHaveStrongEtagsThatChangeWithTheContent) {
  auto& dav = dav_of(store());
  auto bob = make_account("bob@example.org");
  auto cal = sync(dav.get_collection(bob.id, bob.id, "calendar"));
  ASSERT_TRUE(cal);
  auto p = make_put("a.ics", "A", "first");
  p.range_start = at(1000);
  p.range_end = at(2000);
  auto first = sync(dav.put_resource(bob.id, cal->id, p));
  ASSERT_TRUE(first) << first.error().detail;
  EXPECT_TRUE(first->created);
  EXPECT_EQ(first->etag, sha256_hex(p.content));
  EXPECT_GT(first->token, cal->sync_token);

  auto got = sync(dav.get_resource(bob.id, cal->id, "a.ics"));
  ASSERT_TRUE(got) << got.error().detail;
  EXPECT_EQ(got->content, p.content);
  EXPECT_EQ(got->etag, first->etag);
  EXPECT_EQ(got->uid, "A");
  EXPECT_EQ(got->component, "VEVENT");
  EXPECT_EQ(got->content_type, "text/calendar; charset=utf-8");
  EXPECT_EQ(got->size, p.content.size());
  EXPECT_EQ(got->token, first->token);
  EXPECT_EQ(got->range_start, at(1000));
  EXPECT_EQ(got->range_end, at(2000));
  EXPECT_GT(got->modified.time_since_epoch().count(), 0);

  auto second = sync(dav.put_resource(bob.id, cal->id, make_put("a.ics", "A", "second")));
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->created);
  EXPECT_NE(second->etag, first->etag);
  EXPECT_GT(second->token, first->token);
  got = sync(dav.get_resource(bob.id, cal->id, "a.ics"));
  EXPECT_EQ(got->etag, second->etag);
  EXPECT_EQ(got->content, event("A", "second"));
  EXPECT_FALSE(got->range_start);
  EXPECT_EQ(sync(dav.get_collection(bob.id, cal->id))->sync_token, second->token);

  // Binary-safe content.
  auto b = make_put("b.ics", "B");
  b.content = std::string("\0\x01\xff zero", 8);
  ASSERT_TRUE(sync(dav.put_resource(bob.id, cal->id, b)));
  EXPECT_EQ(sync(dav.get_resource(bob.id, cal->id, "b.ics"))->content, b.content);

  auto list = sync(dav.list_resources(bob.id, cal->id));
  ASSERT_TRUE(list);
  EXPECT_EQ(names_of(*list), (std::vector<std::string>{"a.ics", "b.ics"}));
  EXPECT_TRUE((*list)[0].content.empty());  // metadata only unless asked
  EXPECT_EQ((*list)[0].etag, second->etag);

  auto many = sync(dav.multiget(bob.id, cal->id, {"b.ics", "missing.ics", "a.ics", "b.ics"}));
  ASSERT_TRUE(many);
  EXPECT_EQ(names_of(*many), (std::vector<std::string>{"a.ics", "b.ics"}));
  EXPECT_EQ((*many)[0].content, event("A", "second"));
  EXPECT_EQ((*many)[1].content, b.content);

  EXPECT_EQ(sync(dav.get_resource(bob.id, cal->id, "missing.ics")).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(sync(dav.put_resource(bob.id, cal->id, make_put("x/y.ics", "Y"))).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(
      sync(dav.put_resource(bob.id, CollectionId{987654}, make_put("a.ics", "A"))).error().code,
      ErrorCode::kNotFound);
}

TEST_P(StoreConformance, DavPreconditionsAreCheckedInTheWrite) {
  auto& dav = dav_of(store());
  auto bob = make_account("bob@example.org");
  auto cal = sync(dav.get_collection(bob.id, bob.id, "calendar"));
  ASSERT_TRUE(cal);
  auto p = make_put("a.ics", "A");
  p.if_match = "0000";
  EXPECT_EQ(sync(dav.put_resource(bob.id, cal->id, p)).error().code, ErrorCode::kConflict);
  p.if_match.reset();
  p.if_none_match = true;
  auto first = sync(dav.put_resource(bob.id, cal->id, p));
  ASSERT_TRUE(first);
  EXPECT_EQ(sync(dav.put_resource(bob.id, cal->id, p)).error().code, ErrorCode::kConflict);
  auto token = sync(dav.get_collection(bob.id, cal->id))->sync_token;

  auto q = make_put("a.ics", "A", "changed");
  q.if_match = "not-the-etag";
  EXPECT_EQ(sync(dav.put_resource(bob.id, cal->id, q)).error().code, ErrorCode::kConflict);
  // A failed precondition changes nothing, not even the token.
  EXPECT_EQ(sync(dav.get_collection(bob.id, cal->id))->sync_token, token);
  q.if_match = first->etag;
  auto second = sync(dav.put_resource(bob.id, cal->id, q));
  ASSERT_TRUE(second);
  q.if_match = first->etag;  // stale now
  EXPECT_EQ(sync(dav.put_resource(bob.id, cal->id, q)).error().code, ErrorCode::kConflict);

  EXPECT_EQ(sync(dav.delete_resource(bob.id, cal->id, "a.ics", first->etag)).error().code,
            ErrorCode::kConflict);
  auto deleted = sync(dav.delete_resource(bob.id, cal->id, "a.ics", second->etag));
  ASSERT_TRUE(deleted);
  EXPECT_GT(*deleted, second->token);
  EXPECT_EQ(sync(dav.delete_resource(bob.id, cal->id, "a.ics", std::nullopt)).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(sync(dav.get_resource(bob.id, cal->id, "a.ics")).error().code, ErrorCode::kNotFound);
}

TEST_P(StoreConformance, DavConcurrentCreatesWithIfNoneMatchHaveOneWinner) {
  auto& dav = dav_of(store());
  auto bob = make_account("bob@example.org");
  auto cal = sync(dav.get_collection(bob.id, bob.id, "calendar"));
  ASSERT_TRUE(cal);
  constexpr int kRounds = 5;
  constexpr int kRacers = 6;
  std::atomic<int> wins[kRounds] = {};
  std::atomic<int> conflicts[kRounds] = {};
  std::atomic<int> others{0};
  std::vector<Task> tasks;
  for (int round = 0; round < kRounds; ++round) {
    for (int racer = 0; racer < kRacers; ++racer) {
      tasks.push_back([&, round, racer]() -> boost::asio::awaitable<void> {
        auto p = make_put("race" + std::to_string(round) + ".ics",
                          "R" + std::to_string(round) + "-" + std::to_string(racer));
        p.if_none_match = true;
        auto op = dav.put_resource(bob.id, cal->id, std::move(p));
        auto r = co_await std::move(op);
        if (r)
          ++wins[round];
        else if (r.error().code == ErrorCode::kConflict)
          ++conflicts[round];
        else
          ++others;
      });
    }
  }
  Parallel parallel(4, std::move(tasks));
  parallel.join();
  EXPECT_EQ(others.load(), 0);
  for (int round = 0; round < kRounds; ++round) {
    EXPECT_EQ(wins[round].load(), 1) << round;
    EXPECT_EQ(conflicts[round].load(), kRacers - 1) << round;
  }
  auto list = sync(dav.list_resources(bob.id, cal->id));
  ASSERT_TRUE(list);
  EXPECT_EQ(list->size(), static_cast<size_t>(kRounds));
  // Every successful write got its own token.
  EXPECT_EQ(sync(dav.get_collection(bob.id, cal->id))->sync_token, cal->sync_token + kRounds);
}

TEST_P(StoreConformance, DavUidIsUniqueWithinACalendarOrAddressBook) {
  auto& dav = dav_of(store());
  auto bob = make_account("bob@example.org");
  auto cal = sync(dav.get_collection(bob.id, bob.id, "calendar"));
  auto inbox = sync(dav.get_collection(bob.id, bob.id, "inbox"));
  auto book = sync(dav.get_collection(bob.id, bob.id, "contacts"));
  ASSERT_TRUE(cal && inbox && book);
  put(dav, bob.id, cal->id, make_put("a.ics", "U1"));
  EXPECT_EQ(sync(dav.put_resource(bob.id, cal->id, make_put("b.ics", "U1"))).error().code,
            ErrorCode::kAlreadyExists);
  // Updating the resource that holds the UID is fine.
  put(dav, bob.id, cal->id, make_put("a.ics", "U1", "again"));
  // A resource may take a new UID, which frees the old one.
  put(dav, bob.id, cal->id, make_put("a.ics", "U2"));
  put(dav, bob.id, cal->id, make_put("b.ics", "U1"));
  // Another collection may hold the same UID; the schedule inbox holds many.
  NewCollection nc;
  nc.name = "work";
  auto work = sync(dav.create_collection(bob.id, bob.id, nc));
  ASSERT_TRUE(work);
  put(dav, bob.id, work->id, make_put("a.ics", "U1"));
  put(dav, bob.id, inbox->id, make_put("i1.ics", "U1"));
  put(dav, bob.id, inbox->id, make_put("i2.ics", "U1"));
  // vCards: the same rule; no UID at all is allowed many times.
  DavPut card;
  card.name = "c1.vcf";
  card.uid = "C1";
  card.content = "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:C1\r\nFN:A\r\nEND:VCARD\r\n";
  card.content_type = "text/vcard";
  card.component = "VCARD";
  put(dav, bob.id, book->id, card);
  card.name = "c2.vcf";
  EXPECT_EQ(sync(dav.put_resource(bob.id, book->id, card)).error().code, ErrorCode::kAlreadyExists);
  card.uid = "";
  put(dav, bob.id, book->id, card);
  card.name = "c3.vcf";
  put(dav, bob.id, book->id, card);

  auto found = sync(dav.find_uid(bob.id, bob.id, "U1"));
  ASSERT_TRUE(found);
  std::vector<std::string> where;
  for (const auto& r : *found) where.push_back(r.collection_name + "/" + r.name);
  EXPECT_EQ(where, (std::vector<std::string>{"calendar/b.ics", "inbox/i1.ics", "inbox/i2.ics",
                                             "work/a.ics"}));
  EXPECT_EQ((*found)[1].kind, CollectionKind::kScheduleInbox);
  EXPECT_FALSE((*found)[0].etag.empty());
  auto alice = make_account("alice@example.org");
  EXPECT_TRUE(sync(dav.find_uid(alice.id, bob.id, "U1"))->empty());
}

TEST_P(StoreConformance, DavSyncTokensAndTheChangeLog) {
  // The store is replaced by reopen(): always ask for the current one.
  auto D = [this]() -> DavStore& { return dav_of(store()); };
  auto bob = make_account("bob@example.org");
  auto cal = sync(D().get_collection(bob.id, bob.id, "calendar"));
  ASSERT_TRUE(cal);
  auto t0 = cal->sync_token;
  auto initial = sync(D().changes_since(bob.id, cal->id, 0));
  ASSERT_TRUE(initial) << initial.error().detail;
  EXPECT_EQ(initial->token, t0);
  EXPECT_TRUE(initial->changed.empty());
  EXPECT_TRUE(initial->deleted.empty());

  auto a = put(D(), bob.id, cal->id, make_put("a.ics", "A"));
  auto b = put(D(), bob.id, cal->id, make_put("b.ics", "B"));
  auto c = put(D(), bob.id, cal->id, make_put("c.ics", "C"));
  EXPECT_LT(t0, a.token);
  EXPECT_LT(a.token, b.token);
  EXPECT_LT(b.token, c.token);
  auto t1 = c.token;

  auto all = sync(D().changes_since(bob.id, cal->id, 0));
  ASSERT_TRUE(all);
  EXPECT_EQ(all->token, t1);
  EXPECT_EQ(names_of(all->changed), (std::vector<std::string>{"a.ics", "b.ics", "c.ics"}));
  EXPECT_EQ(all->changed[1].etag, b.etag);
  EXPECT_TRUE(all->changed[0].content.empty());

  auto since_a = sync(D().changes_since(bob.id, cal->id, a.token));
  EXPECT_EQ(names_of(since_a->changed), (std::vector<std::string>{"b.ics", "c.ics"}));
  EXPECT_TRUE(since_a->deleted.empty());
  auto none = sync(D().changes_since(bob.id, cal->id, t1));
  EXPECT_TRUE(none->changed.empty());
  EXPECT_EQ(none->token, t1);

  put(D(), bob.id, cal->id, make_put("a.ics", "A", "edited"));
  ASSERT_TRUE(sync(D().delete_resource(bob.id, cal->id, "b.ics", std::nullopt)));
  ASSERT_TRUE(sync(D().delete_resource(bob.id, cal->id, "c.ics", std::nullopt)));
  put(D(), bob.id, cal->id, make_put("c.ics", "C2"));  // re-created: a change, not a deletion
  auto t2 = sync(D().get_collection(bob.id, cal->id))->sync_token;
  EXPECT_EQ(t2, t1 + 4);

  auto check = [&](const char* when) {
    auto d = sync(D().changes_since(bob.id, cal->id, t1));
    ASSERT_TRUE(d) << when;
    EXPECT_EQ(d->token, t2) << when;
    EXPECT_EQ(names_of(d->changed), (std::vector<std::string>{"a.ics", "c.ics"})) << when;
    EXPECT_EQ(d->deleted, std::vector<std::string>{"b.ics"}) << when;
    auto full = sync(D().changes_since(bob.id, cal->id, 0));
    EXPECT_EQ(names_of(full->changed), (std::vector<std::string>{"a.ics", "c.ics"})) << when;
    EXPECT_TRUE(full->deleted.empty()) << when;
    EXPECT_EQ(sync(D().changes_since(bob.id, cal->id, t2 + 1)).error().code,
              ErrorCode::kInvalidArgument)
        << when;
    EXPECT_EQ(sync(D().get_resource(bob.id, cal->id, "c.ics"))->content, event("C2")) << when;
  };
  check("before reopening");
  if (!reopen()) GTEST_SKIP() << "the harness cannot reopen the store";
  check("after reopening");
  auto next = put(D(), bob.id, cal->id, make_put("d.ics", "D"));
  EXPECT_EQ(next.token, t2 + 1);
  auto d = sync(D().changes_since(bob.id, cal->id, t2));
  EXPECT_EQ(names_of(d->changed), std::vector<std::string>{"d.ics"});
}

TEST_P(StoreConformance, DavSharesGiveReadOrReadWriteAccess) {
  auto& dav = dav_of(store());
  auto bob = make_account("bob@example.org");
  auto alice = make_account("alice@example.org");
  auto carol = make_account("carol@example.org");
  auto cal = sync(dav.get_collection(bob.id, bob.id, "calendar"));
  ASSERT_TRUE(cal);
  put(dav, bob.id, cal->id, make_put("a.ics", "A"));

  ASSERT_TRUE(sync(dav.set_share(cal->id, alice.id, Access::kRead)));
  auto seen = sync(dav.list_collections(alice.id, bob.id));
  ASSERT_TRUE(seen);
  EXPECT_EQ(names_of(*seen), std::vector<std::string>{"calendar"});
  EXPECT_EQ((*seen)[0].access, Access::kRead);
  EXPECT_EQ(sync(dav.get_collection(alice.id, bob.id, "calendar"))->access, Access::kRead);
  EXPECT_EQ(sync(dav.get_collection(alice.id, bob.id, "contacts")).error().code,
            ErrorCode::kNotFound);
  auto shared = sync(dav.list_shared_with(alice.id));
  ASSERT_TRUE(shared);
  ASSERT_EQ(shared->size(), 1u);
  EXPECT_EQ((*shared)[0].id, cal->id);
  EXPECT_EQ((*shared)[0].owner, bob.id);
  EXPECT_TRUE(sync(dav.list_shared_with(bob.id))->empty());

  EXPECT_TRUE(sync(dav.get_resource(alice.id, cal->id, "a.ics")));
  EXPECT_EQ(sync(dav.list_resources(alice.id, cal->id))->size(), 1u);
  EXPECT_TRUE(sync(dav.changes_since(alice.id, cal->id, 0)));
  EXPECT_EQ(sync(dav.find_uid(alice.id, bob.id, "A"))->size(), 1u);
  EXPECT_EQ(sync(dav.put_resource(alice.id, cal->id, make_put("b.ics", "B"))).error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(sync(dav.delete_resource(alice.id, cal->id, "a.ics", std::nullopt)).error().code,
            ErrorCode::kPermissionDenied);
  // carol has no share: nothing is there for her.
  EXPECT_EQ(sync(dav.get_resource(carol.id, cal->id, "a.ics")).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(sync(dav.put_resource(carol.id, cal->id, make_put("b.ics", "B"))).error().code,
            ErrorCode::kNotFound);

  ASSERT_TRUE(sync(dav.set_share(cal->id, alice.id, Access::kReadWrite)));
  EXPECT_EQ(sync(dav.get_collection(alice.id, cal->id))->access, Access::kReadWrite);
  put(dav, alice.id, cal->id, make_put("b.ics", "B"));
  EXPECT_TRUE(sync(dav.delete_resource(alice.id, cal->id, "a.ics", std::nullopt)));
  // The collection itself stays the owner's.
  EXPECT_EQ(sync(dav.delete_collection(alice.id, cal->id)).error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(sync(dav.update_collection(alice.id, cal->id, CollectionPatch{})).error().code,
            ErrorCode::kPermissionDenied);

  EXPECT_EQ(sync(dav.set_share(cal->id, bob.id, Access::kRead)).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(sync(dav.set_share(cal->id, carol.id, Access::kOwner)).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(sync(dav.set_share(cal->id, AccountId{999999}, Access::kRead)).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(sync(dav.set_share(CollectionId{999999}, carol.id, Access::kRead)).error().code,
            ErrorCode::kNotFound);
  auto book = sync(dav.get_collection(bob.id, bob.id, "contacts"));
  ASSERT_TRUE(sync(dav.set_share(book->id, carol.id, Access::kRead)));

  auto shares = sync(dav.list_shares(bob.id));
  ASSERT_TRUE(shares);
  ASSERT_EQ(shares->size(), 2u);
  EXPECT_EQ((*shares)[0].collection_name, "calendar");
  EXPECT_EQ((*shares)[0].sharee, alice.id);
  EXPECT_EQ((*shares)[0].access, Access::kReadWrite);
  EXPECT_EQ((*shares)[0].owner, bob.id);
  EXPECT_EQ((*shares)[1].collection_name, "contacts");
  EXPECT_EQ((*shares)[1].kind, CollectionKind::kAddressBook);
  EXPECT_EQ(sync(dav.list_shares(carol.id))->size(), 1u);
  EXPECT_EQ(sync(dav.list_shares(std::nullopt))->size(), 2u);

  ASSERT_TRUE(sync(dav.remove_share(cal->id, alice.id)));
  EXPECT_EQ(sync(dav.remove_share(cal->id, alice.id)).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(sync(dav.get_resource(alice.id, cal->id, "b.ics")).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(sync(dav.list_collections(alice.id, bob.id))->empty());
  // A deleted sharee's shares go with the account.
  ASSERT_TRUE(sync(store().delete_account(carol.id)));
  EXPECT_TRUE(sync(dav.list_shares(bob.id))->empty());
}

TEST_P(StoreConformance, DavTimeRangePrefilterIsASupersetByStoredSpan) {
  auto& dav = dav_of(store());
  auto bob = make_account("bob@example.org");
  auto cal = sync(dav.get_collection(bob.id, bob.id, "calendar"));
  ASSERT_TRUE(cal);
  auto with_range = [](std::string name, std::optional<std::int64_t> s,
                       std::optional<std::int64_t> e, std::string component = "VEVENT") {
    auto p = make_put(name, name);
    p.component = std::move(component);
    if (s) p.range_start = at(*s);
    if (e) p.range_end = at(*e);
    return p;
  };
  put(dav, bob.id, cal->id, with_range("a", 1000, 2000));
  put(dav, bob.id, cal->id, with_range("b", 3000, 4000));
  put(dav, bob.id, cal->id, with_range("c", 5000, std::nullopt));  // endless recurrence
  put(dav, bob.id, cal->id, with_range("d", std::nullopt, std::nullopt));
  put(dav, bob.id, cal->id, with_range("e", 1000, 2000, "VTODO"));
  put(dav, bob.id, cal->id, with_range("f", std::nullopt, 500));

  auto query = [&](std::int64_t s, std::int64_t e, std::optional<std::string> component) {
    ResourceFilter f;
    f.component = std::move(component);
    f.start = at(s);
    f.end = at(e);
    auto r = sync(dav.list_resources(bob.id, cal->id, f));
    EXPECT_TRUE(r);
    return r ? names_of(*r) : std::vector<std::string>{};
  };
  EXPECT_EQ(query(1500, 3500, "VEVENT"), (std::vector<std::string>{"a", "b", "d"}));
  EXPECT_EQ(query(4500, 6000, "VEVENT"), (std::vector<std::string>{"c", "d"}));
  EXPECT_EQ(query(100000, 200000, "VEVENT"), (std::vector<std::string>{"c", "d"}));
  EXPECT_EQ(query(0, 600, "VEVENT"), (std::vector<std::string>{"d", "f"}));
  EXPECT_EQ(query(2000, 3000, "VEVENT"), (std::vector<std::string>{"a", "b", "d"}));  // touching
  EXPECT_EQ(query(1500, 3500, std::nullopt), (std::vector<std::string>{"a", "b", "d", "e"}));
  EXPECT_EQ(query(0, 100000, "VTODO"), std::vector<std::string>{"e"});

  ResourceFilter f;
  f.start = at(1500);
  f.with_content = true;
  auto r = sync(dav.list_resources(bob.id, cal->id, f));
  ASSERT_TRUE(r);
  EXPECT_EQ(names_of(*r), (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  for (const auto& res : *r) EXPECT_EQ(res.content, event(res.name)) << res.name;
}

}  // namespace
}  // namespace taube::store::conformance
