// FETCH BODY[section]<partial> and BINARY[section] (RFC 9051 6.4.5, RFC 3516).
#include "mime/section.hpp"

#include <gtest/gtest.h>

#include "mime/test_messages.hpp"

namespace taube::mime {
namespace {

class SectionTest : public ::testing::Test {
 protected:
  std::optional<std::string> body(std::string_view spec) {
    std::optional<Section> s = parse_section(spec);
    EXPECT_TRUE(s.has_value()) << spec;
    if (!s) return std::nullopt;
    auto c = extract_section(part_, raw_, *s);
    if (!c) return std::nullopt;
    return std::string(c->bytes());
  }
  std::string raw_ = testing::nested_message();
  Part part_ = parse(raw_);
};

TEST_F(SectionTest, ParsesSectionSpecs) {
  EXPECT_EQ(parse_section(""), Section{});
  EXPECT_EQ(parse_section("1.2.3"), (Section{{1, 2, 3}, Section::Text::kNone, {}}));
  EXPECT_EQ(parse_section("4.mime"), (Section{{4}, Section::Text::kMime, {}}));
  EXPECT_EQ(parse_section("HEADER.FIELDS (From \"To\")"),
            (Section{{}, Section::Text::kHeaderFields, {"From", "To"}}));
  EXPECT_EQ(parse_section("2.header.fields.not (X)"),
            (Section{{2}, Section::Text::kHeaderFieldsNot, {"X"}}));
  for (const char* bad : {"0", "1.", "1..2", "MIME", "HEADER.FIELDS", "HEADER.FIELDS ()",
                          "HEADER.FIELDS (A", "TEXT2", "1.2x", "99999999999"})
    EXPECT_FALSE(parse_section(bad)) << bad;
}

TEST_F(SectionTest, ExtractsTopLevelSections) {
  EXPECT_EQ(body(""), raw_);
  std::string header = raw_.substr(0, raw_.find("\r\n\r\n") + 4);
  EXPECT_EQ(body("HEADER"), header);
  EXPECT_EQ(body("TEXT"), raw_.substr(header.size()));
  EXPECT_EQ(
      body("HEADER.FIELDS (SUBJECT from)"),
      "From: \"Doe, John\" <john@example.com>\r\nSubject: =?utf-8?Q?Gr=C3=BC=C3=9Fe?=\r\n\r\n");
  EXPECT_EQ(body("HEADER.FIELDS.NOT (Content-Type MIME-Version From Subject Date)"),
            "To: jane@example.org\r\nMessage-ID: <m1@example.com>\r\n\r\n");
  EXPECT_EQ(body("HEADER.FIELDS (X-Absent)"), "\r\n");
}

TEST_F(SectionTest, ExtractsPartsAndTheirMimeHeaders) {
  EXPECT_EQ(body("1"), "Hello w=C3=B6rld\r\nsecond line");
  EXPECT_EQ(body("1.MIME"),
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: "
            "quoted-printable\r\n\r\n");
  EXPECT_EQ(body("2"), "JVBERi0xLjQK");
  EXPECT_EQ(body("3.1"), "plain");
  EXPECT_EQ(body("3.1.MIME"), "\r\n");
  EXPECT_EQ(body("3.2"), "<p>html &amp; more</p>");
  EXPECT_EQ(body("3.2.MIME"), "Content-Type: text/html\r\n\r\n");
  EXPECT_EQ(body("3.MIME"), "Content-Type: message/rfc822\r\n\r\n");
}

TEST_F(SectionTest, ResolvesHeaderAndTextInsideMessageRfc822) {
  EXPECT_EQ(body("3.HEADER"),
            "From: Bob <bob@example.net>\r\nSubject: inner\r\nContent-Type: multipart/alternative; "
            "boundary=YY\r\n\r\n");
  EXPECT_EQ(body("3.HEADER.FIELDS (subject)"), "Subject: inner\r\n\r\n");
  std::string text = *body("3.TEXT");
  EXPECT_TRUE(text.starts_with("--YY\r\n\r\nplain\r\n"));
  EXPECT_TRUE(text.ends_with("</p>\r\n--YY--"));
  EXPECT_EQ(*body("3"), *body("3.HEADER") + text);
}

TEST_F(SectionTest, ReturnsNothingForSectionsThatDoNotExist) {
  for (const char* spec : {"4", "1.1", "1.HEADER", "2.TEXT", "3.3", "3.1.1", "3.2.HEADER"})
    EXPECT_FALSE(body(spec).has_value()) << spec;
}

TEST(Section, NumbersTheBodyOfASinglePartMessageAsPartOne) {
  std::string raw = "Subject: s\nContent-Type: text/plain\n\nbody\n";
  Part p = parse(raw);
  auto one = extract_section(p, raw, *parse_section("1"));
  ASSERT_TRUE(one);
  EXPECT_EQ(one->bytes(), "body\n");
  auto mime = extract_section(p, raw, *parse_section("1.MIME"));
  ASSERT_TRUE(mime);
  EXPECT_EQ(mime->bytes(), "Subject: s\nContent-Type: text/plain\n\n");
  EXPECT_FALSE(extract_section(p, raw, *parse_section("2")));
  EXPECT_FALSE(extract_section(p, raw, *parse_section("1.1")));
}

// RFC 9051 6.4.5 on a message whose own body is message/rfc822 (as cpython
// msg_11): part 1 is the encapsulated message, 1.1 its body.
TEST(Section, NumbersThroughATopLevelMessageRfc822) {
  std::string raw =
      "Content-Type: message/rfc822\nSubject: outer\n\nSubject: inner\n\nthe body\n";
  Part p = parse(raw);
  auto get = [&](std::string_view spec) -> std::optional<std::string> {
    auto c = extract_section(p, raw, *parse_section(spec));
    if (!c) return std::nullopt;
    return std::string(c->bytes());
  };
  EXPECT_EQ(get("1"), "Subject: inner\n\nthe body\n");
  EXPECT_EQ(get("1.HEADER"), "Subject: inner\n\n");
  EXPECT_EQ(get("1.TEXT"), "the body\n");
  EXPECT_EQ(get("1.1"), "the body\n");
  EXPECT_EQ(get("1.1.MIME"), "Subject: inner\n\n");
  EXPECT_EQ(get("HEADER"), "Content-Type: message/rfc822\nSubject: outer\n\n");
  EXPECT_FALSE(get("1.2"));
  EXPECT_FALSE(get("1.1.1"));
}

TEST(Section, AppliesPartialRanges) {
  EXPECT_EQ(apply_partial("Hello world", 0, 5), "Hello");
  EXPECT_EQ(apply_partial("Hello world", 6, 100), "world");
  EXPECT_EQ(apply_partial("Hello world", 11, 1), "");
  EXPECT_EQ(apply_partial("Hello world", 100, 1), "");
  EXPECT_EQ(apply_partial("Hello world", 3, std::nullopt), "lo world");
  EXPECT_EQ(apply_partial("Hello world", 0, 0), "");
}

TEST_F(SectionTest, DecodesBinarySections) {
  std::vector<std::uint32_t> path{1};
  BinaryContent b = extract_binary(part_, raw_, path);
  EXPECT_EQ(b.status, BinaryContent::Status::kOk);
  EXPECT_EQ(b.data, "Hello w\xC3\xB6rld\r\nsecond line");
  path = {2};
  b = extract_binary(part_, raw_, path);
  EXPECT_EQ(b.data, "%PDF-1.4\n");
  path = {3, 2};
  EXPECT_EQ(extract_binary(part_, raw_, path).data, "<p>html &amp; more</p>");
  path = {9};
  EXPECT_EQ(extract_binary(part_, raw_, path).status, BinaryContent::Status::kNotFound);
  std::string odd = "Content-Transfer-Encoding: x-uuencode\n\nbegin 644 a\n";
  Part p = parse(odd);
  path = {1};
  EXPECT_EQ(extract_binary(p, odd, path).status, BinaryContent::Status::kUnknownEncoding);
}

}  // namespace
}  // namespace taube::mime
