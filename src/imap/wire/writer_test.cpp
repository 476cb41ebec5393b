#include "imap/wire/writer.hpp"

#include <gtest/gtest.h>

namespace taube::imap::wire {
namespace {

TEST(ImapWriter, ChoosesQuotedOrLiteral) {
  EXPECT_EQ(format_string("hello world"), "\"hello world\"");
  EXPECT_EQ(format_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(format_string("two\r\nlines"), "{10}\r\ntwo\r\nlines");
  EXPECT_EQ(format_string("caf\xc3\xa9"), "{5}\r\ncaf\xc3\xa9");
  WriteOptions utf8;
  utf8.utf8 = true;
  EXPECT_EQ(format_string("caf\xc3\xa9", utf8), "\"caf\xc3\xa9\"");
  EXPECT_EQ(format_string("bad\xc3", utf8), "{4}\r\nbad\xc3");
  WriteOptions small;
  small.max_quoted_bytes = 3;
  EXPECT_EQ(format_string("abcd", small), "{4}\r\nabcd");
  EXPECT_EQ(format_string(""), "\"\"");
  EXPECT_EQ(format_nstring(std::nullopt), "NIL");
  EXPECT_EQ(format_literal8(std::string_view("a\0b", 3)), std::string("~{3}\r\na\0b", 9));
  EXPECT_EQ(format_nstring(std::string_view("x")), "\"x\"");
  EXPECT_EQ(format_astring("INBOX"), "INBOX");
  EXPECT_EQ(format_astring("a b"), "\"a b\"");
  EXPECT_EQ(format_astring("nil"), "\"nil\"");
  EXPECT_EQ(format_astring(""), "\"\"");
}

TEST(ImapWriter, EncodesMailboxNamesUnlessUtf8) {
  EXPECT_EQ(format_mailbox("Entw\xc3\xbcrfe"), "Entw&APw-rfe");
  EXPECT_EQ(format_mailbox("Sent Items"), "\"Sent Items\"");
  WriteOptions utf8;
  utf8.utf8 = true;
  EXPECT_EQ(format_mailbox("Entw\xc3\xbcrfe", utf8), "\"Entw\xc3\xbcrfe\"");
}

TEST(ImapWriter, FormatsResponsesAndSanitisesEchoedText) {
  EXPECT_EQ(format_tagged("a1", Status::kOk, code::read_write(), "SELECT completed"),
            "a1 OK [READ-WRITE] SELECT completed\r\n");
  EXPECT_EQ(format_tagged("a1", Status::kNo, "", "no such\r\nmailbox\0x"), "a1 NO no such  mailbox\r\n");
  EXPECT_EQ(format_tagged("a1", Status::kBad, "", std::string_view("x\0y\x7f", 4)), "a1 BAD x y \r\n");
  EXPECT_EQ(format_untagged(Status::kBye, code::unavailable(), "shutting down"),
            "* BYE [UNAVAILABLE] shutting down\r\n");
  EXPECT_EQ(format_untagged(Status::kOk, "", ""), "* OK -\r\n");
  EXPECT_EQ(format_continuation(), "+ Ready\r\n");
  EXPECT_EQ(format_untagged_data("3 EXISTS"), "* 3 EXISTS\r\n");
  EXPECT_EQ(sanitize_text("\xc3\xa9t\xc3\xa9", false), "??t??");
}

TEST(ImapWriter, FormatsResponseCodes) {
  EXPECT_EQ(code::append_uid(38505, {3955}), "APPENDUID 38505 3955");
  EXPECT_EQ(code::copy_uid(38505, {304, 319, 320}, {3956, 3957, 3958}), "COPYUID 38505 304,319:320 3956:3958");
  EXPECT_EQ(code::copy_uid(1, {5, 3}, {10, 11}), "COPYUID 1 5,3 10:11");  // order kept
  EXPECT_EQ(code::highest_mod_seq(715194045007u), "HIGHESTMODSEQ 715194045007");
  EXPECT_EQ(code::modified({7, 9, 8, 12}), "MODIFIED 7:9,12");
  EXPECT_EQ(code::capability({"IMAP4rev2", "IDLE"}), "CAPABILITY IMAP4rev2 IDLE");
  EXPECT_EQ(code::permanent_flags({"\\Seen", "\\Deleted"}, true), "PERMANENTFLAGS (\\Seen \\Deleted \\*)");
  EXPECT_EQ(code::permanent_flags({}, false), "PERMANENTFLAGS ()");
  for (const auto& [c, text] : std::vector<std::pair<std::string, std::string>>{
           {code::alert(), "ALERT"}, {code::trycreate(), "TRYCREATE"}, {code::no_mod_seq(), "NOMODSEQ"},
           {code::uid_not_sticky(), "UIDNOTSTICKY"}, {code::too_big(), "TOOBIG"},
           {code::privacy_required(), "PRIVACYREQUIRED"}, {code::closed(), "CLOSED"}, {code::cannot(), "CANNOT"},
           {code::limit(), "LIMIT"}, {code::over_quota(), "OVERQUOTA"}, {code::already_exists(), "ALREADYEXISTS"},
           {code::nonexistent(), "NONEXISTENT"}, {code::server_bug(), "SERVERBUG"},
           {code::uid_next(4392), "UIDNEXT 4392"}, {code::uid_validity(3857529045u), "UIDVALIDITY 3857529045"},
           {code::read_only(), "READ-ONLY"}})
    EXPECT_EQ(c, text);
}

TEST(ImapWriter, FormatsEsearchAndVanished) {  // RFC 4731 3.1, RFC 7162 3.2.10
  EsearchResult r;
  r.min = 2;
  r.count = 3;
  EXPECT_EQ(format_esearch("A282", false, r), "* ESEARCH (TAG \"A282\") MIN 2 COUNT 3\r\n");
  EsearchResult all;
  all.all = std::vector<std::uint32_t>{1, 2, 3, 5, 10, 11, 12, 13, 90, 92, 93, 94};
  EXPECT_EQ(format_esearch("A283", true, all), "* ESEARCH (TAG \"A283\") UID ALL 1:3,5,10:13,90,92:94\r\n");
  all.all = std::vector<std::uint32_t>{};
  EXPECT_EQ(format_esearch("t", false, all), "* ESEARCH (TAG \"t\")\r\n");
  EXPECT_EQ(format_vanished(true, {41, 43, 44, 45, 46, 50}), "* VANISHED (EARLIER) 41,43:46,50\r\n");
  EXPECT_EQ(format_vanished(false, {}), "");
}

}  // namespace
}  // namespace taube::imap::wire
