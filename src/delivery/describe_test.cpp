#include "delivery/describe.hpp"

#include <gtest/gtest.h>

namespace taube::delivery {
namespace {

TEST(Describe, FillsEveryIndexFieldFromOneParse) {
  const std::string raw =
      "From: =?ISO-8859-1?Q?J=F6rg?= <joerg@example.org>\r\n"
      "To: alice@example.org\r\n"
      "Subject: Quarterly report\r\n"
      "Date: Tue, 1 Jul 2003 10:52:37 +0200\r\n"
      "Message-ID: <r1@example.org>\r\n"
      "In-Reply-To: <r0@example.org>\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n"
      "\r\n"
      "Gr\xC3\xBC\xC3\x9F""e aus dem Rathaus\r\n";
  auto meta = describe(raw);
  EXPECT_EQ(meta.subject, "Quarterly report");
  EXPECT_NE(meta.from.find("J\xC3\xB6rg"), std::string::npos) << meta.from;
  EXPECT_EQ(meta.message_id, "<r1@example.org>");
  EXPECT_EQ(meta.in_reply_to, "<r0@example.org>");
  ASSERT_TRUE(meta.sent_date);
  EXPECT_EQ(meta.sent_date->time_since_epoch().count(), 1057049557);  // 08:52:37 UTC
  EXPECT_EQ(meta.envelope.rfind("(\"Tue, 1 Jul 2003 10:52:37 +0200\" \"Quarterly report\"", 0), 0u)
      << meta.envelope;
  EXPECT_EQ(meta.body_structure.rfind("(\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 25 1 NIL", 0), 0u)
      << meta.body_structure;
  EXPECT_EQ(meta.body.rfind("(\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 25 1)", 0), 0u);
  EXPECT_NE(meta.search_text.find("Gr\xC3\xBC\xC3\x9F""e aus dem Rathaus"), std::string::npos);
  EXPECT_EQ(meta.preview, "Gr\xC3\xBC\xC3\x9F""e aus dem Rathaus");
  EXPECT_EQ(meta.headers.rfind("From: ", 0), 0u);
}

TEST(Describe, MessageWithoutHeadersStillDescribes) {
  auto meta = describe("just a body line\r\n");
  EXPECT_TRUE(meta.subject.empty());
  EXPECT_FALSE(meta.sent_date);
  EXPECT_FALSE(meta.envelope.empty());
  EXPECT_FALSE(meta.body_structure.empty());
}

}  // namespace
}  // namespace taube::delivery
