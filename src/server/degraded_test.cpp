#include "server/degraded.hpp"

#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <fstream>
#include <sstream>

#include "admin/admin.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace taube::server {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(AlertPolicy, AnnouncesEachChangeOnce) {
  AlertPolicy p(60s);
  const Clock::time_point t0{};
  EXPECT_EQ(p.observe(false, t0), std::nullopt);  // healthy at start: nothing to say
  EXPECT_EQ(p.observe(true, t0 + 1s), "degraded");
  EXPECT_EQ(p.observe(true, t0 + 2s), std::nullopt);
  EXPECT_EQ(p.observe(true, t0 + 100s), std::nullopt);
  EXPECT_EQ(p.observe(false, t0 + 101s), "recovered");
  EXPECT_EQ(p.observe(false, t0 + 200s), std::nullopt);
}

TEST(AlertPolicy, HoldsAChangeInsideTheIntervalUntilItEnds) {
  AlertPolicy p(60s);
  const Clock::time_point t0{};
  EXPECT_EQ(p.observe(true, t0), "degraded");
  EXPECT_EQ(p.observe(false, t0 + 10s), std::nullopt);  // rate-limited
  EXPECT_EQ(p.observe(false, t0 + 59s), std::nullopt);
  EXPECT_EQ(p.observe(false, t0 + 60s), "recovered");  // still true: announced now
}

TEST(AlertPolicy, NeverAnnouncesAFlapThatSettledBack) {
  AlertPolicy p(60s);
  const Clock::time_point t0{};
  EXPECT_EQ(p.observe(true, t0), "degraded");
  EXPECT_EQ(p.observe(false, t0 + 5s), std::nullopt);
  EXPECT_EQ(p.observe(true, t0 + 10s), std::nullopt);
  EXPECT_EQ(p.observe(true, t0 + 120s), std::nullopt);  // degraded all along, as announced
}

TEST(LocalDomainCache, AnswersFromTheLastReplacement) {
  LocalDomainCache c;
  EXPECT_FALSE(c.contains("example.org"));
  c.replace({"example.org", "example.net"});
  EXPECT_TRUE(c.contains("example.org"));
  c.replace({"example.net"});
  EXPECT_FALSE(c.contains("example.org"));
  EXPECT_TRUE(c.contains("example.net"));
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/taube-degraded-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(AlertCommand, GetsTheStateAsArgumentAndTheTextOnStdin) {
  TempDir dir;
  const std::string out = (dir.path() / "alert.txt").string();
  const std::string command = "sh -c 'echo \"$0\" >> " + out + "; cat >> " + out + "'";
  EXPECT_EQ(run_alert_command(command, "degraded", "store down"), 0);
  EXPECT_EQ(read_file(out), "degraded\nstore down\n");
  EXPECT_EQ(run_alert_command("exit 3 #", "recovered", ""), 3);
  // A command that ignores its stdin does not kill us with SIGPIPE (its status may
  // be lost with the broken pipe); the next alert still works.
  run_alert_command("true", "degraded", std::string(1 << 20, 'x'));
  EXPECT_EQ(run_alert_command(command, "recovered", "back"), 0);
  EXPECT_EQ(read_file(out), "degraded\nstore down\nrecovered\nback\n");
}

TEST(Webhook, RefusesAnythingButHttpAndReportsAnUnreachablePort) {
  EXPECT_EQ(post_webhook("https://127.0.0.1:1/", "{}").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(post_webhook("http://127.0.0.1:1/hook", "{}").error().code, ErrorCode::kUnavailable);
}

TEST(Webhook, PostsTheBodyAndReturnsTheStatus) {
  // A one-shot HTTP server on a loopback port chosen by the kernel.
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  socklen_t len = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  std::string request;
  std::thread server([&] {
    const int fd = ::accept(listener, nullptr, nullptr);
    char buf[4096];
    while (request.find("}") == std::string::npos) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      request.append(buf, static_cast<std::size_t>(n));
    }
    const std::string reply = "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n";
    ::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
    ::close(fd);
  });
  Result<int> status =
      post_webhook("http://127.0.0.1:" + std::to_string(port) + "/hook", R"({"state":"degraded"})");
  server.join();
  ::close(listener);
  ASSERT_TRUE(status) << status.error().detail;
  EXPECT_EQ(*status, 204);
  EXPECT_EQ(request.rfind("POST /hook HTTP/1.1\r\n", 0), 0u) << request;
  EXPECT_NE(request.find("Content-Type: application/json\r\n"), std::string::npos);
  EXPECT_NE(request.find("\r\n\r\n{\"state\":\"degraded\"}"), std::string::npos);
}

class ReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::sqlite::SqliteOptions so;
    so.path = dir_.path() / "taube.db";
    store_ = std::move(store::sqlite::open_sqlite_store(so).value());
    ASSERT_TRUE(run(admin::add_domain(*store_, "example.org")));
    ASSERT_TRUE(run(admin::add_user(*store_, "alice@example.org", "a-secret")));
    ASSERT_TRUE(run(admin::add_user(*store_, "bob@example.org", "b-secret")));
    spool_ = std::move(spool::Spool::open(dir_.path() / "spool", 1 << 20).value());
  }
  template <class T>
  Result<T> run(asio::awaitable<Result<T>> op) {
    std::optional<Result<T>> out;
    asio::co_spawn(io_, std::move(op), [&](std::exception_ptr e, Result<T> r) {
      if (e) std::rethrow_exception(e);
      out.emplace(std::move(r));
    });
    io_.restart();
    io_.run();
    return std::move(*out);
  }
  std::vector<std::string> inbox(const std::string& address) {
    std::vector<std::string> out;
    const auto id = run(store_->find_account(address)).value().id;
    auto a = store_->account(id);
    auto box = run(a->get_mailbox(std::string("INBOX"))).value();
    for (const auto& m : run(a->list_messages(box.id)).value())
      out.push_back(run(a->read_raw(box.id, m.uid)).value());
    return out;
  }

  TempDir dir_;
  asio::io_context io_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<spool::Spool> spool_;
};

TEST_F(ReplayTest, DeliversResolvedAndDeferredRecipientsOnceAndRemovesTheEntry) {
  spool::Entry e;
  e.sender = "carol@example.net";
  e.received = std::chrono::sys_seconds(1700000000s);
  e.accounts = {run(store_->find_account("alice@example.org")).value().id.value};
  // bob deferred at RCPT; alice twice (resolved and deferred): one copy each.
  e.addresses = {"bob@example.org", "alice@example.org", "nobody@example.org"};
  e.raw = "Subject: spooled\r\n\r\nhello\r\n";
  const std::string id = spool_->write(e).value();
  ASSERT_TRUE(run(replay_entry(*store_, *spool_, id)));
  const std::string stored = "X-Taube-Spool-Id: " + id + "\r\n" + e.raw;
  EXPECT_EQ(inbox("alice@example.org"), std::vector<std::string>{stored});
  EXPECT_EQ(inbox("bob@example.org"), std::vector<std::string>{stored});
  EXPECT_TRUE(spool_->list()->empty());
  EXPECT_EQ(run(replay_entry(*store_, *spool_, id)).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(inbox("alice@example.org").size(), 1u);
}

// A crash after the store's COMMIT and before the spool file is removed: the
// entry is replayed again after the restart and must not be delivered twice.
TEST_F(ReplayTest, ACrashBetweenCommitAndRemoveDoesNotDuplicate) {
  spool::Entry e;
  e.accounts = {run(store_->find_account("alice@example.org")).value().id.value};
  e.addresses = {"bob@example.org"};
  e.raw = "Subject: once\r\n\r\nbody\r\n";
  const std::string id = spool_->write(e).value();
  const auto file = dir_.path() / "spool" / ("msg." + id);
  const auto saved = dir_.path() / "saved";
  std::filesystem::copy_file(file, saved);
  ASSERT_TRUE(run(replay_entry(*store_, *spool_, id)));
  std::filesystem::copy_file(saved, file);  // as if the unlink never happened
  auto reopened = spool::Spool::open(dir_.path() / "spool", 1 << 20);
  ASSERT_TRUE(reopened);
  ASSERT_TRUE(run(replay_entry(*store_, **reopened, id)));
  EXPECT_TRUE((*reopened)->list()->empty());
  EXPECT_EQ(inbox("alice@example.org").size(), 1u);
  EXPECT_EQ(inbox("bob@example.org").size(), 1u);
}

// The same crash, but the user moved the copy out of INBOX before the replay:
// the idempotency key (not a search of INBOX) is what prevents the duplicate.
TEST_F(ReplayTest, ACrashThenAMoveOutOfInboxStillDoesNotDuplicate) {
  spool::Entry e;
  e.addresses = {"alice@example.org"};
  e.raw = "Subject: moved\r\n\r\nbody\r\n";
  const std::string id = spool_->write(e).value();
  const auto file = dir_.path() / "spool" / ("msg." + id);
  const auto saved = dir_.path() / "saved";
  std::filesystem::copy_file(file, saved);
  ASSERT_TRUE(run(replay_entry(*store_, *spool_, id)));
  const auto alice = run(store_->find_account("alice@example.org")).value().id;
  auto account = store_->account(alice);
  const auto inbox_id = run(account->get_mailbox(std::string("INBOX"))).value().id;
  const auto archive = run(account->get_mailbox(std::string("Archive"))).value().id;
  auto moved = run(account->move(inbox_id, store::all_uids(), archive));
  ASSERT_TRUE(moved);
  ASSERT_EQ(moved->source_uids.size(), 1u);
  std::filesystem::copy_file(saved, file);  // as if the unlink never happened
  auto reopened = spool::Spool::open(dir_.path() / "spool", 1 << 20);
  ASSERT_TRUE(reopened);
  ASSERT_TRUE(run(replay_entry(*store_, **reopened, id)));
  EXPECT_TRUE((*reopened)->list()->empty());
  EXPECT_TRUE(inbox("alice@example.org").empty());
  EXPECT_EQ(run(account->list_messages(archive)).value().size(), 1u);
}

TEST_F(ReplayTest, DropsAnEntryNobodyResolvesTo) {
  spool::Entry e;
  e.addresses = {"nobody@example.org"};
  e.raw = "Subject: x\r\n\r\n";
  const std::string id = spool_->write(e).value();
  ASSERT_TRUE(run(replay_entry(*store_, *spool_, id)));
  EXPECT_TRUE(spool_->list()->empty());
  EXPECT_TRUE(inbox("alice@example.org").empty());
}

}  // namespace
}  // namespace taube::server
