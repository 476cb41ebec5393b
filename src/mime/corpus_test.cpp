// The shared corpus (TAUBE_TESTDATA_DIR/mime, 180 real messages): every message
// parses, renders well-formed ENVELOPE/BODYSTRUCTURE/BODY, and every section is
// inside the message. Plus hand-checked ENVELOPE and BODYSTRUCTURE strings for 24
// messages: each was derived by reading the message against the RFC 9051 grammar
// (sizes and line counts counted on the raw bytes); see the notes per group.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "mime/imap_bodystructure.hpp"
#include "mime/imap_envelope.hpp"
#include "mime/section.hpp"
#include "mime/summary.hpp"
#include "mime/test_messages.hpp"

namespace taube::mime {
namespace {

namespace fs = std::filesystem;

fs::path corpus_dir() { return fs::path(TAUBE_TESTDATA_DIR) / "mime"; }

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool is_message_file(const fs::path& p) {
  std::string name = p.filename().string();
  std::string ext = p.extension().string();
  return ext == ".eml" || ext == ".raw" || (name.starts_with("msg_") && ext == ".txt");
}

std::vector<fs::path> corpus_files() {
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(corpus_dir()))
    if (e.is_regular_file() && is_message_file(e.path())) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

// Every part path by RFC 9051 6.4.5 numbering, with the part it must designate.
void collect_paths(const Part& container, std::vector<std::uint32_t> prefix,
                   std::vector<std::pair<std::vector<std::uint32_t>, const Part*>>& out);

void descend(const Part& p, const std::vector<std::uint32_t>& path,
             std::vector<std::pair<std::vector<std::uint32_t>, const Part*>>& out) {
  if (p.kind == Part::Kind::kMultipart) collect_paths(p, path, out);
  if (p.kind == Part::Kind::kMessage) collect_paths(p.children.front(), path, out);
}

void collect_paths(const Part& container, std::vector<std::uint32_t> prefix,
                   std::vector<std::pair<std::vector<std::uint32_t>, const Part*>>& out) {
  if (container.kind == Part::Kind::kMultipart) {
    for (std::size_t i = 0; i < container.children.size(); ++i) {
      std::vector<std::uint32_t> path = prefix;
      path.push_back(std::uint32_t(i + 1));
      out.emplace_back(path, &container.children[i]);
      descend(container.children[i], path, out);
    }
    return;
  }
  prefix.push_back(1);
  out.emplace_back(prefix, &container);
  if (container.kind == Part::Kind::kMessage)
    collect_paths(container.children.front(), prefix, out);
}

bool inside(std::string_view raw, std::string_view piece) {
  return piece.empty() ||
         (piece.data() >= raw.data() && piece.data() + piece.size() <= raw.data() + raw.size());
}

TEST(Corpus, EveryMessageParsesRendersAndExtractsWithinBounds) {
  if (!fs::exists(corpus_dir()))
    GTEST_SKIP() << "shared MIME corpus not found at " << corpus_dir()
                 << " (set TAUBE_TESTDATA_DIR)";
  std::vector<fs::path> files = corpus_files();
  EXPECT_EQ(files.size(), 180u);
  std::size_t sections = 0;
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.string());
    std::string raw = read_file(file);
    Part root = parse(raw);
    ASSERT_TRUE(testing::is_balanced_imap_list(render_envelope(root, raw)));
    ASSERT_TRUE(
        testing::is_balanced_imap_list(render_body_structure(root, raw, BodyForm::kBodyStructure)));
    ASSERT_TRUE(testing::is_balanced_imap_list(render_body_structure(root, raw, BodyForm::kBody)));
    std::vector<std::pair<std::vector<std::uint32_t>, const Part*>> paths;
    collect_paths(root, {}, paths);
    // Only a multipart without any body part has no part 1 (msg_17).
    ASSERT_EQ(paths.empty(), root.kind == Part::Kind::kMultipart && root.children.empty());
    for (const auto& [path, part] : paths) {
      ASSERT_EQ(find_part(root, path), part);
      ASSERT_LE(part->header.begin, part->header.end);
      ASSERT_LE(part->header.end, part->body_begin);
      ASSERT_LE(part->body_begin, part->body_end);
      ASSERT_LE(part->body_end, raw.size());
      for (Section::Text text : {Section::Text::kNone, Section::Text::kMime, Section::Text::kHeader,
                                 Section::Text::kText}) {
        Section s{path, text, {}};
        auto c = extract_section(root, raw, s);
        bool message_text = text == Section::Text::kHeader || text == Section::Text::kText;
        ASSERT_EQ(c.has_value(), !message_text || part->kind == Part::Kind::kMessage);
        if (!c) continue;
        ASSERT_TRUE(inside(raw, c->bytes()));
        ASSERT_TRUE(inside(raw, apply_partial(c->bytes(), 1, 10)));
        ++sections;
      }
      BinaryContent b = extract_binary(root, raw, path);
      ASSERT_NE(b.status, BinaryContent::Status::kNotFound);
    }
    auto fields =
        extract_section(root, raw, Section{{}, Section::Text::kHeaderFields, {"From", "Subject"}});
    ASSERT_TRUE(fields);
    ASSERT_TRUE(fields->bytes().ends_with("\r\n"));
    Summary summary = summarize(root, raw);
    ASSERT_LE(summary.header.size(), raw.size());
  }
  EXPECT_GT(sections, 400u);
}

struct Expected {
  const char* file;
  const char* envelope;
  const char* body_structure;
};

// Hand-checked groups:
//  cpython msg_01/29/32: single text parts; 37 = "\nHi,\n\nDo you like this message?\n\n-Me\n".
//    msg_29/32/33 carry RFC 2231 parameters (continuations, charset*, encoded boundary*).
//  msg_02, msg_28: digests whose parts default to message/rfc822 (RFC 2046 5.1.5).
//  msg_05: "From: foo" has no domain -> MISSING_DOMAIN; a part without header.
//  msg_11, msg_42, malformed/012, rfc/009, thirdparty/012: message/rfc822, also
//    nested in multiparts, an empty inner multipart ("--BBB--" only, reported as
//    an empty text part), unclosed inner multiparts ended by the outer boundary,
//    and a folded quoted boundary ("foo\n bar" -> "foo bar").
//  msg_12, nestedmulti, similar-boundary: nested multiparts, boundary prefixes.
//  mime-bad-8bit-filename, thirdparty/010: raw 8-bit UTF-8 in headers -> literals.
//  qp-*-header: encoded words (US-ASCII, ISO-8859-1, UTF-8) stay encoded in ENVELOPE.
//  missing-content-type, multipart-wo-boundary: defaults to text/plain us-ascii.
//  multimixed-no-closing-boundary, bad-final-boundary, badboundary: missing close
//    delimiters; the last part runs to the end of the message.
const Expected kExpected[] = {
    {"cpython/msg_01.txt",
     "(\"Fri, 4 May 2001 14:05:44 -0400\" \"This is a test message\" ((\"John X. Doe\" "
     "NIL \"bbb\" \"ddd.com\")) ((\"John X. Doe\" NIL \"bbb\" \"ddd.com\")) ((\"John X. "
     "Doe\" NIL \"bbb\" \"ddd.com\")) ((NIL NIL \"bbb\" \"zzz.org\")) NIL NIL NIL "
     "\"<15090.61304.110929.45684@aaa.zzz.org>\")",
     "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 37 6 NIL NIL NIL "
     "NIL)"},
    {"cpython/msg_02.txt",
     "(\"Fri, 20 Apr 2001 20:18:00 -0400 (EDT)\" \"Ppp digest, Vol 1 #2 - 5 msgs\" ((NIL "
     "NIL \"ppp-request\" \"zzz.org\")) ((NIL NIL \"ppp-admin\" \"zzz.org\")) ((NIL NIL "
     "\"ppp-request\" \"zzz.org\")) ((NIL NIL \"ppp\" \"zzz.org\")) NIL NIL NIL NIL)",
     "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL \"Masthead (Ppp digest, Vol "
     "1 #2)\" \"7bit\" 405 14 NIL NIL NIL NIL)(\"text\" \"plain\" (\"charset\" \"us-ascii\")"
     " NIL \"Today's Topics (5 msgs)\" \"7bit\" 192 7 NIL NIL NIL NIL)((\"message\" \"rfc822\" "
     "NIL NIL NIL \"7bit\" 235 (\"Fri, 20 Apr 2001 20:16:13 -0400\" \"[Ppp] testing #1\" "
     "((\"Barry A. Warsaw\" NIL \"barry\" \"digicool.com\")) ((\"Barry A. Warsaw\" NIL "
     "\"barry\" \"digicool.com\")) ((\"Barry A. Warsaw\" NIL \"barry\" \"digicool.com\")"
     ") ((NIL NIL \"ppp\" \"zzz.org\")) NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" "
     "\"us-ascii\") NIL NIL \"7bit\" 8 3 NIL NIL NIL NIL) 12 NIL NIL NIL NIL)(\"message\" "
     "\"rfc822\" NIL NIL NIL \"7bit\" 209 (\"Fri, 20 Apr 2001 20:16:21 -0400\" NIL ((\"Barry "
     "A. Warsaw\" NIL \"barry\" \"digicool.com\")) ((\"Barry A. Warsaw\" NIL \"barry\" "
     "\"digicool.com\")) ((\"Barry A. Warsaw\" NIL \"barry\" \"digicool.com\")) ((NIL "
     "NIL \"ppp\" \"zzz.org\")) NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\")"
     " NIL NIL \"7bit\" 8 3 NIL NIL NIL NIL) 11 NIL NIL NIL NIL)(\"message\" \"rfc822\" "
     "NIL NIL NIL \"7bit\" 235 (\"Fri, 20 Apr 2001 20:16:25 -0400\" \"[Ppp] testing #3\" "
     "((\"Barry A. Warsaw\" NIL \"barry\" \"digicool.com\")) ((\"Barry A. Warsaw\" NIL "
     "\"barry\" \"digicool.com\")) ((\"Barry A. Warsaw\" NIL \"barry\" \"digicool.com\")"
     ") ((NIL NIL \"ppp\" \"zzz.org\")) NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" "
     "\"us-ascii\") NIL NIL \"7bit\" 8 3 NIL NIL NIL NIL) 12 NIL NIL NIL NIL)(\"message\" "
     "\"rfc822\" NIL NIL NIL \"7bit\" 235 (\"Fri, 20 Apr 2001 20:16:28 -0400\" \"[Ppp] "
     "testing #4\" ((\"Barry A. Warsaw\" NIL \"barry\" \"digicool.com\")) ((\"Barry A. "
     "Warsaw\" NIL \"barry\" \"digicool.com\")) ((\"Barry A. Warsaw\" NIL \"barry\" "
     "\"digicool.com\")"
     ") ((NIL NIL \"ppp\" \"zzz.org\")) NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" "
     "\"us-ascii\") NIL NIL \"7bit\" 8 3 NIL NIL NIL NIL) 12 NIL NIL NIL NIL)(\"message\" "
     "\"rfc822\" NIL NIL NIL \"7bit\" 237 (\"Fri, 20 Apr 2001 20:16:32 -0400\" \"[Ppp] "
     "testing #5\" ((\"Barry A. Warsaw\" NIL \"barry\" \"digicool.com\")) ((\"Barry A. "
     "Warsaw\" NIL \"barry\" \"digicool.com\")) ((\"Barry A. Warsaw\" NIL \"barry\" "
     "\"digicool.com\")"
     ") ((NIL NIL \"ppp\" \"zzz.org\")) NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" "
     "\"us-ascii\") NIL NIL \"7bit\" 10 5 NIL NIL NIL NIL) 14 NIL NIL NIL NIL) \"digest\" "
     "(\"boundary\" \"__--__--\") NIL NIL NIL)(\"text\" \"plain\" (\"charset\" \"us-ascii\")"
     " NIL \"Digest Footer\" \"7bit\" 118 5 NIL NIL NIL NIL) \"mixed\" (\"boundary\" "
     "\"192.168.1.2.889.32614.987812255.500.21814\")"
     " NIL NIL NIL)"},
    {"cpython/msg_05.txt",
     "(NIL \"bar\" ((NIL NIL \"foo\" \"MISSING_DOMAIN\")) ((NIL NIL \"foo\" \"MISSING_DOMAIN\")"
     ") ((NIL NIL \"foo\" \"MISSING_DOMAIN\")) ((NIL NIL \"baz\" \"MISSING_DOMAIN\")) "
     "NIL NIL NIL \"<20010803162810.0CA8AA7ACC@mail.example.com>\")",
     "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 18 1 NIL NIL NIL "
     "NIL)(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 18 1 NIL NIL "
     "NIL NIL)(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 43 (NIL NIL ((NIL NIL \"nobody\" "
     "\"python.org\")) ((NIL NIL \"nobody\" \"python.org\")) ((NIL NIL \"nobody\" \"python.org\")"
     ") NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" "
     "18 1 NIL NIL NIL NIL) 3 NIL NIL NIL NIL) \"report\" (\"report-type\" \"delivery-status\" "
     "\"boundary\" \"D1690A7AC1.996856090/mail.example.com\") NIL NIL NIL)"},
    {"cpython/msg_11.txt", "(NIL \"The enclosing message\" NIL NIL NIL NIL NIL NIL NIL NIL)",
     "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 63 (NIL \"An enclosed message\" NIL "
     "NIL NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL "
     "NIL \"7bit\" 33 1 NIL NIL NIL NIL) 3 NIL NIL NIL NIL)"},
    {"cpython/msg_12.txt",
     "(\"Fri, 20 Apr 2001 19:35:02 -0400\" \"Lyrics\" ((\"Barry Warsaw\" NIL \"barry\" "
     "\"python.org\")) ((\"Barry Warsaw\" NIL \"barry\" \"python.org\")) ((\"Barry Warsaw\" "
     "NIL \"barry\" \"python.org\")) ((\"Dingus Lovers\" NIL \"cravindogs\" \"cravindogs.com\")"
     ") NIL NIL NIL NIL)",
     "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL "
     "NIL)(\"text\" \"html\" (\"charset\" \"iso-8859-1\") NIL NIL \"7bit\" 0 0 NIL NIL "
     "NIL NIL)((\"text\" \"plain\" (\"charset\" \"iso-8859-2\") NIL NIL \"7bit\" 0 0 NIL "
     "NIL NIL NIL)(\"text\" \"plain\" (\"charset\" \"iso-8859-3\") NIL NIL \"7bit\" 0 "
     "0 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"ANOTHER\") NIL NIL NIL)(\"text\" \"plain\" "
     "(\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL)(\"text\" \"plain\" "
     "(\"charset\" \"koi8-r\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL) \"mixed\" (\"boundary\" "
     "\"BOUNDARY\") NIL NIL NIL)"},
    {"cpython/msg_28.txt",
     "(NIL NIL ((NIL NIL \"aperson\" \"dom.ain\")) ((NIL NIL \"aperson\" \"dom.ain\"))"
     " ((NIL NIL \"aperson\" \"dom.ain\")) NIL NIL NIL NIL NIL)",
     "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 96 (NIL \"ee\" ((NIL NIL \"cc\" \"dd.org\")"
     ") ((NIL NIL \"cc\" \"dd.org\")) ((NIL NIL \"cc\" \"dd.org\")) ((NIL NIL \"aa\" \"bb.org\")"
     ") NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" "
     "10 1 NIL NIL NIL NIL) 6 NIL NIL NIL NIL)(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" "
     "96 (NIL \"ee\" ((NIL NIL \"cc\" \"dd.org\")) ((NIL NIL \"cc\" \"dd.org\")) ((NIL "
     "NIL \"cc\" \"dd.org\")) ((NIL NIL \"aa\" \"bb.org\")) NIL NIL NIL NIL) (\"text\" "
     "\"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 10 1 NIL NIL NIL NIL) 6 NIL "
     "NIL NIL NIL) \"digest\" (\"boundary\" \"BOUNDARY\") NIL NIL NIL)"},
    {"cpython/msg_29.txt",
     "(\"Fri, 4 May 2001 14:05:44 -0400\" \"This is a test message\" ((\"John X. Doe\" "
     "NIL \"bbb\" \"ddd.com\")) ((\"John X. Doe\" NIL \"bbb\" \"ddd.com\")) ((\"John X. "
     "Doe\" NIL \"bbb\" \"ddd.com\")) ((NIL NIL \"bbb\" \"zzz.org\")) NIL NIL NIL "
     "\"<15090.61304.110929.45684@aaa.zzz.org>\")",
     "(\"text\" \"plain\" (\"charset\" \"us-ascii\" \"title*\" "
     "\"us-ascii'en'This%20is%20even%20more%20%2A%2A%2Afun%2A%2A%2A%20isn't "
     "it!\") NIL NIL \"7bit\" 37 6 NIL NIL NIL NIL)"},
    {"cpython/msg_32.txt",
     "(\"Tue, 26 Sep 2000 12:23:03 -0500\" \"Re: Limiting Perl CPU Utilization...\" ((\"Anne "
     "Person\" NIL \"aperson\" \"example.com\")) ((NIL NIL \"owner-freebsd-isp\" \"FreeBSD.ORG\")"
     ") ((\"Anne Person\" NIL \"aperson\" \"example.com\")) ((\"Barney Dude\" NIL \"bdude\" "
     "\"example.com\")) NIL NIL NIL NIL)",
     "(\"text\" \"plain\" (\"charset*\" \"ansi-x3.4-1968''us-ascii\") NIL NIL \"7bit\" "
     "14 1 NIL (\"inline\" NIL) NIL NIL)"},
    {"cpython/msg_33.txt",
     "(\"Wed, 27 Sep 2000 11:11:09 -0500\" \"Re: Limiting Perl CPU Utilization...\" ((\"Anne "
     "Person\" NIL \"aperson\" \"example.com\")) ((NIL NIL \"owner-freebsd-isp\" \"FreeBSD.ORG\")"
     ") ((\"Anne Person\" NIL \"aperson\" \"example.com\")) ((\"Barney Dude\" NIL \"bdude\" "
     "\"example.com\")) NIL NIL NIL NIL)",
     "((\"text\" \"plain\" (\"charset*\" \"ansi-x3.4-1968''us-ascii\") NIL NIL "
     "\"quoted-printable\" "
     "7 1 NIL (\"inline\" NIL) NIL NIL)(\"text\" \"plain\" (\"charset\" \"us-ascii\") "
     "NIL NIL \"7bit\" 7 1 NIL (\"inline\" NIL) NIL NIL) \"signed\" (\"micalg*\" "
     "\"ansi-x3.4-1968''pgp-md5\" "
     "\"protocol*\" \"ansi-x3.4-1968''application%2Fpgp-signature\" \"boundary*\" "
     "\"ansi-x3.4-1968''EeQfGwPcQSOJBaQU\")"
     " (\"inline\" NIL) NIL NIL)"},
    {"cpython/msg_42.txt",
     "(NIL NIL ((\"Mail Delivery Subsystem\" NIL \"xxx\" \"example.com\")) ((\"Mail Delivery "
     "Subsystem\" NIL \"xxx\" \"example.com\")) ((\"Mail Delivery Subsystem\" NIL \"xxx\" "
     "\"example.com\")) ((NIL NIL \"yyy\" \"example.com\")) NIL NIL NIL NIL)",
     "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 6 1 NIL NIL NIL "
     "NIL)(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 102 (NIL NIL ((NIL NIL \"webmaster\" "
     "\"python.org\")) ((NIL NIL \"webmaster\" \"python.org\")) ((NIL NIL \"webmaster\" "
     "\"python.org\")) ((NIL NIL \"zzz\" \"example.com\")) NIL NIL NIL NIL) ((\"text\" "
     "\"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL) \"mixed\" "
     "(\"boundary\" \"BBB\") NIL NIL NIL) 5 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"AAA\")"
     " NIL NIL NIL)"},
    {"enmime/testdata/mail/mime-bad-8bit-filename.raw",
     "(\"Wed, 22 Feb 2021 13:29:24 +0800\" \"Malformed test\" ((\"Pavel Bazika\" NIL "
     "\"pavel.bazika\" "
     "\"some.domain\")) ((\"Pavel Bazika\" NIL \"pavel.bazika\" \"some.domain\")) ((\"Pavel "
     "Bazika\" NIL \"pavel.bazika\" \"some.domain\")) ((NIL NIL \"test\" \"dome.domain\")"
     ") NIL NIL NIL NIL)",
     "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 11 1 NIL NIL NIL "
     "NIL)(\"application\" \"msword\" (\"name\" {10}\r\n\xE7"
     "\xAE"
     "\xA1"
     "\xE7"
     "\x90"
     "\x86"
     ".doc)"
     " NIL NIL \"base64\" 14 NIL (\"attachment\" (\"filename\" {10}\r\n\xE7"
     "\xAE"
     "\xA1"
     "\xE7"
     "\x90"
     "\x86"
     ".doc)"
     ") NIL NIL) \"mixed\" (\"boundary\" \"=====003_Dragon323481247347_=====\") NIL NIL "
     "NIL)"},
    {"enmime/testdata/mail/qp-ascii-header.raw",
     "(\"Sun, 14 Oct 2012 16:09:01 -0700\" \"=?US-ASCII?Q?Test_QP_Subject=21?=\" ((\"James "
     "Hillyerd\" NIL \"james\" \"hillyerd.com\")) ((\"James Hillyerd\" NIL \"james\" "
     "\"hillyerd.com\")"
     ") ((\"James Hillyerd\" NIL \"james\" \"hillyerd.com\")) ((NIL NIL \"greg\" \"inbucket.com\")"
     ") NIL NIL NIL NIL)",
     "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 26 2 NIL NIL NIL "
     "NIL)"},
    {"enmime/testdata/mail/qp-utf8-header.raw",
     "(\"Fri, 19 Oct 2012 12:22:49 -0700\" \"=?utf-8?q?MIME_UTF8_Test_=c2=a2?= More Text\" "
     "((\"James Hillyerd\" NIL \"jamehi03\" \"jamehi03lx.noa.com\")(\"=?ISO-8859-1?Q?Andr=E9?= "
     "Pirard\" NIL \"PIRARD\" \"vm1.ulg.ac.be\")) ((\"=?ISO-8859-1?Q?Andr=E9?= Pirard\" "
     "NIL \"PIRARD\" \"vm1.ulg.ac.be\")) ((\"James Hillyerd\" NIL \"jamehi03\" "
     "\"jamehi03lx.noa.com\")"
     "(\"=?ISO-8859-1?Q?Andr=E9?= Pirard\" NIL \"PIRARD\" \"vm1.ulg.ac.be\")) "
     "((\"=?UTF-8?Q?Miros=C5=82aw_Marczak?=\" "
     "NIL \"marczak\" \"inbucket.com\")) NIL NIL NIL \"<5081A889.3020108@jamehi03lx.noa.com>\")",
     "((\"text\" \"plain\" (\"charset\" \"ISO-8859-1\") NIL NIL \"quoted-printable\" 1354 "
     "22 NIL NIL NIL NIL)(\"text\" \"html\" (\"charset\" \"ISO-8859-1\") NIL NIL \"7bit\" "
     "1736 35 NIL NIL NIL NIL) \"alternative\" (\"boundary\" "
     "\"------------020203040006070307010003\")"
     " NIL NIL NIL)"},
    {"enmime/testdata/mail/multipart-wo-boundary.raw",
     "(NIL \"Delivery Status Notification (Failure)\" ((NIL NIL \"Mailer-Daemon\" \"example.com\")"
     ") ((NIL NIL \"Mailer-Daemon\" \"example.com\")) ((NIL NIL \"Mailer-Daemon\" \"example.com\")"
     ") ((NIL NIL \"user\" \"example.com\")) NIL NIL NIL "
     "\"<444A6F676F-A9A1C1F7-799A-4D89-B97E-8057E132FBFB@YSHSERVER>\")",
     "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 40 1 NIL NIL NIL "
     "NIL)"},
    {"enmime/testdata/parts/nestedmulti.raw", "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)",
     "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 14 1 NIL NIL NIL "
     "NIL)((\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 15 1 NIL NIL "
     "NIL NIL)(\"text\" \"plain\" (\"name\" \"attach.txt\" \"charset\" \"us-ascii\") NIL NIL "
     "\"7bit\" 25 1 NIL "
     "(\"inline\" (\"filename\" \"attach.txt\")) NIL NIL)(\"text\" \"plain\" (\"name\" "
     "\"attach2.txt\" \"charset\" \"us-ascii\") NIL NIL \"7bit\" 30 1 NIL (\"inline\" NIL) NIL "
     "NIL) \"related\" "
     "(\"boundary\" \"Enmime-Test-200\") NIL NIL NIL) \"alternative\" (\"boundary\" "
     "\"Enmime-Test-100\")"
     " NIL NIL NIL)"},
    {"enmime/testdata/parts/multimixed-no-closing-boundary.raw",
     "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)",
     "((\"text\" \"html\" (\"charset\" \"UTF-8\") NIL NIL \"quoted-printable\" 91 6 NIL "
     "NIL NIL NIL) \"mixed\" (\"boundary\" \"Enmime-Test-100\") NIL NIL NIL)"},
    {"enmime/testdata/parts/badboundary.raw", "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)",
     "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 14 1 NIL NIL NIL "
     "NIL)(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 15 1 NIL NIL "
     "NIL NIL)(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 1 NIL "
     "NIL NIL NIL) \"alternative\" (\"boundary\" \"Enmime-Test-100\") NIL NIL NIL)"},
    {"enmime/testdata/parts/similar-boundary.raw", "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)",
     "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 12 1 NIL NIL NIL "
     "NIL)((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 14 1 NIL NIL "
     "NIL NIL)(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 15 1 NIL "
     "NIL NIL NIL) \"alternative\" (\"boundary\" \"Enmime-Test-100_alt\") NIL NIL NIL)"
     " \"mixed\" (\"boundary\" \"Enmime-Test-100\") NIL NIL NIL)"},
    {"enmime/testdata/low-quality/missing-content-type.raw",
     "(\"Thu, 18 Oct 2012 22:48:39 -0700\" \"plain text\" ((\"James Hillyerd\" NIL \"james\" "
     "\"makita.skynet\")) ((\"James Hillyerd\" NIL \"james\" \"makita.skynet\")) ((\"James "
     "Hillyerd\" NIL \"james\" \"makita.skynet\")) ((NIL NIL \"greg\" \"inbucket\")) NIL "
     "NIL NIL \"<07B7061D-2676-487E-942E-C341CE4D13DC@makita.skynet>\")",
     "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 19 1 NIL NIL NIL "
     "NIL)"},
    {"enmime/testdata/low-quality/bad-final-boundary.raw",
     "(\"Thu, 18 Oct 2012 22:48:39 -0700\" \"Attachment\" ((\"James Hillyerd\" NIL \"james\" "
     "\"makita.skynet\")) ((\"James Hillyerd\" NIL \"james\" \"makita.skynet\")) ((\"James "
     "Hillyerd\" NIL \"james\" \"makita.skynet\")) ((NIL NIL \"greg\" \"inbucket\")) NIL "
     "NIL NIL \"<07B7061D-2676-487E-942E-C341CE4D13DC@makita.skynet>\")",
     "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 14 1 NIL NIL NIL "
     "NIL)(\"application\" \"x-zip-compressed\" (\"name\" \"foo_9E5D72.zip\") NIL NIL "
     "\"base64\" 13 NIL (\"attachment\" (\"filename\" \"foo_9E5D72.zip\")) NIL NIL)(\"text\" "
     "\"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL) \"mixed\" "
     "(\"boundary\" \"Enmime-Test-100\") NIL NIL NIL)"},
    {"mail-parser/resources/eml/thirdparty/010.eml",
     "(NIL \"=?UTF-8?B?44GT44KT44Gr44Gh44Gv?=\" NIL NIL NIL NIL NIL NIL NIL NIL)",
     "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"binary\" 18 1 NIL NIL "
     "(\"ja\") NIL) \"mixed\" (\"boundary\" \"1\" \"comment\" \"\") NIL NIL NIL)"},
    {"mail-parser/resources/eml/thirdparty/012.eml",
     "(\"Sat, 24 Mar 2007 23:00:00 +0200\" NIL ((NIL NIL \"user\" \"domain.org\")) ((NIL "
     "NIL \"user\" \"domain.org\")) ((NIL NIL \"user\" \"domain.org\")) NIL NIL NIL NIL "
     "NIL)",
     "((\"text\" \"x-myown\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 6 1 NIL NIL NIL "
     "NIL)(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 280 (\"Sun, 12 Aug 2012 12:34:56 "
     "+0300\" \"submsg\" ((NIL NIL \"sub\" \"domain.org\")) ((NIL NIL \"sub\" \"domain.org\")"
     ") ((NIL NIL \"sub\" \"domain.org\")) NIL NIL NIL NIL NIL) ((\"text\" \"html\" (\"charset\" "
     "\"us-ascii\") NIL NIL \"7bit\" 19 1 NIL NIL NIL NIL)(\"text\" \"plain\" (\"charset\" "
     "\"us-ascii\") NIL NIL \"7bit\" 20 1 NIL NIL NIL NIL) \"alternative\" (\"boundary\" "
     "\"sub1\") NIL NIL NIL) 18 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"foo bar\") "
     "NIL NIL NIL)"},
    {"mail-parser/resources/eml/malformed/012.eml", "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)",
     "(((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 27 (NIL NIL NIL NIL NIL NIL NIL NIL "
     "NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 1 NIL "
     "NIL NIL NIL) 3 NIL NIL NIL NIL)(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 28 (NIL "
     "NIL NIL NIL NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\")"
     " NIL NIL \"7bit\" 2 1 NIL NIL NIL NIL) 3 NIL NIL NIL NIL) \"mixed\" (\"boundary\" "
     "\"2\") NIL NIL NIL)(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 30 (NIL NIL NIL "
     "NIL NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL "
     "NIL \"7bit\" 4 1 NIL NIL NIL NIL) 3 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"1\")"
     " NIL NIL NIL)"},
    {"mail-parser/resources/eml/rfc/009.eml",
     "(\"Sat, 10 Oct 2009 00:30:04 +0200\" \"whatever\" ((\"Whomever\" NIL \"whoever\" "
     "\"example.com\")) ((\"Whomever\" NIL \"whoever\" \"example.com\")) ((\"Whomever\" "
     "NIL \"whoever\" \"example.com\")) ((\"Someone\" NIL \"someone\" \"example.com\")"
     ") NIL NIL NIL NIL)",
     "(((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 6 1 NIL NIL NIL "
     "NIL)(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 32 1 NIL NIL "
     "NIL NIL) \"alternative\" (\"boundary\" \"inner\") NIL NIL NIL)(\"message\" \"rfc822\" "
     "NIL NIL NIL \"7bit\" 121 (NIL \"Hello, this is an elaborate request for you to finally "
     "say hello already!\" ((NIL NIL \"Someone Else\" \"MISSING_DOMAIN\")) ((NIL NIL \"Someone "
     "Else\" \"MISSING_DOMAIN\")) ((NIL NIL \"Someone Else\" \"MISSING_DOMAIN\")) NIL "
     "NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" "
     "17 1 NIL NIL NIL NIL) 5 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"outer\") NIL "
     "NIL NIL)"},
};

TEST(Corpus, HandCheckedEnvelopesAndBodyStructures) {
  if (!fs::exists(corpus_dir()))
    GTEST_SKIP() << "shared MIME corpus not found at " << corpus_dir()
                 << " (set TAUBE_TESTDATA_DIR)";
  for (const Expected& e : kExpected) {
    SCOPED_TRACE(e.file);
    std::string raw = read_file(corpus_dir() / e.file);
    ASSERT_FALSE(raw.empty());
    Part root = parse(raw);
    EXPECT_EQ(render_envelope(root, raw), e.envelope);
    EXPECT_EQ(render_body_structure(root, raw, BodyForm::kBodyStructure), e.body_structure);
  }
}

TEST(Corpus, DecodesEncodedWordsOfCorpusMessagesInSummary) {
  if (!fs::exists(corpus_dir()))
    GTEST_SKIP() << "shared MIME corpus not found at " << corpus_dir()
                 << " (set TAUBE_TESTDATA_DIR)";
  std::string raw = read_file(corpus_dir() / "enmime/testdata/mail/qp-utf8-header.raw");
  Summary s = summarize(parse(raw), raw);
  EXPECT_EQ(s.subject, "MIME UTF8 Test \xC2\xA2 More Text");
  EXPECT_EQ(
      s.from,
      "James Hillyerd <jamehi03@jamehi03lx.noa.com>, Andr\xC3\xA9 Pirard <PIRARD@vm1.ulg.ac.be>");
  EXPECT_EQ(s.to,
            "Miros\xC5\x82"
            "aw Marczak <marczak@inbucket.com>");
  EXPECT_TRUE(
      s.preview.starts_with("Lorem ipsum dolor sit amet, consectetur adipiscing elit. "
                            "Nullam venenatis ante"));
  raw = read_file(corpus_dir() / "mail-parser/resources/eml/thirdparty/010.eml");
  s = summarize(parse(raw), raw);
  EXPECT_EQ(s.subject, "\xE3\x81\x93\xE3\x82\x93\xE3\x81\xAB\xE3\x81\xA1\xE3\x81\xAF");
  raw = read_file(corpus_dir() / "cpython/msg_29.txt");
  Part p = parse(raw);
  EXPECT_EQ(decoded_param(p.content_type.params, "title"), "This is even more ***fun*** isn't it!");
}

}  // namespace
}  // namespace taube::mime
