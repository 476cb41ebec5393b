// Summary fields for the store's index, and the HTML-to-text used for search.
#include "mime/summary.hpp"

#include <gtest/gtest.h>

#include "mime/test_messages.hpp"

namespace taube::mime {
namespace {

TEST(Summary, CollectsDecodedFieldsPreviewAndSearchText) {
  std::string raw = testing::nested_message();
  Part p = parse(raw);
  Summary s = summarize(p, raw);
  EXPECT_EQ(s.subject,
            "Gr\xC3\xBC\xC3\x9F"
            "e");
  EXPECT_EQ(s.from, "Doe, John <john@example.com>");
  EXPECT_EQ(s.to, "jane@example.org");
  EXPECT_EQ(s.cc, "");
  EXPECT_EQ(s.reply_to, "");
  ASSERT_TRUE(s.date);
  EXPECT_EQ(s.date->unix_seconds, 1704186000);  // 2024-01-02T09:00:00Z
  EXPECT_EQ(s.date->tz_offset_minutes, 60);
  EXPECT_EQ(s.message_id, "<m1@example.com>");
  EXPECT_EQ(s.in_reply_to, "");
  EXPECT_EQ(s.header, raw.substr(0, raw.find("\r\n\r\n") + 4));
  EXPECT_EQ(s.preview, "Hello w\xC3\xB6rld second line");
  for (const char* needle : {"Gr\xC3\xBC\xC3\x9F"
                             "e",
                             "jane@example.org", "w\xC3\xB6rld", "R\xC3\xA9sum\xC3\xA9.pdf",
                             "inner", "Bob <bob@example.net>", "plain", "html & more"})
    EXPECT_NE(s.search_text.find(needle), std::string::npos) << needle;
  EXPECT_EQ(s.search_text.find("<p>"), std::string::npos);
  EXPECT_EQ(s.search_text.find("JVBER"), std::string::npos);
}

TEST(Summary, PreviewIsCutAtACharacterBoundary) {
  std::string raw = "Content-Type: text/plain; charset=iso-8859-1\n\n";
  for (int i = 0; i < 300; ++i) raw += "\xE9 \n";
  Summary s = summarize(parse(raw), raw);
  std::string expected;
  for (int i = 0; i < 100; ++i) expected += "\xC3\xA9 ";
  expected.pop_back();
  EXPECT_EQ(s.preview, expected);
  SummaryLimits limits;
  limits.max_search_text_bytes = 10;
  EXPECT_EQ(summarize(parse(raw), raw, limits).search_text.size(), 10u);
}

TEST(Summary, HtmlToTextDropsTagsScriptsAndResolvesEntities) {
  EXPECT_EQ(html_to_text("<p>a &amp; b&lt;c&gt; &quot;d&quot; &#233;&#xE9;&nbsp;x</p>"),
            " a & b<c> \"d\" \xC3\xA9\xC3\xA9 x ");
  EXPECT_EQ(html_to_text("<SCRIPT>var x = '<p>';</script>y<style>p{}</STYLE>z<!-- c -->w"),
            " y z w");
  EXPECT_EQ(html_to_text("&unknown; & &#xZZ;"), "&unknown; & &#xZZ;");
  EXPECT_EQ(html_to_text("text <unclosed"), "text ");
}

TEST(Summary, DecodesCharsetsOfTextParts) {
  std::string raw =
      "Content-Type: text/plain; charset=koi8-r\nContent-Transfer-Encoding: base64\n\n8NLJ18XU\n";
  Part p = parse(raw);
  EXPECT_EQ(part_text(p, raw), "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82");
  raw = "Content-Type: text/plain; charset=x-no-such-charset\n\ncaf\xE9\n";
  p = parse(raw);
  EXPECT_EQ(part_text(p, raw), "caf\xC3\xA9\n");
}

}  // namespace
}  // namespace taube::mime
