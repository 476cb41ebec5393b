#include "imap/server/deflate_transport.hpp"

#include <zlib.h>

#include <array>
#include <cstring>

namespace taube::imap::server {

using boost::asio::awaitable;

namespace {

class DeflateTransport final : public net::Transport {
 public:
  DeflateTransport() = default;
  void adopt(std::unique_ptr<net::Transport> inner, std::string received) {
    inner_ = std::move(inner);
    compressed_ = std::move(received);
  }
  ~DeflateTransport() override {
    if (deflate_ready_) deflateEnd(&out_);
    if (inflate_ready_) inflateEnd(&in_);
  }

  bool init() {
    std::memset(&out_, 0, sizeof out_);
    std::memset(&in_, 0, sizeof in_);
    // RFC 4978 2: raw deflate; negative window bits turn off the zlib header.
    deflate_ready_ = deflateInit2(&out_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK;
    inflate_ready_ = inflateInit2(&in_, -15) == Z_OK;
    return deflate_ready_ && inflate_ready_;
  }

  awaitable<std::size_t> read_some(char* buf, std::size_t size) override {
    for (;;) {
      if (pending_ < compressed_.size() || output_pending_) {
        in_.next_in = reinterpret_cast<Bytef*>(compressed_.data() + pending_);
        in_.avail_in = static_cast<uInt>(compressed_.size() - pending_);
        in_.next_out = reinterpret_cast<Bytef*>(buf);
        in_.avail_out = static_cast<uInt>(size);
        int rc = inflate(&in_, Z_SYNC_FLUSH);
        pending_ = compressed_.size() - in_.avail_in;
        std::size_t produced = size - in_.avail_out;
        // A full buffer: zlib may hold more output without further input.
        output_pending_ = in_.avail_out == 0;
        if (rc != Z_OK && rc != Z_BUF_ERROR && rc != Z_STREAM_END) co_return 0;  // corrupt stream
        if (pending_ == compressed_.size()) {
          compressed_.clear();
          pending_ = 0;
        }
        if (produced > 0) co_return produced;
        if (rc == Z_STREAM_END) co_return 0;
      }
      std::array<char, 512> raw;
      std::size_t n = co_await inner_->read_some(raw.data(), raw.size());
      if (n == 0) co_return 0;
      compressed_.append(raw.data(), n);
    }
  }

  awaitable<Readiness> wait_readable(std::chrono::steady_clock::time_point wake_at) override {
    if (pending_ < compressed_.size() || output_pending_) co_return Readiness::kReadable;
    co_return co_await inner_->wait_readable(wake_at);
  }
  void cancel_wait() override { inner_->cancel_wait(); }

  awaitable<bool> write(std::string_view bytes) override {
    std::string packed;
    std::array<char, 4096> chunk;
    out_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    out_.avail_in = static_cast<uInt>(bytes.size());
    do {
      out_.next_out = reinterpret_cast<Bytef*>(chunk.data());
      out_.avail_out = static_cast<uInt>(chunk.size());
      if (deflate(&out_, Z_SYNC_FLUSH) == Z_STREAM_ERROR) co_return false;
      packed.append(chunk.data(), chunk.size() - out_.avail_out);
    } while (out_.avail_out == 0 || out_.avail_in > 0);
    co_return co_await inner_->write(packed);
  }

  awaitable<bool> start_tls(std::shared_ptr<boost::asio::ssl::context>) override { co_return false; }
  void set_deadline(std::chrono::steady_clock::duration timeout) override { inner_->set_deadline(timeout); }
  bool timed_out() const override { return inner_->timed_out(); }
  bool is_tls() const override { return inner_->is_tls(); }
  const std::string& remote_address() const override { return inner_->remote_address(); }
  bool is_loopback() const override { return inner_->is_loopback(); }
  std::string tls_description() const override { return inner_->tls_description(); }
  void close() override { inner_->close(); }

 private:
  std::unique_ptr<net::Transport> inner_;
  z_stream out_{};
  z_stream in_{};
  bool deflate_ready_ = false;
  bool inflate_ready_ = false;
  std::string compressed_;  // received, not yet inflated
  std::size_t pending_ = 0;
  bool output_pending_ = false;  // the last inflate filled the caller's buffer
};

}  // namespace

std::unique_ptr<net::Transport> make_deflate_transport(std::unique_ptr<net::Transport>& inner,
                                                       std::string already_received) {
  auto t = std::make_unique<DeflateTransport>();
  if (!t->init()) return nullptr;
  t->adopt(std::move(inner), std::move(already_received));
  return t;
}

}  // namespace taube::imap::server
