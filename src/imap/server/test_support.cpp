#include "imap/server/test_support.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "auth/password.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace taube::imap::server::testing {

namespace asio = boost::asio;
using asio::awaitable;

awaitable<net::Transport::Readiness> FakeTransport::wait_readable(std::chrono::steady_clock::time_point wake_at) {
  if (closed_) co_return Readiness::kClosed;
  if (!script_.before_read) co_return Readiness::kReadable;
  const int n = reads_ + 1;
  auto executor = co_await asio::this_coro::executor;
  if (!hook_ || hook_->read != n) {
    hook_ = std::make_shared<Hook>();
    hook_->read = n;
    hook_->wake = std::make_unique<asio::steady_timer>(executor);
    auto run = [](awaitable<void> hook, std::shared_ptr<Hook> state) -> awaitable<void> {
      co_await std::move(hook);
      state->done = true;
      state->wake->cancel();
    };
    auto hook = script_.before_read(n, output_.get());
    auto op = run(std::move(hook), hook_);
    asio::co_spawn(executor, std::move(op), asio::detached);
  }
  std::shared_ptr<Hook> state = hook_;
  if (state->done) co_return Readiness::kReadable;
  state->wake->expires_at(wake_at);
  auto wait = state->wake->async_wait(asio::as_tuple(asio::use_awaitable));
  co_await std::move(wait);
  co_return state->done ? Readiness::kReadable : Readiness::kWoken;
}

void FakeTransport::cancel_wait() {
  if (hook_) hook_->wake->cancel();
}

awaitable<std::size_t> FakeTransport::read_some(char* buf, std::size_t size) {
  ++reads_;
  if (script_.before_read && !(hook_ && hook_->read == reads_)) {
    auto hook = script_.before_read(reads_, output_.get());
    co_await std::move(hook);
  }
  if (closed_ || reads_ == script_.fail_read_at || next_ >= script_.reads.size()) co_return 0;
  const std::string& chunk = script_.reads[next_];
  std::size_t n = std::min(size, chunk.size() - offset_);
  std::copy_n(chunk.data() + offset_, n, buf);
  offset_ += n;
  if (offset_ == chunk.size()) {
    ++next_;
    offset_ = 0;
  }
  co_return n;
}

awaitable<bool> FakeTransport::write(std::string_view bytes) {
  ++writes_;
  if (closed_ || writes_ == script_.fail_write_at) co_return false;
  output_->append(bytes);
  co_return true;
}

awaitable<bool> FakeTransport::start_tls(std::shared_ptr<asio::ssl::context>) {
  output_->append("[TLS]\r\n");  // marks the handshake in transcripts
  tls_ = true;
  co_return true;
}

template <class T>
T Harness::wait(awaitable<T> a) {
  auto future = asio::co_spawn(io_, std::move(a), asio::use_future);
  io_.restart();
  io_.run();
  return future.get();
}

Harness::Harness() {
  std::random_device rd;
  dir_ = std::filesystem::temp_directory_path() / ("imap-session-test-" + std::to_string(rd()));
  std::filesystem::create_directories(dir_);
  store::sqlite::SqliteOptions options;
  options.path = dir_ / "taube.db";
  auto opened = store::sqlite::open_sqlite_store(options);
  if (!opened) throw std::runtime_error("cannot open store: " + opened.error().detail);
  store_ = std::move(*opened);
  auth::ThrottlePolicy policy;
  policy.failure_delay = std::chrono::milliseconds(0);
  authenticator_ = std::make_unique<auth::Authenticator>(*store_, policy, 1);
  auth::HashParams cheap{.memory_kib = 64, .passes = 1, .lanes = 1};
  auto hash = auth::hash_password("pw", cheap);
  if (!hash) throw std::runtime_error("hash failed");
  auto setup = [](store::Store& s, std::string hash) -> awaitable<store::AccountId> {
    auto domain = co_await s.add_domain("example.org");
    if (!domain) throw std::runtime_error("add_domain failed");
    auto account = co_await s.create_account("a@example.org", std::move(hash));
    if (!account) throw std::runtime_error("create_account failed");
    co_return account->id;
  };
  auto task = setup(*store_, *hash);
  account_ = wait(std::move(task));
}

Harness::~Harness() {
  authenticator_.reset();
  store_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string Harness::run(Script script, Options options) {
  auto output = std::make_shared<std::string>();
  auto transport = std::make_unique<FakeTransport>(std::move(script), output);
  SessionServices services;
  services.store = store_.get();
  services.authenticator = authenticator_.get();
  services.tls_context = [] { return std::shared_ptr<asio::ssl::context>(); };
  auto session = run_session(std::move(transport), services, std::move(options));
  wait(std::move(session));
  return *output;
}

template void Harness::wait<void>(awaitable<void>);

awaitable<void> Harness::append_to_inbox(std::string subject) {
  auto account = store_->account(account_);
  auto inbox = co_await account->get_mailbox(std::string("INBOX"));
  if (!inbox) throw std::runtime_error("no INBOX");
  std::string raw = "Subject: " + subject + "\r\n\r\nbody\r\n";
  store::MessageMeta meta;
  meta.subject = subject;
  store::Flags flags;
  auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  auto delivered = co_await account->append(inbox->id, std::move(raw), std::move(meta), std::move(flags), now);
  if (!delivered) throw std::runtime_error("append failed");
}

Transcript load_transcript(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  Transcript t;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("C: ", 0) == 0) {
      t.client += line.substr(3) + "\r\n";
    } else if (line == "C:") {
      t.client += "\r\n";
    } else if (line.rfind("S: ", 0) == 0) {
      t.server.push_back(line.substr(3));
    }
  }
  return t;
}

std::string compare_transcript(const std::vector<std::string>& expected, const std::string& output) {
  std::vector<std::string> actual;
  std::size_t pos = 0;
  while (pos < output.size()) {
    std::size_t end = output.find("\r\n", pos);
    if (end == std::string::npos) end = output.size();
    actual.push_back(output.substr(pos, end - pos));
    pos = end + 2;
  }
  std::ostringstream diff;
  for (std::size_t i = 0; i < std::max(expected.size(), actual.size()); ++i) {
    const std::string want = i < expected.size() ? expected[i] : "<missing>";
    const std::string got = i < actual.size() ? actual[i] : "<missing>";
    std::string pattern;
    for (std::size_t j = 0; j < want.size(); ++j) {
      if (want.compare(j, 3, "<n>") == 0) {
        pattern += "[0-9]+";
        j += 2;
      } else if (want.compare(j, 3, "<*>") == 0) {
        pattern += ".*";
        j += 2;
      } else if (std::string_view("\\^$.|?*+()[]{}").find(want[j]) != std::string_view::npos) {
        pattern += '\\';
        pattern += want[j];
      } else {
        pattern += want[j];
      }
    }
    if (!std::regex_match(got, std::regex(pattern))) diff << "line " << i + 1 << ":\n  want: " << want << "\n  got:  " << got << "\n";
  }
  return diff.str();
}

}  // namespace taube::imap::server::testing
