// Resolver and mail-host selection against a real authoritative server
// (tests/e2e/dnstest.py: unbound with local data on a free loopback port).
#include "dns/resolver.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <cstdio>
#include <sys/wait.h>

#include "dns/mail_hosts.hpp"

namespace taube::dns {
namespace {
namespace asio = boost::asio;

// Starts dnstest.py with the records; stops it (stdin closed) on destruction.
class TestDns {
 public:
  explicit TestDns(const std::string& json) {
    std::string cmd = std::string("/usr/bin/python3 ") + TAUBE_SOURCE_DIR + "/tests/e2e/dnstest.py serve '" + json + "'";
    int to_child[2], from_child[2];
    if (pipe(to_child) != 0 || pipe(from_child) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(to_child[0], 0);
      dup2(from_child[1], 1);
      close(to_child[1]);
      close(from_child[0]);
      execl("/bin/sh", "sh", "-c", cmd.c_str(), nullptr);
      _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    stdin_ = to_child[1];
    FILE* out = fdopen(from_child[0], "r");
    char line[128] = {};
    if (fgets(line, sizeof line, out)) address_ = std::string(line, strcspn(line, "\n"));
    fclose(out);
  }
  ~TestDns() {
    if (stdin_ >= 0) close(stdin_);
    if (pid_ > 0) waitpid(pid_, nullptr, 0);
  }
  const std::string& address() const { return address_; }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  std::string address_;
};

template <class T>
T run(asio::io_context& io, asio::awaitable<T> a) {
  auto fut = asio::co_spawn(io, std::move(a), asio::use_future);
  io.restart();
  io.run();
  return fut.get();
}

TEST(Resolver, LooksUpRecordsAtTheConfiguredServer) {
  TestDns dns(R"({"b.test": ["MX 20 mx2.b.test.", "MX 10 mx1.b.test."],
                  "mx1.b.test": ["A 127.0.0.1", "AAAA ::1"], "mx2.b.test": ["A 127.0.0.2"],
                  "t.b.test": ["TXT \"v=spf1 \" \"-all\""], "null.test": ["MX 0 ."],
                  "plain.test": ["A 127.0.0.3"]})");
  ASSERT_FALSE(dns.address().empty());
  asio::io_context io;
  auto r = Resolver::create(io.get_executor(), ResolverOptions{dns.address(), std::chrono::seconds(5), ""});
  ASSERT_TRUE(r) << r.error().detail;
  Resolver& res = **r;

  auto mx = run(io, res.mx("B.test."));
  ASSERT_EQ(mx.status, Status::kOk);
  ASSERT_EQ(mx.records.size(), 2u);

  auto a = run(io, res.a("mx1.b.test"));
  ASSERT_EQ(a.status, Status::kOk);
  ASSERT_EQ(a.records.size(), 1u);
  EXPECT_EQ(a.records[0].to_string(), "127.0.0.1");
  auto aaaa = run(io, res.aaaa("mx1.b.test"));
  ASSERT_EQ(aaaa.records.size(), 1u);
  EXPECT_EQ(aaaa.records[0].to_string(), "::1");

  auto txt = run(io, res.txt("t.b.test"));
  ASSERT_EQ(txt.records.size(), 1u);
  EXPECT_EQ(txt.records[0], "v=spf1 -all");

  EXPECT_EQ(run(io, res.a("nothing.b.test")).status, Status::kNxDomain);
  EXPECT_EQ(run(io, res.txt("mx2.b.test")).status, Status::kNoData);

  auto hosts = run(io, resolve_mail_hosts(res, "b.test"));
  ASSERT_TRUE(hosts) << hosts.error().detail;
  ASSERT_EQ(hosts->size(), 2u);
  EXPECT_EQ((*hosts)[0].name, "mx1.b.test");
  EXPECT_EQ((*hosts)[0].addresses.size(), 2u);
  EXPECT_EQ((*hosts)[1].name, "mx2.b.test");

  auto implicit = run(io, resolve_mail_hosts(res, "plain.test"));  // RFC 5321 5.1 implicit MX
  ASSERT_TRUE(implicit);
  ASSERT_EQ(implicit->size(), 1u);
  EXPECT_EQ((*implicit)[0].addresses[0].to_string(), "127.0.0.3");

  auto null_mx = run(io, resolve_mail_hosts(res, "null.test"));  // RFC 7505
  ASSERT_FALSE(null_mx);
  EXPECT_EQ(null_mx.error().code, ErrorCode::kPermissionDenied);

  auto none = run(io, resolve_mail_hosts(res, "none.b.test"));
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kNotFound);
}

TEST(Resolver, TimesOutWhenNobodyAnswers) {
  // A UDP port with nobody behind it: the resolver gets ICMP errors or silence,
  // either way the lookup ends within the deadline as a temporary failure.
  asio::io_context io;
  auto r = Resolver::create(io.get_executor(), ResolverOptions{"127.0.0.1:9", std::chrono::milliseconds(300), ""});
  ASSERT_TRUE(r);
  auto start = std::chrono::steady_clock::now();
  auto a = run(io, (*r)->a("x.test"));
  EXPECT_TRUE(a.temporary()) << to_string(a.status);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(Resolver, RejectsABadResolverAddress) {
  asio::io_context io;
  EXPECT_FALSE(Resolver::create(io.get_executor(), ResolverOptions{"not-an-ip", {}, ""}));
  EXPECT_FALSE(Resolver::create(io.get_executor(), ResolverOptions{"127.0.0.1:99999", {}, ""}));
}

}  // namespace
}  // namespace taube::dns
