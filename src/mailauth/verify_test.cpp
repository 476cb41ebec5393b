// DKIM verification against python3-dkim signatures, our own signatures, DMARC
// alignment and policy, and the Authentication-Results of the inbound checks,
// all over canned DNS.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/base64.hpp"
#include "mailauth/auth_results.hpp"
#include "mailauth/dkim_sign.hpp"
#include "mailauth/dkim_verify.hpp"
#include "mailauth/dmarc_align.hpp"
#include "mailauth/inbound.hpp"
#include "mailauth/test_support.hpp"

namespace taube::mailauth {
namespace {

namespace fs = std::filesystem;
using testing::FakeResolver;

constexpr std::string_view kMessage =
    "From: Alice <alice@example.com>\r\n"
    "To: bob@example.org\r\n"
    "Subject: test  message\r\n"
    "Date: Thu, 26 Nov 2026 23:00:00 +0000\r\n"
    "Message-ID: <2@example.com>\r\n"
    "\r\n"
    "Body line one.  \r\n"
    "Body line two.\r\n";

std::vector<DkimOutcome> verify(FakeResolver& dns, std::string_view raw) {
  return testing::run(verify_dkim(dns, raw, DkimVerifyOptions{}));
}

// Signs `message` with python3-dkim; "" when python3-dkim is unusable.
std::string python_sign(std::string_view message, const std::string& key_text,
                        const char* algorithm, const char* canon) {
  const fs::path dir = fs::temp_directory_path() / ("mailauth_pysign_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "msg", std::ios::binary) << message;
  std::ofstream(dir / "key", std::ios::binary) << key_text;
  std::ofstream(dir / "sign.py") << "import dkim, sys\n"
                                    "msg = open(sys.argv[1], 'rb').read()\n"
                                    "key = open(sys.argv[2], 'rb').read()\n"
                                    "c = sys.argv[4].encode().split(b'/')\n"
                                    "sig = dkim.sign(msg, b'py', b'example.com', key,\n"
                                    "    signature_algorithm=sys.argv[3].encode(),\n"
                                    "    canonicalize=(c[0], c[1]),\n"
                                    "    include_headers=[b'from', b'to', b'subject', b'date'])\n"
                                    "sys.stdout.buffer.write(sig + msg)\n";
  const std::string cmd = "/usr/bin/python3 " + (dir / "sign.py").string() + " " +
                          (dir / "msg").string() + " " + (dir / "key").string() + " " +
                          algorithm + " " + canon + " 2>/dev/null";
  std::string out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    if (::pclose(p) != 0) out.clear();
  }
  fs::remove_all(dir);
  return out;
}

std::string ed25519_seed_base64(const SigningKey& key) {
  std::string seed(32, '\0');
  std::size_t len = 32;
  EVP_PKEY_get_raw_private_key(key.pkey.get(), reinterpret_cast<unsigned char*>(seed.data()), &len);
  return encode_base64(seed);
}

struct PyCase {
  DkimAlgorithm algorithm;
  const char* canon;
};

class DkimVerifyPython : public ::testing::TestWithParam<PyCase> {};

TEST_P(DkimVerifyPython, WeVerifyPythonDkimSignatures) {
  const PyCase c = GetParam();
  Result<SigningKey> key = generate_signing_key("example.com", "py", c.algorithm);
  ASSERT_TRUE(key);
  const std::string key_text =
      c.algorithm == DkimAlgorithm::kRsaSha256 ? private_key_pem(*key) : ed25519_seed_base64(*key);
  const std::string signed_message =
      python_sign(kMessage, key_text, std::string(to_string(c.algorithm)).c_str(), c.canon);
  if (signed_message.empty()) GTEST_SKIP() << "python3-dkim could not sign";
  FakeResolver dns;
  dns.add_txt("py._domainkey.example.com", dns_record_value(*key));
  std::vector<DkimOutcome> out = verify(dns, signed_message);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].result, DkimResult::kPass) << out[0].reason << "\n" << signed_message;
  EXPECT_EQ(out[0].domain, "example.com");
  EXPECT_EQ(out[0].selector, "py");

  std::string tampered = signed_message;
  tampered.replace(tampered.find("Subject: test"), 13, "Subject: TEST");
  out = verify(dns, tampered);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].result, DkimResult::kFail);
  EXPECT_EQ(out[0].reason, "signature did not verify");
}

INSTANTIATE_TEST_SUITE_P(
    Signatures, DkimVerifyPython,
    ::testing::Values(PyCase{DkimAlgorithm::kRsaSha256, "relaxed/simple"},
                      PyCase{DkimAlgorithm::kRsaSha256, "simple/simple"},
                      PyCase{DkimAlgorithm::kRsaSha256, "relaxed/relaxed"},
                      PyCase{DkimAlgorithm::kEd25519Sha256, "relaxed/relaxed"},
                      PyCase{DkimAlgorithm::kEd25519Sha256, "simple/relaxed"}));

TEST(DkimVerify, OwnSignaturesAndTheirFailures) {
  Result<SigningKey> key = generate_signing_key("example.com", "s1", DkimAlgorithm::kEd25519Sha256);
  ASSERT_TRUE(key);
  const std::string message = *dkim_sign(kMessage, *key) + std::string(kMessage);
  FakeResolver dns;
  EXPECT_EQ(verify(dns, message)[0].result, DkimResult::kPermError);  // no key record
  dns.add_txt("s1._domainkey.example.com", dns_record_value(*key));
  std::vector<DkimOutcome> out = verify(dns, message);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].result, DkimResult::kPass) << out[0].reason;
  EXPECT_EQ(out[0].algorithm, "ed25519-sha256");
  EXPECT_EQ(out[0].b_prefix.size(), 8u);

  std::string body_changed = message;
  body_changed.replace(body_changed.find("line two"), 8, "line 2  ");
  EXPECT_EQ(verify(dns, body_changed)[0].reason, "body hash did not verify");
  // Whitespace changes survive relaxed canonicalisation.
  std::string spaced = message;
  spaced.replace(spaced.find("Body line one."), 14, "Body   line one.");
  EXPECT_EQ(verify(dns, spaced)[0].result, DkimResult::kPass);

  FakeResolver revoked;
  revoked.add_txt("s1._domainkey.example.com", "v=DKIM1; k=ed25519; p=");
  EXPECT_EQ(verify(revoked, message)[0].result, DkimResult::kPermError);
  FakeResolver down;
  down.servfail("s1._domainkey.example.com");
  EXPECT_EQ(verify(down, message)[0].result, DkimResult::kTempError);
  EXPECT_TRUE(verify(dns, kMessage).empty());
}

TEST(DmarcAlign, OrganizationalDomainAndAlignment) {
  EXPECT_EQ(organizational_domain("mail.example.com"), "example.com");
  EXPECT_EQ(organizational_domain("Example.COM."), "example.com");
  EXPECT_EQ(organizational_domain("a.b.example.co.uk"), "example.co.uk");
  EXPECT_EQ(organizational_domain("com"), "com");
  EXPECT_TRUE(aligned("mail.example.com", "example.com", false));
  EXPECT_FALSE(aligned("mail.example.com", "example.com", true));
  EXPECT_TRUE(aligned("EXAMPLE.com", "example.com", true));
  EXPECT_FALSE(aligned("example.net", "example.com", false));
  EXPECT_FALSE(aligned("a.co.uk", "b.co.uk", false));
  EXPECT_EQ(author_domain("From: A <a@Sub.Example.com>\r\n\r\n"), "sub.example.com");
  EXPECT_FALSE(author_domain("From: a@x.example, b@y.example\r\n\r\n"));
  EXPECT_FALSE(author_domain("From: a@x.example\r\nFrom: b@y.example\r\n\r\n"));
  EXPECT_FALSE(author_domain("To: a@x.example\r\n\r\n"));
}

TEST(DmarcAlign, PolicyWithSubdomainAndPercent) {
  DmarcRecord r;
  r.policy = DmarcPolicy::kReject;
  r.subdomain_policy = DmarcPolicy::kNone;
  r.percent = 30;
  EXPECT_EQ(applied_policy(r, false, 10), DmarcPolicy::kReject);
  EXPECT_EQ(applied_policy(r, false, 30), DmarcPolicy::kQuarantine);  // outside pct
  EXPECT_EQ(applied_policy(r, true, 10), DmarcPolicy::kNone);         // sp=
}

DmarcOutcome dmarc(FakeResolver& dns, const std::string& from, SpfResult spf,
                   const std::string& spf_domain, DkimResult dkim, const std::string& d) {
  DmarcRequest r;
  r.from_domain = from;
  r.spf.result = spf;
  r.spf.domain = spf_domain;
  if (dkim != DkimResult::kNone) {
    DkimOutcome o;
    o.result = dkim;
    o.domain = d;
    r.dkim.push_back(o);
  }
  return testing::run(check_dmarc(dns, std::move(r)));
}

TEST(Dmarc, AlignmentCases) {
  FakeResolver dns;
  dns.add_txt("_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine");
  dns.add_txt("_dmarc.strict.example", "v=DMARC1; p=quarantine; adkim=s; aspf=s");
  // Relaxed: a subdomain's SPF or DKIM pass aligns with the organizational domain.
  EXPECT_EQ(dmarc(dns, "example.com", SpfResult::kPass, "bounce.example.com", DkimResult::kNone, "").result,
            DmarcResult::kPass);
  EXPECT_EQ(dmarc(dns, "example.com", SpfResult::kFail, "example.com", DkimResult::kPass, "mail.example.com").result,
            DmarcResult::kPass);
  // Passing but unaligned identifiers fail DMARC with p=reject.
  DmarcOutcome f = dmarc(dns, "example.com", SpfResult::kPass, "example.net", DkimResult::kPass, "example.org");
  EXPECT_EQ(f.result, DmarcResult::kFail);
  EXPECT_EQ(f.disposition, DmarcPolicy::kReject);
  // A subdomain without its own record uses the organizational record's sp=.
  DmarcOutcome sub = dmarc(dns, "news.example.com", SpfResult::kFail, "x.example", DkimResult::kNone, "");
  EXPECT_EQ(sub.result, DmarcResult::kFail);
  EXPECT_TRUE(sub.record_at_organizational_domain);
  EXPECT_EQ(sub.disposition, DmarcPolicy::kQuarantine);
  // Strict: only the exact domain aligns.
  EXPECT_EQ(dmarc(dns, "strict.example", SpfResult::kPass, "a.strict.example", DkimResult::kPass, "b.strict.example").result,
            DmarcResult::kFail);
  EXPECT_EQ(dmarc(dns, "strict.example", SpfResult::kPass, "strict.example", DkimResult::kNone, "").result,
            DmarcResult::kPass);
  // No record: none; a DNS failure: temperror.
  EXPECT_EQ(dmarc(dns, "example.net", SpfResult::kPass, "example.net", DkimResult::kNone, "").result,
            DmarcResult::kNone);
  dns.servfail("_dmarc.down.example");
  EXPECT_EQ(dmarc(dns, "down.example", SpfResult::kPass, "down.example", DkimResult::kNone, "").result,
            DmarcResult::kTempError);
}

TEST(AuthResults, FormatsAndRemovesForgedFields) {
  std::vector<AuthResult> results{{"spf", "pass", "matched (ip4)", {{"smtp.mailfrom", "example.com"}}},
                                  {"dkim", "pass", "", {{"header.d", "example.com"}, {"header.b", "ab/c+d=e"}}}};
  EXPECT_EQ(format_authentication_results("mx.example.org", results),
            "Authentication-Results: mx.example.org;\r\n"
            "\tspf=pass (matched  ip4 ) smtp.mailfrom=example.com;\r\n"
            "\tdkim=pass header.d=example.com header.b=\"ab/c+d=e\"\r\n");
  EXPECT_EQ(format_authentication_results("mx", {}), "Authentication-Results: mx; none\r\n");
  const std::string raw =
      "Received: x\r\n"
      "Authentication-Results: MX.example.org; spf=pass\r\n"
      "Authentication-Results: other.example; dkim=pass\r\n"
      "authentication-results:mx.example.org\r\n  ; dmarc=pass\r\n"
      "\r\n"
      "Authentication-Results: mx.example.org; in the body\r\n";
  EXPECT_EQ(remove_authentication_results(raw, "mx.example.org"),
            "Received: x\r\n"
            "Authentication-Results: other.example; dkim=pass\r\n"
            "\r\n"
            "Authentication-Results: mx.example.org; in the body\r\n");
}

TEST(Inbound, HeaderAndEnforcement) {
  Result<SigningKey> key = generate_signing_key("example.com", "s1", DkimAlgorithm::kRsaSha256);
  ASSERT_TRUE(key);
  FakeResolver dns;
  dns.add_txt("s1._domainkey.example.com", dns_record_value(*key));
  dns.add_txt("example.com", "v=spf1 ip4:192.0.2.0/24 -all");
  dns.add_txt("_dmarc.example.com", "v=DMARC1; p=reject");
  const std::string signed_message = *dkim_sign(kMessage, *key) + std::string(kMessage);

  InboundSettings settings;
  settings.authserv_id = "mx.example.org";
  settings.enforce = true;
  InboundRequest good;
  good.remote_address = "192.0.2.5";
  good.helo = "mail.example.com";
  good.mail_from = "alice@example.com";
  good.raw = "Authentication-Results: mx.example.org; dmarc=pass\r\n" + signed_message;
  InboundVerdict v = testing::run(check_inbound(dns, settings, good));
  EXPECT_EQ(v.action, InboundVerdict::Action::kAccept);
  EXPECT_EQ(v.spf.result, SpfResult::kPass);
  ASSERT_EQ(v.dkim.size(), 1u);
  EXPECT_EQ(v.dkim[0].result, DkimResult::kPass);
  EXPECT_EQ(v.dmarc.result, DmarcResult::kPass);
  EXPECT_EQ(v.raw.rfind(v.header, 0), 0u);
  EXPECT_EQ(v.raw.find("dmarc=pass\r\nDKIM"), std::string::npos);  // the forged field is gone
  EXPECT_NE(v.header.find("spf=pass"), std::string::npos) << v.header;
  EXPECT_NE(v.header.find("smtp.mailfrom=example.com"), std::string::npos) << v.header;
  EXPECT_NE(v.header.find("dkim=pass"), std::string::npos) << v.header;
  EXPECT_NE(v.header.find("dmarc=pass"), std::string::npos) << v.header;
  EXPECT_NE(v.header.find("header.from=example.com"), std::string::npos) << v.header;

  // Unsigned, from a foreign address: SPF fails, DMARC fails, p=reject refuses.
  InboundRequest bad = good;
  bad.remote_address = "198.51.100.9";
  bad.raw = std::string(kMessage);
  v = testing::run(check_inbound(dns, settings, bad));
  EXPECT_EQ(v.spf.result, SpfResult::kFail);
  EXPECT_EQ(v.dmarc.result, DmarcResult::kFail);
  EXPECT_EQ(v.action, InboundVerdict::Action::kReject);
  EXPECT_NE(v.header.find("dkim=none"), std::string::npos) << v.header;
  EXPECT_NE(v.header.find("dmarc=fail (p=reject dis=reject"), std::string::npos) << v.header;
  settings.enforce = false;  // "mark": only the header
  v = testing::run(check_inbound(dns, settings, bad));
  EXPECT_EQ(v.action, InboundVerdict::Action::kAccept);
}

}  // namespace
}  // namespace taube::mailauth
