// Table cases taken from the RFCs' own examples: RFC 2047 section 8, RFC 2231,
// RFC 5322 Appendix A, RFC 2045 encodings, RFC 5256 base subject, RFC 5322 dates.
#include <gtest/gtest.h>

#include "mime/address.hpp"
#include "mime/content_type.hpp"
#include "mime/date.hpp"
#include "mime/decode.hpp"
#include "mime/encoded_word.hpp"
#include "mime/imap_envelope.hpp"
#include "mime/subject.hpp"

namespace taube::mime {
namespace {

struct WordCase {
  const char* encoded;
  const char* decoded;
};

// RFC 2047 section 8, the "displayed as" column (comments shown with parentheses).
TEST(EncodedWord, DecodesRfc2047Section8Examples) {
  const WordCase cases[] = {
      {"(=?ISO-8859-1?Q?a?=)", "(a)"},
      {"(=?ISO-8859-1?Q?a?= b)", "(a b)"},
      {"(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)"},
      {"(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)", "(ab)"},
      {"(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)", "(ab)"},
      {"(=?ISO-8859-1?Q?a_b?=)", "(a b)"},
      {"(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a b)"},
      {"=?US-ASCII?Q?Keith_Moore?=", "Keith Moore"},
      {"=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?=", "Keld J\xC3\xB8rn Simonsen"},
      {"=?ISO-8859-1?Q?Andr=E9?= Pirard", "Andr\xC3\xA9 Pirard"},
      {"=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\r\n    "
       "=?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=",
       "If you can read this you understand the example."},
      {"=?ISO-8859-1?Q?Olle_J=E4rnefors?=", "Olle J\xC3\xA4rnefors"},
      {"=?ISO-8859-1?Q?Patrik_F=E4ltstr=F6m?=", "Patrik F\xC3\xA4ltstr\xC3\xB6m"},
  };
  for (const WordCase& c : cases)
    EXPECT_EQ(decode_encoded_words(c.encoded), c.decoded) << c.encoded;
}

TEST(EncodedWord, DecodesOtherCharsetsAndJoinsSplitMultibyteCharacters) {
  // "Grüße" in UTF-8, split inside the two bytes of "ü" across two B words.
  EXPECT_EQ(decode_encoded_words("=?UTF-8?B?R3LD?= =?UTF-8?B?vMOfZQ==?="),
            "Gr\xC3\xBC\xC3\x9F"
            "e");
  EXPECT_EQ(decode_encoded_words("=?koi8-r?B?8NLJ18XU?="),
            "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82");
  EXPECT_EQ(decode_encoded_words("=?iso-2022-jp?B?GyRCJUYlOSVIGyhC?="),
            "\xE3\x83\x86\xE3\x82\xB9\xE3\x83\x88");
  EXPECT_EQ(decode_encoded_words("=?windows-1252?Q?=80uro?="),
            "\xE2\x82\xAC"
            "uro");
  // RFC 2231 section 5 language suffix.
  EXPECT_EQ(decode_encoded_words("=?US-ASCII*EN?Q?Keith_Moore?="), "Keith Moore");
}

TEST(EncodedWord, LeavesMalformedWordsAsTheyAre) {
  EXPECT_EQ(decode_encoded_words("=?utf-8?X?abc?="), "=?utf-8?X?abc?=");
  EXPECT_EQ(decode_encoded_words("=?utf-8?Q?abc"), "=?utf-8?Q?abc");
  EXPECT_EQ(decode_encoded_words("=??Q?abc?="), "=??Q?abc?=");
  EXPECT_EQ(decode_encoded_words("a =?utf-8?Q?x y?= b"), "a =?utf-8?Q?x y?= b");
  // Text between words that is not only whitespace is kept.
  EXPECT_EQ(decode_encoded_words("=?utf-8?Q?a?= - =?utf-8?Q?b?="), "a - b");
  // Unknown charset: bytes kept when valid UTF-8, else read as Latin-1.
  EXPECT_EQ(decode_encoded_words("=?x-unknown?Q?=E9t=C3=A9?="), "\xC3\xA9t\xC3\x83\xC2\xA9");
  EXPECT_EQ(decode_encoded_words("=?x-unknown?Q?=C3=A9?="), "\xC3\xA9");
}

TEST(EncodedWord, ReadsRaw8BitTextAsUtf8OrLatin1) {
  EXPECT_EQ(decode_encoded_words("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(decode_encoded_words("caf\xE9"), "caf\xC3\xA9");
}

// RFC 2231 sections 3 and 4.
TEST(Params, MergesRfc2231ContinuationsAndKeepsExtendedValuesEncoded) {
  ContentType ct = parse_content_type(
      "message/external-body; access-type=URL;\r\n URL*0=\"ftp://\";\r\n"
      " URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"");
  ASSERT_TRUE(ct.valid);
  ASSERT_EQ(ct.params.size(), 2u);
  EXPECT_EQ(ct.params[0].name, "access-type");
  EXPECT_EQ(ct.params[0].value, "URL");
  EXPECT_EQ(ct.params[1].name, "url");
  EXPECT_EQ(ct.params[1].value, "ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar");

  ct = parse_content_type(
      "application/x-stuff;\r\n title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A");
  ASSERT_EQ(ct.params.size(), 1u);
  EXPECT_EQ(ct.params[0].name, "title*");
  EXPECT_EQ(ct.params[0].value, "us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A");
  EXPECT_EQ(decoded_param(ct.params, "title"), "This is ***fun***");

  ct = parse_content_type(
      "application/x-stuff;\r\n title*0*=us-ascii'en'This%20is%20even%20more%20;\r\n"
      " title*1*=%2A%2A%2Afun%2A%2A%2A%20;\r\n title*2=\"isn't it!\"");
  ASSERT_EQ(ct.params.size(), 1u);
  EXPECT_EQ(ct.params[0].name, "title*");
  EXPECT_EQ(decoded_param(ct.params, "title"), "This is even more ***fun*** isn't it!");
}

TEST(Params, DecodesUtf8FilenamesAndOutOfOrderSections) {
  ContentDisposition cd = parse_content_disposition(
      "attachment; filename*1*=%20%E2%82%AC.pdf; filename*0*=UTF-8''Rechnung");
  EXPECT_EQ(cd.type, "attachment");
  EXPECT_EQ(decoded_param(cd.params, "filename"), "Rechnung \xE2\x82\xAC.pdf");
  cd = parse_content_disposition("inline; filename=\"=?utf-8?B?w6TDtsO8LnR4dA==?=\"");
  EXPECT_EQ(decoded_param(cd.params, "filename"), "\xC3\xA4\xC3\xB6\xC3\xBC.txt");
}

TEST(ContentType, ToleratesCommentsQuotesAndJunk) {
  ContentType ct = parse_content_type("text/plain; charset=us-ascii (Plain text)");
  ASSERT_TRUE(ct.valid);
  EXPECT_EQ(ct.type, "text");
  EXPECT_EQ(ct.subtype, "plain");
  ASSERT_EQ(ct.params.size(), 1u);
  EXPECT_EQ(ct.params[0].value, "us-ascii");
  ct = parse_content_type("Text/HTML ; Charset=\"UTF-8\" ;; boundary=\"a;b\\\"c\"");
  ASSERT_TRUE(ct.valid);
  EXPECT_EQ(ct.subtype, "HTML");
  ASSERT_EQ(ct.params.size(), 2u);
  EXPECT_EQ(ct.params[0].name, "charset");
  EXPECT_EQ(ct.params[1].value, "a;b\"c");
  EXPECT_FALSE(parse_content_type("text").valid);
  EXPECT_FALSE(parse_content_type("text/").valid);
  EXPECT_FALSE(parse_content_type("te xt/plain").valid);
}

Address mbox(std::optional<std::string> name, std::string local, std::string host) {
  Address a;
  a.name = std::move(name);
  a.mailbox = std::move(local);
  a.host = std::move(host);
  return a;
}
Address group_start(std::string name) {
  Address a;
  a.kind = Address::Kind::kGroupStart;
  a.mailbox = std::move(name);
  return a;
}
Address group_end() { return Address{Address::Kind::kGroupEnd}; }

// RFC 5322 Appendix A.1.2.
TEST(Address, ParsesAppendixA12) {
  EXPECT_EQ(parse_address_list("\"Joe Q. Public\" <john.q.public@example.com>"),
            std::vector<Address>{mbox("Joe Q. Public", "john.q.public", "example.com")});
  EXPECT_EQ(parse_address_list("Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>"),
            (std::vector<Address>{mbox("Mary Smith", "mary", "x.test"),
                                  mbox(std::nullopt, "jdoe", "example.org"),
                                  mbox("Who?", "one", "y.test")}));
  EXPECT_EQ(
      parse_address_list("<boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>"),
      (std::vector<Address>{mbox(std::nullopt, "boss", "nil.test"),
                            mbox("Giant; \"Big\" Box", "sysservices", "example.net")}));
}

// RFC 5322 Appendix A.1.3 and A.5 (groups, comments everywhere).
TEST(Address, ParsesGroupsAndCommentsOfAppendixA13AndA5) {
  EXPECT_EQ(parse_address_list("A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;"),
            (std::vector<Address>{group_start("A Group"), mbox("Ed Jones", "c", "a.test"),
                                  mbox(std::nullopt, "joe", "where.test"),
                                  mbox("John", "jdoe", "one.test"), group_end()}));
  EXPECT_EQ(parse_address_list("Undisclosed recipients:;"),
            (std::vector<Address>{group_start("Undisclosed recipients"), group_end()}));
  EXPECT_EQ(parse_address_list("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>"),
            std::vector<Address>{mbox("Pete", "pete", "silly.test")});
  EXPECT_EQ(
      parse_address_list(
          "A Group(Some people)\r\n     :Chris Jones <c@(Chris's host.)public.example>,\r\n"
          "         joe@example.org,\r\n  John <jdoe@one.test> (my dear friend); (the end of the "
          "group)"),
      (std::vector<Address>{group_start("A Group"), mbox("Chris Jones", "c", "public.example"),
                            mbox(std::nullopt, "joe", "example.org"),
                            mbox("John", "jdoe", "one.test"), group_end()}));
  EXPECT_EQ(parse_address_list("(Empty list)(start)Hidden recipients  :(nobody(that I know))  ;"),
            (std::vector<Address>{group_start("Hidden recipients"), group_end()}));
}

// RFC 5322 Appendix A.6.1 and A.6.3 (obsolete routes, blanks around dots).
TEST(Address, ParsesObsoleteSyntaxOfAppendixA6) {
  Address routed = mbox("Mary Smith", "mary", "example.net");
  routed.route = "@node.test";
  EXPECT_EQ(parse_address_list("Mary Smith <@node.test:mary@example.net>, , jdoe@test  . example"),
            (std::vector<Address>{routed, mbox(std::nullopt, "jdoe", "test.example")}));
  EXPECT_EQ(parse_address_list("John Doe <jdoe@machine(comment).  example>"),
            std::vector<Address>{mbox("John Doe", "jdoe", "machine.example")});
  Address two_hops = mbox(std::nullopt, "x", "c.test");
  two_hops.route = "@a.test,@b.test";
  EXPECT_EQ(parse_address_list("<@a.test,@b.test:x@c.test>"), std::vector<Address>{two_hops});
}

TEST(Address, UsesTrailingCommentAsNameAndKeepsEncodedWords) {
  EXPECT_EQ(parse_address_list("bbb@ddd.com (John X. Doe)"),
            std::vector<Address>{mbox("John X. Doe", "bbb", "ddd.com")});
  EXPECT_EQ(
      parse_address_list("=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>"),
      std::vector<Address>{mbox("=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?=", "keld", "dkuug.dk")});
  EXPECT_EQ(display_addresses(
                parse_address_list("=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>, x@y.z")),
            "Keld J\xC3\xB8rn Simonsen <keld@dkuug.dk>, x@y.z");
}

// RFC 5322 Appendix A.1.3 as a whole message: its ENVELOPE per RFC 3501 7.4.2.
TEST(Envelope, RendersAppendixA13Message) {
  std::string raw =
      "From: Pete <pete@silly.example>\r\n"
      "To: A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;\r\n"
      "Cc: Undisclosed recipients:;\r\n"
      "Date: Thu, 13 Feb 1969 23:32:54 -0330\r\n"
      "Message-ID: <testabcd.1234@silly.example>\r\n"
      "\r\n"
      "Testing.\r\n";
  Part p = parse(raw);
  EXPECT_EQ(
      render_envelope(p, raw),
      "(\"Thu, 13 Feb 1969 23:32:54 -0330\" NIL ((\"Pete\" NIL \"pete\" \"silly.example\")) "
      "((\"Pete\" NIL \"pete\" \"silly.example\")) ((\"Pete\" NIL \"pete\" \"silly.example\")) "
      "((NIL NIL \"A Group\" NIL)(\"Ed Jones\" NIL \"c\" \"a.test\")(NIL NIL \"joe\" "
      "\"where.test\")(\"John\" NIL \"jdoe\" \"one.test\")(NIL NIL NIL NIL)) "
      "((NIL NIL \"Undisclosed recipients\" NIL)(NIL NIL NIL NIL)) NIL NIL "
      "\"<testabcd.1234@silly.example>\")");
}

// RFC 5322 Appendix A.6.3: blanks before the colon, folded subject.
TEST(Envelope, ReadsObsoleteHeaderSyntaxOfAppendixA63) {
  std::string raw =
      "From : John Doe <jdoe@machine(comment).  example>\r\n"
      "To : Mary Smith\r\n  \r\n          <mary@example.net>\r\n"
      "Subject     : Saying Hello\r\n"
      "Date : Fri, 21 Nov 1997 09(comment):   55  :  06 -0600\r\n"
      "Message-ID  : <1234   @   local(blah)  .machine .example>\r\n"
      "\r\n"
      "This is a message just to say hello.\r\n";
  Part p = parse(raw);
  std::string env = render_envelope(p, raw);
  EXPECT_EQ(
      env,
      "(\"Fri, 21 Nov 1997 09(comment):   55  :  06 -0600\" \"Saying Hello\" ((\"John Doe\" NIL "
      "\"jdoe\" \"machine.example\")) ((\"John Doe\" NIL \"jdoe\" \"machine.example\")) "
      "((\"John Doe\" NIL \"jdoe\" \"machine.example\")) ((\"Mary Smith\" NIL \"mary\" "
      "\"example.net\")) NIL NIL NIL \"<1234   @   local(blah)  .machine .example>\")");
}

TEST(Decode, Base64ToleratesGarbageAndConcatenatedBlocks) {
  EXPECT_EQ(decode_base64("SGVsbG8="), "Hello");
  EXPECT_EQ(decode_base64("SGVs\r\nbG8h"), "Hello!");
  EXPECT_EQ(decode_base64("SG*V!s bG8="), "Hello");
  EXPECT_EQ(decode_base64("SGk=SGk="), "HiHi");
  EXPECT_EQ(decode_base64("S"), "");
  EXPECT_EQ(decode_base64(""), "");
}

// RFC 2045 6.7 rules (1) to (5).
TEST(Decode, QuotedPrintableFollowsRfc2045Rules) {
  EXPECT_EQ(decode_quoted_printable("caf=E9 =3D ok=\r\nay\r\n"), "caf\xE9 = okay\r\n");
  EXPECT_EQ(decode_quoted_printable("trailing   \nnext=\n"), "trailing\nnext");
  EXPECT_EQ(decode_quoted_printable("lower=e9 bad=ZZ end="), "lower\xE9 bad=ZZ end");
  EXPECT_EQ(decode_quoted_printable("=4"), "=4");
  EXPECT_EQ(decode_quoted_printable("a=\r\n"), "a");
}

TEST(Date, ParsesRfc5322FormsIncludingObsoleteOnes) {
  // RFC 5322 A.1.1: 21 Nov 1997 09:55:06 -0600 = 1997-11-21T15:55:06Z.
  EXPECT_EQ(parse_date("Fri, 21 Nov 1997 09:55:06 -0600"), (DateTime{880127706, -360}));
  EXPECT_EQ(parse_date("Thu, 13 Feb 1969 23:32:54 -0330"), (DateTime{-27723426, -210}));
  EXPECT_EQ(parse_date("21 Nov 97 09:55 EST"), (DateTime{880124100, -300}));
  EXPECT_EQ(parse_date("Fri, 21 Nov 1997 09(comment):   55  :  06 -0600"),
            (DateTime{880127706, -360}));
  EXPECT_EQ(parse_date("Mon Jan  1 00:00:00 2001"), (DateTime{978307200, 0}));
  EXPECT_FALSE(parse_date("yesterday"));
  EXPECT_FALSE(parse_date("32 Jan 2001"));
  EXPECT_FALSE(parse_date("1 Jan 2001 25:00"));
}

// RFC 5256 section 2.1.
TEST(BaseSubject, StripsReplyAndForwardMarkers) {
  EXPECT_EQ(base_subject("Re: Hello"), "Hello");
  EXPECT_EQ(base_subject("RE: re:  Fwd: FW: hello world (fwd) (FWD)  "), "hello world");
  EXPECT_EQ(base_subject("[list] Re: [other] topic"), "topic");
  EXPECT_EQ(base_subject("Re[2]: topic"), "topic");
  EXPECT_EQ(base_subject("[fwd: Re: the thing]"), "the thing");
  EXPECT_EQ(base_subject("[only-a-blob]"), "[only-a-blob]");
  EXPECT_EQ(base_subject("=?utf-8?Q?Re=3A_Gr=C3=BC=C3=9Fe?=\t\t and   more"),
            "Gr\xC3\xBC\xC3\x9F"
            "e and more");
  EXPECT_EQ(base_subject(""), "");
  EXPECT_EQ(base_subject("Rebecca: hi"), "Rebecca: hi");
}

}  // namespace
}  // namespace taube::mime
