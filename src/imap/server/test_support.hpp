// Test-only: an in-memory net::Transport (scripted client bytes, captured
// server output, failure of the Nth read or write) and a harness that runs an
// IMAP session against a real SQLite store in a temporary directory with one
// account. No sockets, no sleeps. Used by session_test.cpp only.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "auth/authenticator.hpp"
#include "imap/server/session.hpp"
#include "net/transport.hpp"
#include "store/store.hpp"

namespace taube::imap::server::testing {

struct Script {
  std::vector<std::string> reads;  // each chunk is returned by one read_some
  int fail_read_at = 0;            // 1-based; 0 = never
  int fail_write_at = 0;
  bool tls = false;
  bool loopback = true;
  // Runs before read number n (1-based) returns, while the session waits for
  // input: lets a test commit a change "while the client is idle".
  // `output` is what the session has written so far.
  std::function<boost::asio::awaitable<void>(int n, const std::string* output)> before_read;
};

class FakeTransport final : public net::Transport {
 public:
  FakeTransport(Script script, std::shared_ptr<std::string> output)
      : script_(std::move(script)), output_(std::move(output)), tls_(script_.tls) {}

  boost::asio::awaitable<std::size_t> read_some(char* buf, std::size_t size) override;
  // Runs the next read's before_read hook here, where the session may end the
  // wait early (cancel_wait) and come back: the hook runs once, beside it.
  boost::asio::awaitable<Readiness> wait_readable(std::chrono::steady_clock::time_point wake_at) override;
  void cancel_wait() override;
  boost::asio::awaitable<bool> write(std::string_view bytes) override;
  boost::asio::awaitable<bool> start_tls(std::shared_ptr<boost::asio::ssl::context>) override;
  void set_deadline(std::chrono::steady_clock::duration) override {}
  bool timed_out() const override { return false; }
  bool is_tls() const override { return tls_; }
  const std::string& remote_address() const override { return address_; }
  bool is_loopback() const override { return script_.loopback; }
  std::string tls_description() const override { return tls_ ? "fake TLS" : ""; }
  void close() override { closed_ = true; }

 private:
  // The before_read hook started by wait_readable() for read number `read`.
  struct Hook {
    int read = 0;
    bool done = false;
    std::unique_ptr<boost::asio::steady_timer> wake;
  };
  Script script_;
  std::shared_ptr<Hook> hook_;
  std::shared_ptr<std::string> output_;
  std::size_t next_ = 0;
  std::size_t offset_ = 0;
  int reads_ = 0;
  int writes_ = 0;
  bool tls_;
  bool closed_ = false;
  std::string address_ = "127.0.0.1";
};

// A fresh store with domain example.org and account a@example.org / "pw".
class Harness {
 public:
  Harness();
  ~Harness();
  // Runs one session over `script` to its end; returns everything it wrote.
  std::string run(Script script, Options options = {});
  // Runs an awaitable on the harness's io_context to completion.
  template <class T>
  T wait(boost::asio::awaitable<T> a);
  store::Store& store() { return *store_; }
  // Appends a small message to INBOX through the store (another "client").
  boost::asio::awaitable<void> append_to_inbox(std::string subject);
  store::AccountId account() const { return account_; }

 private:
  std::filesystem::path dir_;
  boost::asio::io_context io_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  store::AccountId account_;
};

// Reads a golden transcript: "C: " lines are client input (CRLF added), "S: "
// lines the expected output, where "<n>" matches a number and "<*>" any text.
struct Transcript {
  std::string client;
  std::vector<std::string> server;
};
Transcript load_transcript(const std::filesystem::path& file);
// Empty when `output` matches; otherwise a readable diff.
std::string compare_transcript(const std::vector<std::string>& expected, const std::string& output);

}  // namespace taube::imap::server::testing
