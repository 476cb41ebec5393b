// SPF: the examples of RFC 7208 appendix A (A.1 simple, A.2 multiple domains,
// A.3 DNSBL style) and the macro examples of section 7.4, over canned DNS; plus
// the lookup limits of 4.6.4 and error results.
#include <gtest/gtest.h>

#include "mailauth/spf.hpp"
#include "mailauth/test_support.hpp"

namespace taube::mailauth {
namespace {

using testing::FakeResolver;

// The zone of RFC 7208 appendix A ("www" is a CNAME to example.com: its addresses).
void add_appendix_a_zone(FakeResolver& dns) {
  dns.add_mx("example.com", 10, "mail-a.example.com");
  dns.add_mx("example.com", 20, "mail-b.example.com");
  dns.add_a("example.com", "192.0.2.10");
  dns.add_a("example.com", "192.0.2.11");
  dns.add_a("amy.example.com", "192.0.2.65");
  dns.add_a("bob.example.com", "192.0.2.66");
  dns.add_a("mail-a.example.com", "192.0.2.129");
  dns.add_a("mail-b.example.com", "192.0.2.130");
  dns.add_a("www.example.com", "192.0.2.10");
  dns.add_a("www.example.com", "192.0.2.11");
  dns.add_mx("example.org", 10, "mail-c.example.org");
  dns.add_a("mail-c.example.org", "192.0.2.140");
  dns.add_ptr("192.0.2.10", "example.com");
  dns.add_ptr("192.0.2.11", "example.com");
  dns.add_ptr("192.0.2.65", "amy.example.com");
  dns.add_ptr("192.0.2.66", "bob.example.com");
  dns.add_ptr("192.0.2.129", "mail-a.example.com");
  dns.add_ptr("192.0.2.130", "mail-b.example.com");
  dns.add_ptr("192.0.2.140", "mail-c.example.org");
  dns.add_ptr("10.0.0.4", "bob.example.com");
}

SpfOutcome check(FakeResolver& dns, const std::string& ip, const std::string& sender,
                 const std::string& helo = "mx.example.net") {
  SpfRequest r;
  r.ip = *IpAddress::parse(ip);
  r.helo = helo;
  r.mail_from = sender;
  return testing::run(check_spf(dns, r));
}

struct A1Case {
  const char* record;
  std::vector<const char*> pass;
  std::vector<const char*> fail;
};

TEST(SpfAppendixA, SimpleExamplesA1) {
  const A1Case cases[] = {
      {"v=spf1 +all", {"192.0.2.10", "10.1.1.1", "172.168.0.1"}, {}},
      {"v=spf1 a -all", {"192.0.2.10", "192.0.2.11"}, {"192.0.2.12", "192.0.2.129"}},
      {"v=spf1 a:example.org -all", {}, {"192.0.2.10", "192.0.2.140"}},
      {"v=spf1 mx -all", {"192.0.2.129", "192.0.2.130"}, {"192.0.2.10", "192.0.2.140"}},
      {"v=spf1 mx:example.org -all", {"192.0.2.140"}, {"192.0.2.129"}},
      {"v=spf1 mx mx:example.org -all", {"192.0.2.129", "192.0.2.130", "192.0.2.140"}, {"192.0.2.12"}},
      {"v=spf1 mx/30 mx:example.org/30 -all",
       {"192.0.2.128", "192.0.2.131", "192.0.2.140", "192.0.2.143"},
       {"192.0.2.132", "192.0.2.144"}},
      {"v=spf1 ptr -all", {"192.0.2.65"}, {"192.0.2.140", "10.0.0.4"}},
      {"v=spf1 ip4:192.0.2.128/28 -all", {"192.0.2.129"}, {"192.0.2.65", "10.0.0.4"}},
  };
  for (const A1Case& c : cases) {
    FakeResolver dns;
    add_appendix_a_zone(dns);
    dns.add_txt("example.com", c.record);
    for (const char* ip : c.pass)
      EXPECT_EQ(check(dns, ip, "user@example.com").result, SpfResult::kPass) << c.record << " " << ip;
    for (const char* ip : c.fail)
      EXPECT_EQ(check(dns, ip, "user@example.com").result, SpfResult::kFail) << c.record << " " << ip;
  }
}

TEST(SpfAppendixA, MultipleDomainsA2) {
  FakeResolver dns;
  add_appendix_a_zone(dns);
  dns.add_txt("example.com", "v=spf1 mx -all");
  dns.add_txt("example.net", "v=spf1 ip4:198.51.100.0/24 -all");
  dns.add_txt("example.org", "v=spf1 include:example.com include:example.net -all");
  for (const char* sub : {"la.example.org", "ny.example.org", "sf.example.org"})
    dns.add_txt(sub, "v=spf1 redirect=example.org");
  EXPECT_EQ(check(dns, "192.0.2.129", "tom@sf.example.org").result, SpfResult::kPass);
  EXPECT_EQ(check(dns, "198.51.100.7", "tom@la.example.org").result, SpfResult::kPass);
  EXPECT_EQ(check(dns, "10.0.0.4", "tom@ny.example.org").result, SpfResult::kFail);
}

TEST(SpfAppendixA, DnsblStyleA3) {
  FakeResolver dns;
  add_appendix_a_zone(dns);
  dns.add_txt("example.com",
              "v=spf1 mx include:mobile-users._spf.%{d} include:remote-users._spf.%{d} -all");
  dns.add_txt("mobile-users._spf.example.com", "v=spf1 exists:%{l1r+}.%{d}");
  dns.add_txt("remote-users._spf.example.com", "v=spf1 exists:%{ir}.%{l1r+}.%{d}");
  dns.add_a("mary.mobile-users._spf.example.com", "127.0.0.2");
  dns.add_a("fred.mobile-users._spf.example.com", "127.0.0.2");
  dns.add_a("15.15.168.192.joel.remote-users._spf.example.com", "127.0.0.2");
  dns.add_a("16.15.168.192.joel.remote-users._spf.example.com", "127.0.0.2");
  EXPECT_EQ(check(dns, "192.168.15.15", "joel@example.com").result, SpfResult::kPass);
  EXPECT_EQ(check(dns, "192.168.15.16", "joel@example.com").result, SpfResult::kPass);
  EXPECT_EQ(check(dns, "192.168.15.17", "joel@example.com").result, SpfResult::kFail);
  EXPECT_EQ(check(dns, "198.51.100.1", "mary@example.com").result, SpfResult::kPass);
  EXPECT_EQ(check(dns, "198.51.100.1", "fred+x@example.com").result, SpfResult::kPass);
  EXPECT_EQ(check(dns, "198.51.100.1", "eve@example.com").result, SpfResult::kFail);
  EXPECT_EQ(check(dns, "192.0.2.130", "eve@example.com").result, SpfResult::kPass);  // mx
}

TEST(SpfMacros, ExamplesOfSection74) {
  MacroContext c;
  c.sender = "strong-bad@email.example.com";
  c.local_part = "strong-bad";
  c.sender_domain = "email.example.com";
  c.domain = "email.example.com";
  c.ip = *IpAddress::parse("192.0.2.3");
  const std::pair<const char*, const char*> cases[] = {
      {"%{s}", "strong-bad@email.example.com"},
      {"%{o}", "email.example.com"},
      {"%{d}", "email.example.com"},
      {"%{d4}", "email.example.com"},
      {"%{d3}", "email.example.com"},
      {"%{d2}", "example.com"},
      {"%{d1}", "com"},
      {"%{dr}", "com.example.email"},
      {"%{d2r}", "example.email"},
      {"%{l}", "strong-bad"},
      {"%{l-}", "strong.bad"},
      {"%{lr}", "strong-bad"},
      {"%{lr-}", "bad.strong"},
      {"%{l1r-}", "strong"},
      {"%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"},
      {"%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"},
      {"%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"},
      {"%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"},
      {"%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"},
      {"%%%_%-", "% %20"},
      {"%{S}", "strong-bad%40email.example.com"},
  };
  for (const auto& [macro, expected] : cases)
    EXPECT_EQ(expand_macros(macro, c).value_or("<error>"), expected) << macro;
  c.ip = *IpAddress::parse("2001:db8::cb01");
  EXPECT_EQ(expand_macros("%{ir}.%{v}._spf.%{d2}", c).value_or("<error>"),
            "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com");
  EXPECT_FALSE(expand_macros("%{d0}", c));
  EXPECT_FALSE(expand_macros("%{x}", c));
  EXPECT_FALSE(expand_macros("%{c}", c));  // explanation only
  EXPECT_FALSE(expand_macros("%x", c));
}

TEST(SpfRecordSyntax, RefusesWhatRfc7208Refuses) {
  std::string error;
  EXPECT_TRUE(parse_spf_record("v=spf1 a/24//64 mx:example.org/30 ip6:2001:db8::/32 -all", &error)) << error;
  EXPECT_TRUE(parse_spf_record("v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all", &error)) << error;
  EXPECT_TRUE(parse_spf_record("v=spf1 unknown-mod=foo.%{d} -all", &error)) << error;
  EXPECT_FALSE(parse_spf_record("v=spf1 ip4:192.0.2.1/33", &error));
  EXPECT_FALSE(parse_spf_record("v=spf1 ip4:2001:db8::1", &error));
  EXPECT_FALSE(parse_spf_record("v=spf1 foo:example.com", &error));
  EXPECT_FALSE(parse_spf_record("v=spf1 redirect=a.example redirect=b.example", &error));
  EXPECT_FALSE(parse_spf_record("v=spf1 include:", &error));
  EXPECT_FALSE(parse_spf_record("v=spf1 a:example.123", &error));
  EXPECT_FALSE(is_spf_record("v=spf10 -all"));
  EXPECT_TRUE(is_spf_record("V=SPF1"));
}

TEST(SpfEvaluation, ResultsForMissingBrokenAndDuplicateRecords) {
  FakeResolver dns;
  EXPECT_EQ(check(dns, "192.0.2.1", "a@nowhere.example").result, SpfResult::kNone);
  dns.add_txt("two.example", "v=spf1 -all");
  dns.add_txt("two.example", "v=spf1 +all");
  EXPECT_EQ(check(dns, "192.0.2.1", "a@two.example").result, SpfResult::kPermError);
  dns.add_txt("bad.example", "v=spf1 frobnicate -all");
  EXPECT_EQ(check(dns, "192.0.2.1", "a@bad.example").result, SpfResult::kPermError);
  dns.servfail("down.example");
  EXPECT_EQ(check(dns, "192.0.2.1", "a@down.example").result, SpfResult::kTempError);
  dns.add_txt("soft.example", "v=spf1 ?ip4:192.0.2.1 ~all");
  EXPECT_EQ(check(dns, "192.0.2.1", "a@soft.example").result, SpfResult::kNeutral);
  EXPECT_EQ(check(dns, "192.0.2.2", "a@soft.example").result, SpfResult::kSoftFail);
  dns.add_txt("noall.example", "v=spf1 ip4:192.0.2.1");
  EXPECT_EQ(check(dns, "192.0.2.9", "a@noall.example").result, SpfResult::kNeutral);
  dns.add_txt("v6.example", "v=spf1 ip6:2001:db8::/32 -all");
  EXPECT_EQ(check(dns, "2001:db8::5", "a@v6.example").result, SpfResult::kPass);
  EXPECT_EQ(check(dns, "::ffff:192.0.2.1", "a@soft.example").result, SpfResult::kNeutral);
  // The null reverse-path checks postmaster@HELO.
  dns.add_txt("helo.example", "v=spf1 ip4:192.0.2.7 -all");
  SpfOutcome helo = check(dns, "192.0.2.7", "", "helo.example");
  EXPECT_EQ(helo.result, SpfResult::kPass);
  EXPECT_EQ(helo.domain, "helo.example");
  EXPECT_EQ(check(dns, "192.0.2.7", "", "[192.0.2.7]").result, SpfResult::kNone);
  // include of a domain without a record, and redirect to one: permerror.
  dns.add_txt("inc.example", "v=spf1 include:nowhere.example -all");
  EXPECT_EQ(check(dns, "192.0.2.1", "a@inc.example").result, SpfResult::kPermError);
  dns.add_txt("red.example", "v=spf1 redirect=nowhere.example");
  EXPECT_EQ(check(dns, "192.0.2.1", "a@red.example").result, SpfResult::kPermError);
}

TEST(SpfEvaluation, TenLookupLimit) {
  FakeResolver dns;
  // l0 includes l1 ... l10 includes nothing: 11 includes in a chain.
  for (int i = 0; i < 11; ++i)
    dns.add_txt("l" + std::to_string(i) + ".example",
                "v=spf1 include:l" + std::to_string(i + 1) + ".example -all");
  dns.add_txt("l11.example", "v=spf1 +all");
  EXPECT_EQ(check(dns, "192.0.2.1", "a@l0.example").result, SpfResult::kPermError);
  // Ten are allowed.
  EXPECT_EQ(check(dns, "192.0.2.1", "a@l1.example").result, SpfResult::kPass);
  // ip4 and all cost nothing.
  std::string many = "v=spf1";
  for (int i = 0; i < 30; ++i) many += " ip4:10.0.0." + std::to_string(i);
  dns.add_txt("cheap.example", many + " -all");
  EXPECT_EQ(check(dns, "10.0.0.29", "a@cheap.example").result, SpfResult::kPass);
}

TEST(SpfEvaluation, VoidLookupLimit) {
  FakeResolver dns;
  dns.add_txt("void.example", "v=spf1 a:n1.example a:n2.example a:n3.example +all");
  EXPECT_EQ(check(dns, "192.0.2.1", "a@void.example").result, SpfResult::kPermError);
  dns.add_txt("void2.example", "v=spf1 a:n1.example a:n2.example +all");
  EXPECT_EQ(check(dns, "192.0.2.1", "a@void2.example").result, SpfResult::kPass);
}

TEST(SpfEvaluation, MoreThanTenMxNamesIsPermError) {
  FakeResolver dns;
  for (int i = 0; i < 11; ++i) dns.add_mx("bigmx.example", 10, "mx" + std::to_string(i) + ".example");
  dns.add_txt("bigmx.example", "v=spf1 mx -all");
  EXPECT_EQ(check(dns, "192.0.2.1", "a@bigmx.example").result, SpfResult::kPermError);
}

TEST(SpfEvaluation, StopsAtTheDeadline) {
  FakeResolver dns;
  dns.add_txt("slow.example", "v=spf1 a -all");
  SpfRequest r;
  r.ip = *IpAddress::parse("192.0.2.1");
  r.mail_from = "a@slow.example";
  r.deadline = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  EXPECT_EQ(testing::run(check_spf(dns, r)).result, SpfResult::kTempError);
  EXPECT_EQ(dns.queries(), 0);
}

}  // namespace
}  // namespace taube::mailauth
