#include "imap/server/thread.hpp"

#include <gtest/gtest.h>

#include "imap/server/commands.hpp"

namespace taube::imap::server {
namespace {

ThreadMessage msg(std::uint32_t n, std::int64_t date, std::string subject, std::string id, std::string refs = "",
                  std::string in_reply_to = "") {
  ThreadMessage m;
  m.number = n;
  m.seq = n;
  m.date = date;
  m.is_reply = is_reply_subject(subject);
  m.base_subject = subject.rfind("Re: ", 0) == 0 ? subject.substr(4) : subject;
  m.message_id = std::move(id);
  m.references = std::move(refs);
  m.in_reply_to = std::move(in_reply_to);
  return m;
}

TEST(ImapThread, OrderedSubjectGroupsByBaseSubjectInDateOrder) {
  std::vector<ThreadMessage> ms = {msg(1, 10, "a", "<1>"), msg(2, 20, "b", "<2>"), msg(3, 30, "Re: a", "<3>"),
                                   msg(4, 5, "c", "<4>"), msg(5, 40, "Re: a", "<5>"), msg(6, 50, "Re: b", "<6>")};
  // RFC 5256 2.1: "(4)(1 (3)(5))(2 6)".
  EXPECT_EQ(thread_ordered_subject(ms), "(4)(1 (3)(5))(2 6)");
}

TEST(ImapThread, ReferencesBuildsTreesFromReferencesAndInReplyTo) {
  std::vector<ThreadMessage> ms = {
      msg(1, 10, "topic", "<a@x>"),
      msg(2, 20, "Re: topic", "<b@x>", "<a@x>"),
      msg(3, 30, "Re: topic", "<c@x>", "<a@x> <b@x>"),
      msg(4, 40, "Re: topic", "<d@x>", "", "<a@x>"),
      msg(5, 15, "other", "<e@x>"),
  };
  EXPECT_EQ(thread_references(ms), "(1 (2 3)(4))(5)");
}

TEST(ImapThread, ReferencesToAMissingParentShareADummyRoot) {
  std::vector<ThreadMessage> ms = {
      msg(1, 10, "Re: lost", "<b@x>", "<gone@x>"),
      msg(2, 20, "Re: lost", "<c@x>", "<gone@x>"),
  };
  EXPECT_EQ(thread_references(ms), "((1)(2))");
}

TEST(ImapThread, ReferencesSurviveLoopsAndDuplicateIds) {
  std::vector<ThreadMessage> ms = {
      msg(1, 10, "x", "<a@x>", "<b@x>"),
      msg(2, 20, "y", "<b@x>", "<a@x>"),
      msg(3, 30, "z", "<a@x>"),
  };
  std::string out = thread_references(ms);
  EXPECT_NE(out.find('1'), std::string::npos);
  EXPECT_NE(out.find('2'), std::string::npos);
  EXPECT_NE(out.find('3'), std::string::npos);
}

TEST(ImapCommandTable, IsSortedAndFindsUidCommands) {
  EXPECT_NE(find_command("UID THREAD"), nullptr);
  EXPECT_NE(find_command("APPEND"), nullptr);
  EXPECT_NE(find_command("UNSUBSCRIBE"), nullptr);
  EXPECT_NE(find_command("SORT"), nullptr);
  EXPECT_EQ(find_command("UID LOGIN"), nullptr);
  EXPECT_EQ(find_command("XYZZY"), nullptr);
}

}  // namespace
}  // namespace taube::imap::server
