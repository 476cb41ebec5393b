// Test-only: an in-memory net::Transport for HTTP session tests. Scripted client
// chunks (one per read_some), captured output, the deadlines the session set, an
// optional timeout when the script runs out, failure of the Nth write. No sockets.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "net/transport.hpp"

namespace taube::http::server::testing {

struct Script {
  std::vector<std::string> reads;  // each chunk is returned by one read_some
  bool timeout_at_end = false;     // after the last chunk: time out instead of EOF
  int fail_write_at = 0;           // 1-based; 0 = never
};

// What the session did, readable after the transport is gone.
struct Record {
  std::string output;
  std::vector<std::chrono::milliseconds> deadlines;
  int reads = 0;  // read_some calls
  bool closed = false;
};

class FakeTransport final : public net::Transport {
 public:
  FakeTransport(Script script, std::shared_ptr<Record> record)
      : script_(std::move(script)), record_(std::move(record)) {}

  boost::asio::awaitable<std::size_t> read_some(char* buf, std::size_t size) override;
  boost::asio::awaitable<bool> write(std::string_view bytes) override;
  boost::asio::awaitable<bool> start_tls(std::shared_ptr<boost::asio::ssl::context>) override;
  void set_deadline(std::chrono::steady_clock::duration timeout) override {
    record_->deadlines.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(timeout));
  }
  bool timed_out() const override { return timed_out_; }
  bool is_tls() const override { return false; }
  const std::string& remote_address() const override { return address_; }
  bool is_loopback() const override { return true; }
  std::string tls_description() const override { return ""; }
  void close() override { record_->closed = true; }

 private:
  Script script_;
  std::shared_ptr<Record> record_;
  std::size_t next_ = 0;
  std::size_t offset_ = 0;
  int writes_ = 0;
  bool timed_out_ = false;
  std::string address_ = "127.0.0.1";
};

}  // namespace taube::http::server::testing
