// Tree building on hand-written and hostile messages: line endings, 8-bit
// headers, broken multiparts, and the Limits bounds (depth, part count, fields).
#include <gtest/gtest.h>

#include <chrono>

#include "mime/imap_bodystructure.hpp"
#include "mime/imap_envelope.hpp"
#include "mime/section.hpp"
#include "mime/summary.hpp"
#include "mime/test_messages.hpp"

namespace taube::mime {
namespace {

std::size_t count_parts(const Part& p) {
  std::size_t n = 0;
  for_each_part(p, [&](const Part&) { ++n; });
  return n;
}

std::size_t depth_of(const Part& p) {
  std::size_t d = 0;
  for (const Part& c : p.children) d = std::max(d, depth_of(c));
  return d + 1;
}

std::string to_lf(std::string s) {
  std::string out;
  for (char c : s)
    if (c != '\r') out += c;
  return out;
}

TEST(Parser, BareLfAndCrlfMessagesHaveTheSameShape) {
  std::string crlf = testing::nested_message();
  std::string lf = to_lf(crlf);
  Part a = parse(crlf);
  Part b = parse(lf);
  ASSERT_EQ(a.children.size(), 3u);
  ASSERT_EQ(b.children.size(), 3u);
  EXPECT_EQ(b.children[0].body(lf), "Hello w=C3=B6rld\nsecond line");
  EXPECT_EQ(b.children[0].body_lines, 2u);
  EXPECT_EQ(b.children[2].children.front().children.size(), 2u);
  EXPECT_EQ(b.children[2].body_lines, a.children[2].body_lines);
  std::string bs = render_body_structure(b, lf, BodyForm::kBody);
  EXPECT_NE(bs.find("\"quoted-printable\" 28 2)"), std::string::npos) << bs;
}

TEST(Parser, Records8BitHeadersAndSkipsJunkLines) {
  std::string raw =
      "From sender@example.com Mon Jan  1 00:00:00 2001\n"
      "Subject: K\xF6ln\n"
      "this line has no colon\n"
      "X-Folded: a\n"
      "\tb\n"
      "\n"
      "body";
  Part p = parse(raw);
  ASSERT_EQ(p.header.fields.size(), 2u);
  EXPECT_EQ(p.header.fields[0].name(raw), "Subject");
  EXPECT_EQ(p.header.fields[1].raw_value(raw), " a\n\tb\n");
  EXPECT_EQ(field_value(raw, p.header.fields, "x-folded"), "a\tb");
  EXPECT_EQ(p.body(raw), "body");
  Summary s = summarize(p, raw);
  EXPECT_EQ(s.subject, "K\xC3\xB6ln");
}

TEST(Parser, UnterminatedMultipartRunsToTheEnd) {
  std::string raw =
      "Content-Type: multipart/mixed; boundary=b\n\n"
      "--b\n\nfirst\n"
      "--b\nContent-Type: text/html\n\nsecond, never closed\nmore";
  Part p = parse(raw);
  ASSERT_EQ(p.kind, Part::Kind::kMultipart);
  ASSERT_EQ(p.children.size(), 2u);
  EXPECT_EQ(p.children[0].body(raw), "first");
  EXPECT_EQ(p.children[1].body(raw), "second, never closed\nmore");
  EXPECT_EQ(p.children[1].body_lines, 2u);
  EXPECT_TRUE(p.children[1].content_type.is("text", "html"));
}

TEST(Parser, InnerPartsEndAtTheOuterBoundaryWhenTheirOwnCloseIsMissing) {
  std::string raw =
      "Content-Type: multipart/mixed; boundary=outer\n\n"
      "--outer\nContent-Type: multipart/alternative; boundary=outer-inner\n\n"
      "--outer-inner\n\ninner one\n"
      "--outer\n\nsecond outer\n"
      "--outer--\n";
  Part p = parse(raw);
  ASSERT_EQ(p.children.size(), 2u);
  ASSERT_EQ(p.children[0].children.size(), 1u);
  EXPECT_EQ(p.children[0].children[0].body(raw), "inner one");
  EXPECT_EQ(p.children[1].body(raw), "second outer");
}

TEST(Parser, MultipartWithoutBoundaryIsReadAsText) {
  std::string raw = "Content-Type: multipart/mixed\n\n--x\n\nhello\n--x--\n";
  Part p = parse(raw);
  EXPECT_EQ(p.kind, Part::Kind::kLeaf);
  EXPECT_TRUE(p.content_type.is("text", "plain"));
}

TEST(Parser, IgnoresBoundaryLookalikesWithTrailingText) {
  std::string raw =
      "Content-Type: multipart/mixed; boundary=b\n\n"
      "--b\n\none\n--bx not a delimiter\n--b  \n\ntwo\n--b--  \nepilogue\n--b\n";
  Part p = parse(raw);
  ASSERT_EQ(p.children.size(), 2u);
  EXPECT_EQ(p.children[0].body(raw), "one\n--bx not a delimiter");
  EXPECT_EQ(p.children[1].body(raw), "two");
}

std::string nested(std::size_t levels) {
  std::string raw;
  for (std::size_t i = 0; i < levels; ++i)
    raw += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\n\n--b" +
           std::to_string(i) + "\n";
  raw += "Content-Type: text/plain\n\ndeep\n";
  for (std::size_t i = levels; i-- > 0;) raw += "--b" + std::to_string(i) + "--\n";
  return raw;
}

TEST(Limits, NestingBeyondTheLimitBecomesOpaque) {
  std::string raw = nested(200);
  Limits limits;
  limits.max_depth = 32;
  Part p = parse(raw, limits);
  EXPECT_EQ(depth_of(p), 33u);
  const Part* deepest = &p;
  while (!deepest->children.empty()) deepest = &deepest->children.front();
  EXPECT_TRUE(deepest->opaque);
  EXPECT_TRUE(deepest->content_type.is("application", "octet-stream"));
  std::string bs = render_body_structure(p, raw, BodyForm::kBodyStructure);
  EXPECT_TRUE(testing::is_balanced_imap_list(bs));
  // Within the limit the whole tree is there.
  Part shallow = parse(nested(10), limits);
  EXPECT_EQ(depth_of(shallow), 11u);
}

TEST(Limits, NestedMessageRfc822IsBoundedToo) {
  std::string raw;
  for (int i = 0; i < 100; ++i) raw += "Content-Type: message/rfc822\n\n";
  raw += "Subject: bottom\n\nx\n";
  Part p = parse(raw);
  EXPECT_EQ(depth_of(p), 33u);
  EXPECT_TRUE(testing::is_balanced_imap_list(render_body_structure(p, raw, BodyForm::kBody)));
}

TEST(Limits, PartBombIsCutAtMaxPartsQuickly) {
  std::string raw = "Content-Type: multipart/mixed; boundary=z\n\n";
  for (int i = 0; i < 12000; ++i) raw += "--z\n\nx\n";
  raw += "--z--\n";
  auto start = std::chrono::steady_clock::now();
  Part p = parse(raw);
  std::string bs = render_body_structure(p, raw, BodyForm::kBodyStructure);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(count_parts(p), 10000u);
  EXPECT_EQ(p.children.size(), 9999u);
  EXPECT_TRUE(p.opaque);
  EXPECT_TRUE(testing::is_balanced_imap_list(bs));
  EXPECT_LT(elapsed, std::chrono::seconds(5));
  Limits small;
  small.max_parts = 10;
  EXPECT_EQ(count_parts(parse(raw, small)), 10u);
}

TEST(Limits, HeaderFieldsBeyondTheLimitAreNotInterpreted) {
  std::string raw;
  for (int i = 0; i < 50; ++i) raw += "X-" + std::to_string(i) + ": v\n";
  raw += "Content-Type: text/html\n\nbody\n";
  Limits limits;
  limits.max_header_fields = 50;
  Part p = parse(raw, limits);
  EXPECT_EQ(p.header.fields.size(), 50u);
  EXPECT_TRUE(p.content_type_defaulted);
  EXPECT_EQ(p.body(raw), "body\n");
  limits.max_header_fields = 51;
  EXPECT_TRUE(parse(raw, limits).content_type.is("text", "html"));
}

TEST(Limits, HeaderFieldsAreBudgetedOverTheWholeMessage) {
  std::string raw = "Content-Type: multipart/mixed; boundary=z\n\n";
  for (int i = 0; i < 10; ++i) raw += "--z\nA: 1\nB: 2\nContent-Type: text/html\n\nx\n";
  raw += "--z--\n";
  Limits limits;
  limits.max_total_header_fields = 1 + 3 * 4;  // the root's field and four parts
  Part p = parse(raw, limits);
  ASSERT_EQ(p.children.size(), 10u);
  std::size_t fields = 0;
  for_each_part(p, [&](const Part& part) { fields += part.header.fields.size(); });
  EXPECT_EQ(fields, 13u);
  EXPECT_TRUE(p.children[3].content_type.is("text", "html"));
  EXPECT_TRUE(p.children[4].content_type.is("text", "plain"));
  EXPECT_TRUE(p.children[4].header.fields.empty());
  EXPECT_EQ(p.children[4].body(raw), "x");
}

TEST(Limits, QuadraticLookingInputStaysFast) {
  std::string many_words(200000, 'x');
  for (std::size_t i = 0; i < many_words.size(); i += 7) many_words.replace(i, 2, "=?");
  std::string raw = "Subject: " + std::string(100000, '[') + "Re: " + std::string(50000, ']') +
                    "\nFrom: " + std::string(100000, '<') + "\nTo: " + many_words + "\n\n" +
                    std::string(100000, '-');
  auto start = std::chrono::steady_clock::now();
  Part p = parse(raw);
  std::string env = render_envelope(p, raw);
  Summary s = summarize(p, raw);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(testing::is_balanced_imap_list(env));
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

// Every prefix of a message (a delivery cut at any byte) parses, renders valid
// IMAP lists and yields sections inside the input.
TEST(Parser, EveryPrefixOfAMessageIsHandled) {
  std::string raw = testing::nested_message();
  for (std::size_t n = 0; n <= raw.size(); ++n) {
    std::string_view prefix(raw.data(), n);
    Part p = parse(prefix);
    ASSERT_TRUE(testing::is_balanced_imap_list(render_envelope(p, prefix))) << n;
    ASSERT_TRUE(
        testing::is_balanced_imap_list(render_body_structure(p, prefix, BodyForm::kBodyStructure)))
        << n;
    for_each_part(p, [&](const Part& part) {
      ASSERT_LE(part.header.begin, part.header.end);
      ASSERT_LE(part.body_begin, part.body_end);
      ASSERT_LE(part.body_end, n);
    });
  }
}

}  // namespace
}  // namespace taube::mime
