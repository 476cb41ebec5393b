// ENVELOPE, BODYSTRUCTURE and BODY rendering on hand-written messages, checked
// against the RFC 9051 section 9 grammar by hand.
#include <gtest/gtest.h>

#include "mime/imap_bodystructure.hpp"
#include "mime/imap_envelope.hpp"
#include "mime/imap_string.hpp"
#include "mime/test_messages.hpp"

namespace taube::mime {
namespace {

std::string imap_str(std::string_view s) {
  std::string out;
  append_imap_string(out, s);
  return out;
}

TEST(ImapString, QuotesPlainTextAndEscapesQuotedSpecials) {
  EXPECT_EQ(imap_str("hello"), "\"hello\"");
  EXPECT_EQ(imap_str(""), "\"\"");
  EXPECT_EQ(imap_str("say \"hi\" \\o/"), "\"say \\\"hi\\\" \\\\o/\"");
}

TEST(ImapString, UsesLiteralsForLineBreaksAnd8BitBytes) {
  EXPECT_EQ(imap_str("a\r\nb"), "{4}\r\na\r\nb");
  EXPECT_EQ(imap_str("caf\xC3\xA9"), "{5}\r\ncaf\xC3\xA9");
  EXPECT_EQ(imap_str(std::string("a\0b", 3)), "\"ab\"");
  std::string out;
  append_imap_nstring(out, std::nullopt);
  EXPECT_EQ(out, "NIL");
}

TEST(BodyStructure, RendersNestedMessageWithExtensionData) {
  std::string raw = testing::nested_message();
  Part p = parse(raw);
  const char* inner_env =
      "(NIL \"inner\" ((\"Bob\" NIL \"bob\" \"example.net\")) ((\"Bob\" NIL \"bob\" "
      "\"example.net\")) ((\"Bob\" NIL \"bob\" \"example.net\")) NIL NIL NIL NIL NIL)";
  EXPECT_EQ(
      render_body_structure(p, raw, BodyForm::kBodyStructure),
      std::string("((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 29 2 "
                  "NIL NIL NIL NIL)"
                  "(\"application\" \"pdf\" (\"name*\" \"UTF-8''R%C3%A9sum%C3%A9.pdf\") NIL NIL "
                  "\"base64\" 12 NIL (\"attachment\" (\"filename*\" "
                  "\"UTF-8''R%C3%A9sum%C3%A9.pdf\")) (\"en\" \"de\") NIL)"
                  "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 175 ") +
          inner_env +
          " ((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 1 NIL NIL NIL NIL)"
          "(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 22 1 NIL NIL NIL NIL) "
          "\"alternative\" (\"boundary\" \"YY\") NIL NIL NIL) 12 NIL NIL NIL NIL) "
          "\"mixed\" (\"boundary\" \"XX\") NIL NIL NIL)");
  EXPECT_EQ(
      render_body_structure(p, raw, BodyForm::kBody),
      std::string("((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 29 2)"
                  "(\"application\" \"pdf\" (\"name*\" \"UTF-8''R%C3%A9sum%C3%A9.pdf\") NIL NIL "
                  "\"base64\" 12)"
                  "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 175 ") +
          inner_env +
          " ((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 1)"
          "(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 22 1) "
          "\"alternative\") 12) \"mixed\")");
}

TEST(Envelope, RendersQuotedNamesAndMissingFieldsAsNil) {
  std::string raw = testing::nested_message();
  Part p = parse(raw);
  EXPECT_EQ(render_envelope(p, raw),
            "(\"Tue, 2 Jan 2024 10:00:00 +0100\" \"=?utf-8?Q?Gr=C3=BC=C3=9Fe?=\" "
            "((\"Doe, John\" NIL \"john\" \"example.com\")) ((\"Doe, John\" NIL \"john\" "
            "\"example.com\")) ((\"Doe, John\" NIL \"john\" \"example.com\")) ((NIL NIL \"jane\" "
            "\"example.org\")) NIL NIL NIL \"<m1@example.com>\")");
}

TEST(Envelope, Renders8BitHeadersAsUtf8LiteralsAndFillsMissingParts) {
  std::string raw =
      "Subject: Gr\xFC\xDF"
      "e aus K\xF6ln\n"
      "From: J\xC3\xBCrgen <j@example.de>, nobody, <>\n"
      "Sender: \n"
      "Reply-To: \"a\\\\b\" <r@x>\n"
      "In-Reply-To: <a@b>\n"
      "\n"
      "body\n";
  Part p = parse(raw);
  EXPECT_EQ(
      render_envelope(p, raw),
      "(NIL {17}\r\nGr\xC3\xBC\xC3\x9F"
      "e aus K\xC3\xB6ln "
      "(({7}\r\nJ\xC3\xBCrgen NIL \"j\" \"example.de\")(NIL NIL \"nobody\" \"MISSING_DOMAIN\")"
      "(NIL NIL \"\" \"\")) "
      "(({7}\r\nJ\xC3\xBCrgen NIL \"j\" \"example.de\")(NIL NIL \"nobody\" \"MISSING_DOMAIN\")"
      "(NIL NIL \"\" \"\")) "
      "((\"a\\\\b\" NIL \"r\" \"x\")) NIL NIL NIL \"<a@b>\" NIL)");
}

TEST(BodyStructure, DefaultsMissingContentTypeAndReportsEmptyMultipart) {
  std::string raw = "Subject: x\n\nline one\nline two";
  Part p = parse(raw);
  EXPECT_EQ(
      render_body_structure(p, raw, BodyForm::kBodyStructure),
      "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 17 2 NIL NIL NIL NIL)");
  // A boundary that never occurs: no body part, reported as one empty text part.
  raw = "Content-Type: multipart/mixed; boundary=zz\n\nno parts here\n";
  p = parse(raw);
  EXPECT_EQ(render_body_structure(p, raw, BodyForm::kBody),
            "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0) \"mixed\")");
}

TEST(BodyStructure, ReportsIdDescriptionMd5LocationAndInlineDisposition) {
  std::string raw =
      "Content-Type: image/png; name=\"a b.png\"\r\n"
      "Content-ID: <img1@x>\r\n"
      "Content-Description: A \"quoted\" picture\r\n"
      "Content-Transfer-Encoding: BASE64\r\n"
      "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\r\n"
      "Content-Disposition: inline\r\n"
      "Content-Language: fr\r\n"
      "Content-Location: http://example.com/a.png\r\n"
      "\r\n"
      "iVBORw0KGgo=\r\n";
  Part p = parse(raw);
  EXPECT_EQ(render_body_structure(p, raw, BodyForm::kBodyStructure),
            "(\"image\" \"png\" (\"name\" \"a b.png\") \"<img1@x>\" \"A \\\"quoted\\\" picture\" "
            "\"BASE64\" 14 \"Q2hlY2sgSW50ZWdyaXR5IQ==\" (\"inline\" NIL) (\"fr\") "
            "\"http://example.com/a.png\")");
}

TEST(BodyStructure, TreatsEncodedMessageRfc822AsOpaque) {
  std::string raw =
      "Content-Type: message/rfc822\n"
      "Content-Transfer-Encoding: base64\n"
      "\n"
      "U3ViamVjdDogeAoKeQo=\n";
  Part p = parse(raw);
  EXPECT_EQ(p.kind, Part::Kind::kLeaf);
  EXPECT_EQ(render_body_structure(p, raw, BodyForm::kBody),
            "(\"message\" \"rfc822\" NIL NIL NIL \"base64\" 21)");
}

TEST(BodyStructure, DigestPartsDefaultToMessageRfc822) {
  std::string raw =
      "Content-Type: multipart/digest; boundary=d\n"
      "\n"
      "--d\n"
      "\n"
      "Subject: one\n"
      "\n"
      "first\n"
      "--d--\n";
  Part p = parse(raw);
  EXPECT_EQ(
      render_body_structure(p, raw, BodyForm::kBody),
      "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 19 (NIL \"one\" NIL NIL NIL NIL NIL NIL NIL "
      "NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 1) 3) \"digest\")");
}

}  // namespace
}  // namespace taube::mime
