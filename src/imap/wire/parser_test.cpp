// Client lines from the examples of RFC 9051 section 6 and of the extension
// RFCs, parsed into typed commands.
#include "imap/wire/parser.hpp"

#include <gtest/gtest.h>

#include "imap/wire/parser_test_support.hpp"

namespace taube::imap::wire {
namespace {

using namespace std::string_view_literals;
using test::parse_as;
using test::rejection;

SequenceSet set(std::vector<SequenceRange> ranges) { return SequenceSet{std::move(ranges), false}; }

TEST(ImapParser, ParsesAnyStateAndAuthCommands) {  // RFC 9051 6.1, 6.2
  parse_as<Capability>("abcd CAPABILITY\r\n");
  parse_as<Noop>("a002 NOOP\r\n");
  parse_as<Logout>("A023 LOGOUT\r\n");
  parse_as<StartTls>("a002 STARTTLS\r\n");
  auto l = parse_as<Login>("a001 LOGIN SMITH SESAME\r\n");
  EXPECT_EQ(l.user, "SMITH");
  EXPECT_EQ(l.password, "SESAME");
  l = parse_as<Login>("a001 LOGIN {5+}\r\nsmith \"se\\\\s\\\"ame\"\r\n");
  EXPECT_EQ(l.user, "smith");
  EXPECT_EQ(l.password, "se\\s\"ame");
  auto a = parse_as<Authenticate>("A001 AUTHENTICATE gssapi\r\n");
  EXPECT_EQ(a.mechanism, "GSSAPI");
  EXPECT_FALSE(a.initial_response);
  a = parse_as<Authenticate>("A01 AUTHENTICATE PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n");  // RFC 4959
  EXPECT_EQ(a.initial_response, "dGVzdAB0ZXN0AHRlc3Q=");
  EXPECT_EQ(rejection("a LOGIN onlyuser\r\n"), "a BAD Missing argument\r\n");
  EXPECT_EQ(rejection("a LOGIN a b c\r\n"), "a BAD Unexpected extra arguments\r\n");
  EXPECT_EQ(rejection("a NOOP x\r\n"), "a BAD Unexpected extra arguments\r\n");
  EXPECT_EQ(rejection("a XYZZY\r\n"), "a BAD Unknown command\r\n");
}

TEST(ImapParser, ParsesEnableIdNamespaceCompressQuota) {
  auto e = parse_as<Enable>("t2 ENABLE CONDSTORE X-GOOD-IDEA\r\n");  // RFC 5161
  EXPECT_EQ(e.capabilities, (std::vector<std::string>{"CONDSTORE", "X-GOOD-IDEA"}));
  EXPECT_NE(rejection("t ENABLE\r\n"), "");
  auto id = parse_as<Id>("a023 ID (\"name\" \"sodr\" \"version\" \"19.34\" \"vendor\" NIL)\r\n");  // RFC 2971
  ASSERT_TRUE(id.params);
  ASSERT_EQ(id.params->size(), 3u);
  EXPECT_EQ((*id.params)[1].first, "version");
  EXPECT_EQ((*id.params)[1].second, "19.34");
  EXPECT_FALSE((*id.params)[2].second);
  EXPECT_FALSE(parse_as<Id>("a ID NIL\r\n").params);
  parse_as<Namespace>("A002 NAMESPACE\r\n");
  parse_as<Idle>("A004 IDLE\r\n");
  parse_as<Unselect>("A01 UNSELECT\r\n");
  EXPECT_EQ(parse_as<Compress>("a COMPRESS deflate\r\n").mechanism, "DEFLATE");  // RFC 4978
  EXPECT_EQ(parse_as<GetQuota>("G0001 GETQUOTA \"!partition/sda4\"\r\n").root, "!partition/sda4");  // RFC 9208
  EXPECT_EQ(parse_as<GetQuotaRoot>("G0002 GETQUOTAROOT inbox\r\n").mailbox, "INBOX");
}

TEST(ImapParser, ParsesSelectWithCondstoreAndQresync) {
  auto s = parse_as<Select>("A142 SELECT INBOX\r\n");
  EXPECT_EQ(s.mailbox, "INBOX");
  EXPECT_FALSE(s.read_only);
  s = parse_as<Select>("A932 EXAMINE blurdybloop\r\n");
  EXPECT_EQ(s.mailbox, "blurdybloop");
  EXPECT_TRUE(s.read_only);
  s = parse_as<Select>("a103 SELECT \"InBoX\" (CONDSTORE)\r\n");  // RFC 7162 3.1.8
  EXPECT_EQ(s.mailbox, "INBOX");
  EXPECT_TRUE(s.condstore);
  s = parse_as<Select>("A02 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n");
  ASSERT_TRUE(s.qresync);
  EXPECT_EQ(s.qresync->uid_validity, 67890007u);
  EXPECT_EQ(s.qresync->mod_seq, 20050715194045000u);
  EXPECT_EQ(s.qresync->known_uids, set({{41, 41}, {43, 211}, {214, 541}}));
  EXPECT_FALSE(s.qresync->seq_match);
  s = parse_as<Select>(
      "B02 SELECT INBOX (QRESYNC (67890007 90060115194045000 1:29997 (5000,7500,9000,9990:9999 "
      "15000,22500,27000,29970,29973,29976,29979,29982,29985,29988,29991,29994,29997)))\r\n");
  ASSERT_TRUE(s.qresync && s.qresync->seq_match);
  EXPECT_EQ(s.qresync->seq_match->first, set({{5000, 5000}, {7500, 7500}, {9000, 9000}, {9990, 9999}}));
  EXPECT_EQ(s.qresync->seq_match->second.ranges.size(), 13u);
  EXPECT_NE(rejection("a SELECT INBOX (QRESYNC (0 5))\r\n"), "");       // uidvalidity is nz-number
  EXPECT_NE(rejection("a SELECT INBOX (QRESYNC (1 5 1:*))\r\n"), "");   // known-uids: no "*"
  EXPECT_NE(rejection("a SELECT INBOX (BOGUS)\r\n"), "");
}

TEST(ImapParser, ParsesMailboxManagement) {
  EXPECT_EQ(parse_as<Create>("A003 CREATE owatagusiam/\r\n").mailbox, "owatagusiam/");
  auto c = parse_as<Create>("t1 CREATE \"Everything\" (USE (\\All))\r\n");  // RFC 6154 5.2
  EXPECT_EQ(c.mailbox, "Everything");
  EXPECT_EQ(c.special_use, std::vector<std::string>{"\\All"});
  EXPECT_EQ(parse_as<Delete>("A683 DELETE blurdybloop\r\n").mailbox, "blurdybloop");
  auto r = parse_as<Rename>("A683 RENAME blurdybloop sarasoop\r\n");
  EXPECT_EQ(r.from, "blurdybloop");
  EXPECT_EQ(r.to, "sarasoop");
  EXPECT_EQ(parse_as<Subscribe>("A002 SUBSCRIBE #news.comp.mail.mime\r\n").mailbox, "#news.comp.mail.mime");
  EXPECT_EQ(parse_as<Unsubscribe>("A002 UNSUBSCRIBE #news.comp.mail.mime\r\n").mailbox, "#news.comp.mail.mime");
  auto st = parse_as<StatusCommand>("A042 STATUS blurdybloop (UIDNEXT MESSAGES)\r\n");
  EXPECT_EQ(st.items, (std::vector<StatusItem>{StatusItem::kUidNext, StatusItem::kMessages}));
  st = parse_as<StatusCommand>("a STATUS x (SIZE DELETED HIGHESTMODSEQ APPENDLIMIT MAILBOXID RECENT UNSEEN UIDVALIDITY)\r\n");
  EXPECT_EQ(st.items.size(), 8u);
  EXPECT_EQ(st.items[4], StatusItem::kMailboxId);
  EXPECT_NE(rejection("a STATUS x ()\r\n"), "");
  EXPECT_NE(rejection("a STATUS x (FOO)\r\n"), "");
  EXPECT_NE(rejection("a DELETE \"\"\r\n"), "");
}

TEST(ImapParser, ParsesListBasicAndExtended) {
  auto l = parse_as<List>("A101 LIST \"\" \"\"\r\n");
  EXPECT_FALSE(l.extended);
  EXPECT_EQ(l.reference, "");
  EXPECT_EQ(l.patterns, std::vector<std::string>{""});
  l = parse_as<List>("A202 LIST ~/Mail/ %\r\n");
  EXPECT_EQ(l.reference, "~/Mail/");
  EXPECT_EQ(l.patterns, std::vector<std::string>{"%"});
  l = parse_as<List>("A02 LIST (SUBSCRIBED) \"\" \"*\"\r\n");  // RFC 5258 5
  EXPECT_TRUE(l.extended && l.select_subscribed);
  l = parse_as<List>("A04 LIST (REMOTE) \"\" \"%\" RETURN (CHILDREN)\r\n");
  EXPECT_TRUE(l.select_remote && l.return_children);
  l = parse_as<List>("A05 LIST (SUBSCRIBED RECURSIVEMATCH) \"\" \"%\" RETURN (CHILDREN)\r\n");
  EXPECT_TRUE(l.select_recursive_match && l.select_subscribed);
  l = parse_as<List>("BBB LIST \"\" (\"INBOX\" \"Drafts\" \"Sent/%\")\r\n");
  EXPECT_EQ(l.patterns, (std::vector<std::string>{"INBOX", "Drafts", "Sent/%"}));
  l = parse_as<List>("A01 LIST \"\" % RETURN (STATUS (MESSAGES UNSEEN))\r\n");  // RFC 5819
  ASSERT_TRUE(l.return_status);
  EXPECT_EQ(*l.return_status, (std::vector<StatusItem>{StatusItem::kMessages, StatusItem::kUnseen}));
  l = parse_as<List>("t1 LIST (SPECIAL-USE) \"\" \"*\"\r\n");  // RFC 6154
  EXPECT_TRUE(l.select_special_use);
  l = parse_as<List>("t3 LIST \"\" \"%\" RETURN (SPECIAL-USE SUBSCRIBED)\r\n");
  EXPECT_TRUE(l.return_special_use && l.return_subscribed);
  EXPECT_NE(rejection("A LIST (RECURSIVEMATCH) \"\" \"%\"\r\n"), "");  // RFC 5258 3.1
  EXPECT_NE(rejection("A LIST (BOGUS) \"\" \"%\"\r\n"), "");
  auto s = parse_as<List>("A LSUB \"#news.\" \"comp.mail.*\"\r\n");
  EXPECT_TRUE(s.lsub);
  EXPECT_EQ(s.patterns, std::vector<std::string>{"comp.mail.*"});
}

TEST(ImapParser, ParsesAppendAndMultiappend) {
  auto a = parse_as<Append>(
      "A003 APPEND saved-messages (\\Seen) {22}\r\nDate: x\r\n\r\nHello Joe\r\n\r\n");
  EXPECT_EQ(a.mailbox, "saved-messages");
  ASSERT_EQ(a.messages.size(), 1u);
  EXPECT_EQ(a.messages[0].flags, std::vector<std::string>{"\\Seen"});
  EXPECT_EQ(a.messages[0].data, "Date: x\r\n\r\nHello Joe\r\n");
  a = parse_as<Append>(  // RFC 3502 6
      "A003 APPEND saved-messages (\\seen) \" 7-Feb-1994 21:52:25 -0800\" {3}\r\none "
      "(\\Seen $Hot) \"07-Feb-1994 22:43:04 -0800\" {3+}\r\ntwo {5}\r\nthree\r\n");
  ASSERT_EQ(a.messages.size(), 3u);
  EXPECT_EQ(a.messages[0].flags, std::vector<std::string>{"\\Seen"});
  ASSERT_TRUE(a.messages[0].internal_date);
  EXPECT_EQ(a.messages[0].internal_date->zone_minutes, -480);
  EXPECT_EQ(a.messages[0].internal_date->date, (Date{1994, 2, 7}));
  EXPECT_EQ(a.messages[1].flags, (std::vector<std::string>{"\\Seen", "$Hot"}));
  EXPECT_EQ(a.messages[2].data, "three");
  EXPECT_FALSE(a.messages[2].internal_date);
  a = parse_as<Append>("a APPEND Drafts ~{3}\r\na\0b\r\n"sv);  // RFC 3516
  EXPECT_TRUE(a.messages[0].binary);
  EXPECT_EQ(a.messages[0].data, "a\0b"sv);
  a = parse_as<Append>("a APPEND Drafts UTF8 (~{4}\r\nabcd)\r\n");  // RFC 6855 4
  EXPECT_TRUE(a.messages[0].utf8);
  EXPECT_EQ(a.messages[0].data, "abcd");
  EXPECT_EQ(rejection("a APPEND x {3}\r\na\0b\r\n"sv), "a BAD NUL in literal\r\n");
  EXPECT_EQ(rejection("a LOGIN ~{1}\r\nx y\r\n"), "a BAD Expected string\r\n");  // literal8 only as APPEND data
  EXPECT_EQ(rejection("a APPEND x UTF8 ({1}\r\nx)\r\n"), "a BAD UTF8 requires a literal8\r\n");
  EXPECT_NE(rejection("a APPEND x (\\Seen) \"31-Feb-2020 00:00:00 +0000\" {1}\r\nx\r\n"), "");
  EXPECT_NE(rejection("a APPEND x (\\*) {1}\r\nx\r\n"), "");
  EXPECT_NE(rejection("a APPEND x (\\Recent) {1}\r\nx\r\n"), "");
  EXPECT_NE(rejection("a APPEND x \"hello\"\r\n"), "");
}

TEST(ImapParser, ParsesFetchItemsAndModifiers) {
  auto f = parse_as<Fetch>("A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])\r\n");
  EXPECT_EQ(f.set, set({{2, 4}}));
  ASSERT_EQ(f.items.size(), 2u);
  EXPECT_EQ(f.items[0].attribute, FetchAttribute::kFlags);
  EXPECT_EQ(f.items[1].attribute, FetchAttribute::kBodySection);
  EXPECT_EQ(f.items[1].section.text, SectionText::kHeaderFields);
  EXPECT_EQ(f.items[1].section.fields, (std::vector<std::string>{"DATE", "FROM"}));
  EXPECT_FALSE(f.items[1].peek);
  f = parse_as<Fetch>("a FETCH 1 ALL\r\n");
  EXPECT_EQ(f.items.size(), 4u);
  EXPECT_EQ(parse_as<Fetch>("a FETCH 1 FAST\r\n").items.size(), 3u);
  f = parse_as<Fetch>("a FETCH 1 FULL\r\n");
  ASSERT_EQ(f.items.size(), 5u);
  EXPECT_EQ(f.items[4].attribute, FetchAttribute::kBody);
  f = parse_as<Fetch>(
      "a FETCH 1:* (BODY.PEEK[1.2.MIME] BODY[]<0.2048> BINARY.PEEK[1]<0.100> BINARY.SIZE[2] RFC822.SIZE "
      "BODY[HEADER.FIELDS.NOT (\"Received\")] BODYSTRUCTURE UID MODSEQ SAVEDATE EMAILID THREADID "
      "PREVIEW (LAZY) INTERNALDATE ENVELOPE RFC822.HEADER BODY[TEXT] BODY[3.TEXT] RFC822 RFC822.TEXT)\r\n");
  EXPECT_EQ(f.set, set({{1, kStar}}));
  ASSERT_EQ(f.items.size(), 20u);
  EXPECT_TRUE(f.items[0].peek);
  EXPECT_EQ(f.items[0].section.part, (std::vector<std::uint32_t>{1, 2}));
  EXPECT_EQ(f.items[0].section.text, SectionText::kMime);
  EXPECT_EQ(f.items[1].partial, (Partial{0, 2048}));
  EXPECT_TRUE(f.items[1].section.part.empty());
  EXPECT_EQ(f.items[2].attribute, FetchAttribute::kBinary);
  EXPECT_EQ(f.items[2].partial, (Partial{0, 100}));
  EXPECT_EQ(f.items[3].attribute, FetchAttribute::kBinarySize);
  EXPECT_EQ(f.items[5].section.fields, std::vector<std::string>{"RECEIVED"});
  EXPECT_EQ(f.items[5].section.text, SectionText::kHeaderFieldsNot);
  EXPECT_EQ(f.items[12].attribute, FetchAttribute::kPreview);
  EXPECT_TRUE(f.items[12].lazy);
  EXPECT_EQ(f.items[17].section.part, std::vector<std::uint32_t>{3});
  f = parse_as<Fetch>("s100 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345)\r\n");  // RFC 7162 3.1.4.1
  EXPECT_TRUE(f.uid);
  EXPECT_EQ(f.changed_since, 12345u);
  f = parse_as<Fetch>("s100 UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)\r\n");
  EXPECT_TRUE(f.vanished);
  f = parse_as<Fetch>("A999 UID FETCH 4827313:4828442 FLAGS\r\n");
  EXPECT_EQ(f.set, set({{4827313, 4828442}}));
  f = parse_as<Fetch>("A284 FETCH $ (UID INTERNALDATE FLAGS RFC822.SIZE)\r\n");  // RFC 5182
  EXPECT_TRUE(f.set.saved);
  EXPECT_NE(rejection("a FETCH 1 (FLAGS) (VANISHED CHANGEDSINCE 1)\r\n"), "");  // needs UID FETCH
  EXPECT_NE(rejection("a FETCH 1 (BODY[MIME])\r\n"), "");
  EXPECT_NE(rejection("a FETCH 1 (BINARY[TEXT])\r\n"), "");
  EXPECT_NE(rejection("a FETCH 1 (BODY[]<0.0>)\r\n"), "");
  EXPECT_NE(rejection("a FETCH 1 (BINARY.SIZE[1]<0.5>)\r\n"), "");
  EXPECT_NE(rejection("a FETCH 1 (BODY[0])\r\n"), "");
  EXPECT_NE(rejection("a FETCH 1 (FROB)\r\n"), "");
  EXPECT_NE(rejection("a FETCH 1 (ALL)\r\n"), "");  // macros are not fetch-atts
  EXPECT_NE(rejection("a FETCH 0 FLAGS\r\n"), "");
  EXPECT_NE(rejection("a FETCH 1:0 FLAGS\r\n"), "");
}

TEST(ImapParser, ParsesStoreCopyMoveExpunge) {
  auto s = parse_as<Store>("A003 STORE 2:4 +FLAGS (\\Deleted)\r\n");
  EXPECT_EQ(s.mode, StoreMode::kAdd);
  EXPECT_FALSE(s.silent);
  EXPECT_EQ(s.flags, std::vector<std::string>{"\\Deleted"});
  s = parse_as<Store>("a103 UID STORE 6,4,8 (UNCHANGEDSINCE 12121230045) +FLAGS.SILENT (\\Deleted)\r\n");
  EXPECT_TRUE(s.uid && s.silent);
  EXPECT_EQ(s.unchanged_since, 12121230045u);
  EXPECT_EQ(s.set, set({{6, 6}, {4, 4}, {8, 8}}));
  s = parse_as<Store>("a STORE 1 -FLAGS \\seen $Junk\r\n");
  EXPECT_EQ(s.mode, StoreMode::kRemove);
  EXPECT_EQ(s.flags, (std::vector<std::string>{"\\Seen", "$Junk"}));
  s = parse_as<Store>("a STORE 1 FLAGS ()\r\n");
  EXPECT_EQ(s.mode, StoreMode::kReplace);
  EXPECT_TRUE(s.flags.empty());
  EXPECT_NE(rejection("a STORE 1 *FLAGS (\\Seen)\r\n"), "");
  EXPECT_NE(rejection("a STORE 1 +FLAGS (\\*)\r\n"), "");
  auto c = parse_as<Copy>("A003 COPY 2:4 MEETING\r\n");
  EXPECT_EQ(c.mailbox, "MEETING");
  auto m = parse_as<Move>("a UID MOVE 42:69 foo\r\n");  // RFC 6851
  EXPECT_TRUE(m.uid);
  EXPECT_EQ(m.set, set({{42, 69}}));
  EXPECT_FALSE(parse_as<Expunge>("A202 EXPUNGE\r\n").uids);
  auto e = parse_as<Expunge>("A003 UID EXPUNGE 3000:3002\r\n");  // RFC 4315
  ASSERT_TRUE(e.uids);
  EXPECT_EQ(*e.uids, set({{3000, 3002}}));
  EXPECT_NE(rejection("a UID EXPUNGE\r\n"), "");
  EXPECT_EQ(rejection("a UID NOOP\r\n"), "a BAD Unknown command\r\n");
}

TEST(ImapParser, ParsesSearchKeys) {
  auto s = parse_as<Search>("A282 SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\n");
  ASSERT_TRUE(s.result_options);
  EXPECT_TRUE(s.result_options->min && s.result_options->count);
  EXPECT_FALSE(s.result_options->all);
  ASSERT_EQ(s.key.children.size(), 3u);
  EXPECT_EQ(s.key.children[0].kind, SearchKeyKind::kFlagged);
  EXPECT_EQ(s.key.children[1].kind, SearchKeyKind::kSince);
  EXPECT_EQ(s.key.children[1].date, (Date{1994, 2, 1}));
  EXPECT_EQ(s.key.children[2].kind, SearchKeyKind::kNot);
  EXPECT_EQ(s.key.children[2].children[0].kind, SearchKeyKind::kFrom);
  EXPECT_EQ(s.key.children[2].children[0].text, "Smith");
  s = parse_as<Search>("A283 SEARCH RETURN () FLAGGED\r\n");
  EXPECT_TRUE(s.result_options->all);  // RFC 4731 3.1
  s = parse_as<Search>("A285 SEARCH CHARSET UTF-8 TEXT {12}\r\n\xd0\x9f\xd0\xb5\xd1\x82\xd1\x80\xd0\xbe\xd0\xb2\r\n");
  EXPECT_EQ(s.charset, "UTF-8");
  EXPECT_EQ(s.key.children[0].text, "\xd0\x9f\xd0\xb5\xd1\x82\xd1\x80\xd0\xbe\xd0\xb2");
  s = parse_as<Search>(
      "a UID SEARCH OR (SUBJECT x LARGER 100) NOT (KEYWORD $Junk UID 1:5,7) HEADER \"List-Id\" \"\" "
      "2,4:* SENTON \"3-Mar-2020\" SMALLER 5000000000 ANSWERED UNKEYWORD $x\r\n");
  EXPECT_TRUE(s.uid);
  ASSERT_EQ(s.key.children.size(), 7u);
  const SearchKey& orkey = s.key.children[0];
  EXPECT_EQ(orkey.kind, SearchKeyKind::kOr);
  EXPECT_EQ(orkey.children[0].kind, SearchKeyKind::kAnd);
  EXPECT_EQ(orkey.children[0].children[1].number, 100u);
  EXPECT_EQ(orkey.children[1].kind, SearchKeyKind::kNot);
  EXPECT_EQ(orkey.children[1].children[0].children[1].set, set({{1, 5}, {7, 7}}));
  EXPECT_EQ(s.key.children[1].kind, SearchKeyKind::kHeader);
  EXPECT_EQ(s.key.children[1].field, "List-Id");
  EXPECT_EQ(s.key.children[2].set, set({{2, 2}, {4, kStar}}));
  EXPECT_EQ(s.key.children[3].date, (Date{2020, 3, 3}));
  EXPECT_EQ(s.key.children[4].number, 5000000000u);
  s = parse_as<Search>("a SEARCH MODSEQ \"/flags/\\\\draft\" all 620162338\r\n");  // RFC 7162 3.1.5
  EXPECT_EQ(s.key.children[0].kind, SearchKeyKind::kModSeq);
  EXPECT_EQ(s.key.children[0].field, "/flags/\\draft");
  EXPECT_EQ(s.key.children[0].text, "all");
  EXPECT_EQ(s.key.children[0].number, 620162338u);
  s = parse_as<Search>("a1 SEARCH UNSEEN YOUNGER 259200\r\n");  // RFC 5032
  EXPECT_EQ(s.key.children[1].kind, SearchKeyKind::kYounger);
  EXPECT_EQ(s.key.children[1].number, 259200u);
  s = parse_as<Search>("A283 SEARCH RETURN (SAVE) SINCE 1-Feb-1994 FROM Smith\r\n");  // RFC 5182
  EXPECT_TRUE(s.result_options->save);
  s = parse_as<Search>("a SEARCH $ SAVEDBEFORE 1-Feb-2018 EMAILID M6d99ac3275bb4e\r\n");  // RFC 5182/8514/8474
  EXPECT_TRUE(s.key.children[0].set.saved);
  EXPECT_EQ(s.key.children[1].kind, SearchKeyKind::kSavedBefore);
  EXPECT_EQ(s.key.children[2].text, "M6d99ac3275bb4e");
  EXPECT_NE(rejection("a SEARCH\r\n"), "");
  EXPECT_NE(rejection("a SEARCH OR SEEN\r\n"), "");
  EXPECT_NE(rejection("a SEARCH SINCE 30-Feb-2020\r\n"), "");
  EXPECT_NE(rejection("a SEARCH 0\r\n"), "");
  EXPECT_NE(rejection("a SEARCH ()\r\n"), "");
  EXPECT_NE(rejection("a SEARCH OLDER 0\r\n"), "");
  EXPECT_NE(rejection("a SEARCH FOO\r\n"), "");
  EXPECT_NE(rejection("a SEARCH RETURN (BOGUS) ALL\r\n"), "");
}

TEST(ImapParser, ParsesSortAndThread) {  // RFC 5256 3
  auto s = parse_as<Sort>("A283 SORT (SUBJECT REVERSE DATE) UTF-8 ALL\r\n");
  ASSERT_EQ(s.criteria.size(), 2u);
  EXPECT_EQ(s.criteria[0], (SortCriterion{SortKey::kSubject, false}));
  EXPECT_EQ(s.criteria[1], (SortCriterion{SortKey::kDate, true}));
  EXPECT_EQ(s.charset, "UTF-8");
  s = parse_as<Sort>("A284 UID SORT (DISPLAYFROM) US-ASCII TEXT \"not in mailbox\"\r\n");
  EXPECT_TRUE(s.uid);
  EXPECT_EQ(s.criteria[0].key, SortKey::kDisplayFrom);
  EXPECT_EQ(s.key.children[0].text, "not in mailbox");
  s = parse_as<Sort>("a SORT RETURN (COUNT) (ARRIVAL) UTF-8 ALL\r\n");  // RFC 5267
  EXPECT_TRUE(s.result_options && s.result_options->count);
  EXPECT_NE(rejection("a SORT (SUBJECT) ALL\r\n"), "");  // "ALL" taken as charset, then no key
  EXPECT_NE(rejection("a SORT (BOGUS) UTF-8 ALL\r\n"), "");
  auto t = parse_as<Thread>("A283 THREAD ORDEREDSUBJECT UTF-8 SINCE 5-MAR-2000\r\n");
  EXPECT_EQ(t.algorithm, ThreadAlgorithm::kOrderedSubject);
  EXPECT_EQ(t.key.children[0].date, (Date{2000, 3, 5}));
  t = parse_as<Thread>("A284 THREAD REFERENCES US-ASCII TEXT \"gewp\"\r\n");
  EXPECT_EQ(t.algorithm, ThreadAlgorithm::kReferences);
  EXPECT_EQ(t.charset, "US-ASCII");
  EXPECT_NE(rejection("a THREAD BOGUS UTF-8 ALL\r\n"), "");
}

TEST(ImapParser, DecodesMailboxNamesPerContext) {
  EXPECT_EQ(parse_as<Select>("a SELECT \"~peter/mail/&U,BTFw-/&ZeVnLIqe-\"\r\n").mailbox,
            "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");  // RFC 3501 5.1.3
  EXPECT_EQ(parse_as<Select>("a SELECT Inbox\r\n").mailbox, "INBOX");
  EXPECT_EQ(parse_as<Select>("a SELECT Inbox/sub\r\n").mailbox, "Inbox/sub");
  EXPECT_EQ(rejection("a SELECT &Jjo!\r\n"), "a BAD Invalid mailbox name encoding\r\n");
  EXPECT_NE(rejection("a SELECT \"Caf\xc3\xa9\"\r\n"), "");  // raw UTF-8 without UTF8=ACCEPT
  ParseContext utf8;
  utf8.utf8_names = true;
  EXPECT_EQ(parse_as<Select>("a SELECT \"Caf\xc3\xa9\"\r\n", utf8).mailbox, "Caf\xc3\xa9");
  EXPECT_EQ(parse_as<Select>("a SELECT \"&-x\"\r\n", utf8).mailbox, "&-x");  // no mUTF-7 in UTF-8 mode
  EXPECT_NE(rejection("a SELECT \"\xc3\x28\"\r\n", utf8), "");
}

}  // namespace
}  // namespace taube::imap::wire

namespace taube::imap::wire {
namespace {

std::string repeat(std::string_view s, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

TEST(ImapParser, RejectsHostileNestingWithoutDeepRecursion) {
  ParseContext context;
  context.limits.max_depth = 64;
  // At the limit: accepted.
  auto s = test::parse_as<Search>("a SEARCH " + repeat("NOT ", 63) + "ALL\r\n", context);
  EXPECT_EQ(s.key.children[0].kind, SearchKeyKind::kNot);
  EXPECT_EQ(test::rejection("a SEARCH " + repeat("NOT ", 64) + "ALL\r\n", context),
            "a BAD Search keys nested too deeply\r\n");
  EXPECT_EQ(test::rejection("a SEARCH " + repeat("NOT ", 100000) + "ALL\r\n", context),
            "a BAD Command line too long\r\n");
  context.limits.max_line_bytes = 1 << 20;
  context.limits.max_tokens = 1 << 20;
  EXPECT_EQ(test::rejection("a SEARCH " + repeat("NOT ", 100000) + "ALL\r\n", context),
            "a BAD Search keys nested too deeply\r\n");
  EXPECT_EQ(test::rejection("a SEARCH " + repeat("OR ALL ", 100000) + "ALL\r\n", context),
            "a BAD Search keys nested too deeply\r\n");
  EXPECT_EQ(test::rejection("a SEARCH " + repeat("(", 100000) + "ALL" + repeat(")", 100000) + "\r\n", context),
            "a BAD Too deeply nested\r\n");
  context.limits.max_tokens = 100;
  EXPECT_EQ(test::rejection("a SEARCH " + repeat("ALL ", 200) + "ALL\r\n", context),
            "a BAD Too many arguments\r\n");
}

TEST(ImapParser, RejectsZeroAndOversizedNumbers) {
  EXPECT_EQ(rejection("a SEARCH 1,0\r\n"), "a BAD Unknown search key\r\n");
  EXPECT_EQ(rejection("a SEARCH UID 0:5\r\n"), "a BAD Invalid sequence set\r\n");
  EXPECT_EQ(rejection("a COPY 0 x\r\n"), "a BAD Invalid sequence set\r\n");
  EXPECT_EQ(rejection("a STORE 4294967296 FLAGS ()\r\n"), "a BAD Invalid sequence set\r\n");
  EXPECT_EQ(rejection("a FETCH 1 (FLAGS) (CHANGEDSINCE 9223372036854775808)\r\n"), "a BAD Invalid mod-sequence\r\n");
  ParseContext context;
  context.limits.max_sequence_ranges = 2;
  EXPECT_EQ(rejection("a FETCH 1,2,3 FLAGS\r\n", context), "a BAD Invalid sequence set\r\n");
}

}  // namespace
}  // namespace taube::imap::wire
