// Crash test for the embedded store (the foundation's durability promise):
// a child process delivers messages from several concurrent coroutines and prints
// each Message-ID once its delivery was acknowledged (committed); the parent kills
// it with SIGKILL at a random moment, 50 times. Afterwards every acknowledged
// message is in the mailbox exactly once and `PRAGMA integrity_check` says ok.
//
// The same binary is the child when started with --child DB RUN.
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "store/sqlite/sqlite_store.hpp"

namespace asio = boost::asio;
using namespace taube;

namespace {

constexpr const char* kAddress = "crash@example.org";
constexpr int kWriters = 8;

template <class T>
Result<T> run_sync(asio::io_context& io, asio::awaitable<Result<T>> op) {
  std::optional<Result<T>> out;
  asio::co_spawn(io, std::move(op), [&](std::exception_ptr e, Result<T> r) {
    if (e) std::rethrow_exception(e);
    out.emplace(std::move(r));
  });
  io.restart();
  io.run();
  return std::move(*out);
}

std::unique_ptr<store::Store> open(const std::string& path) {
  store::sqlite::SqliteOptions options;
  options.path = path;
  auto s = store::sqlite::open_sqlite_store(options);
  if (!s) {
    std::fprintf(stderr, "open failed: %s\n", s.error().detail.c_str());
    std::exit(3);
  }
  return std::move(*s);
}

store::AccountId ensure_account(asio::io_context& io, store::Store& s) {
  auto found = run_sync(io, s.find_account(kAddress));
  if (found) return found->id;
  (void)run_sync(io, s.add_domain("example.org"));
  auto made = run_sync(io, s.create_account(kAddress, "x"));
  if (!made) {
    std::fprintf(stderr, "create_account failed: %s\n", made.error().detail.c_str());
    std::exit(3);
  }
  return made->id;
}

// Child: deliver forever; write "<message-id>\n" with one write(2) after each ack.
int child_main(const std::string& path, const std::string& run) {
  asio::io_context io;
  auto s = open(path);
  store::AccountId account = ensure_account(io, *s);
  for (int w = 0; w < kWriters; ++w) {
    asio::co_spawn(io, [&s, account, run, w]() -> asio::awaitable<void> {
      for (int n = 0;; ++n) {
        std::string id = "r" + run + "-w" + std::to_string(w) + "-" + std::to_string(n) + "@crash.test";
        store::Delivery d;
        d.raw = "Message-ID: <" + id + ">\r\nSubject: crash " + id + "\r\n\r\nbody " + id + "\r\n";
        d.meta.message_id = "<" + id + ">";
        d.meta.subject = "crash " + id;
        d.meta.headers = "Message-ID: <" + id + ">\r\nSubject: crash " + id + "\r\n";
        d.internal_date = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
        d.targets.push_back(store::DeliveryTarget{.account = account});
        auto r = co_await s->deliver(std::move(d));
        if (!r || r->size() != 1 || !(*r)[0]) {
          std::fprintf(stderr, "deliver failed\n");
          std::_Exit(4);
        }
        std::string line = id + "\n";
        if (::write(STDOUT_FILENO, line.data(), line.size()) != ssize_t(line.size())) std::_Exit(5);
      }
    }, asio::detached);
  }
  io.restart();  // run_sync above left it stopped
  io.run();
  return 0;
}

std::string self_path;

// Parent side of one round: start the child, let it run for `delay`, SIGKILL it,
// and return the Message-IDs it acknowledged (complete lines only).
std::vector<std::string> run_and_kill(const std::string& db, int round, std::chrono::milliseconds delay) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    std::string r = std::to_string(round);
    ::execl(self_path.c_str(), self_path.c_str(), "--child", db.c_str(), r.c_str(), nullptr);
    std::_Exit(127);
  }
  ::close(fds[1]);
  std::this_thread::sleep_for(delay);
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "child ended by itself (status " << status << "): it must still be delivering when killed";
  std::string out;
  char buf[65536];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, size_t(n));
  ::close(fds[0]);
  std::vector<std::string> ids;
  size_t start = 0;
  for (size_t nl; (nl = out.find('\n', start)) != std::string::npos; start = nl + 1)
    ids.push_back(out.substr(start, nl - start));
  return ids;
}

std::string integrity_check(const std::string& db) {
  sqlite3* h = nullptr;
  sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st, nullptr);
  std::string result;
  while (sqlite3_step(st) == SQLITE_ROW) result += reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(h);
  return result;
}

TEST(StoreCrash, KilledFiftyTimesLosesAndDuplicatesNothingAcknowledged) {
  char tmpl[] = "/tmp/taube-crash-XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  std::string db = dir + "/taube.db";
  {  // Create the account before the first kill, so every round delivers.
    asio::io_context io;
    auto s = open(db);
    ensure_account(io, *s);
  }
  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> delay_ms(60, 400);
  std::set<std::string> acknowledged;
  size_t rounds_with_acks = 0;
  for (int round = 0; round < 50; ++round) {
    auto ids = run_and_kill(db, round, std::chrono::milliseconds(delay_ms(rng)));
    if (!ids.empty()) ++rounds_with_acks;
    for (auto& id : ids) EXPECT_TRUE(acknowledged.insert(id).second) << "acknowledged twice: " << id;
  }
  ASSERT_GT(acknowledged.size(), 100u) << "too few deliveries to mean anything";
  EXPECT_GE(rounds_with_acks, 25u);

  EXPECT_EQ(integrity_check(db), "ok");
  asio::io_context io;
  auto s = open(db);
  store::AccountId account = ensure_account(io, *s);
  auto acc = s->account(account);
  auto inbox = run_sync(io, acc->get_mailbox(std::string("INBOX")));
  ASSERT_TRUE(inbox);
  auto meta = run_sync(io, acc->read_meta(inbox->id, store::all_uids()));
  ASSERT_TRUE(meta);
  std::map<std::string, int> present;
  for (auto& [uid, m] : *meta) ++present[m.message_id.substr(1, m.message_id.size() - 2)];
  size_t lost = 0, duplicated = 0;
  for (auto& id : acknowledged) {
    auto it = present.find(id);
    if (it == present.end()) ++lost;
  }
  for (auto& [id, count] : present) duplicated += size_t(count - 1);
  std::printf("crash-test: rounds=50 acknowledged=%zu present=%zu lost=%zu duplicated=%zu\n",
              acknowledged.size(), present.size(), lost, duplicated);
  EXPECT_EQ(lost, 0u);
  EXPECT_EQ(duplicated, 0u);
  // UIDs stay gap-free in order of commit: the highest UID equals the count.
  auto records = run_sync(io, acc->list_messages(inbox->id));
  ASSERT_TRUE(records);
  ASSERT_FALSE(records->empty());
  EXPECT_EQ(records->back().uid, records->size());
  s.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::strcmp(argv[1], "--child") == 0) return child_main(argv[2], argv[3]);
  self_path = std::filesystem::canonical("/proc/self/exe").string();
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
