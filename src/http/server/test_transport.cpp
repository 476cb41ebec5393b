#include "http/server/test_transport.hpp"

#include <algorithm>

namespace taube::http::server::testing {

using boost::asio::awaitable;

awaitable<std::size_t> FakeTransport::read_some(char* buf, std::size_t size) {
  ++record_->reads;
  if (record_->closed || timed_out_) co_return 0;
  if (next_ >= script_.reads.size()) {
    timed_out_ = script_.timeout_at_end;
    co_return 0;
  }
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
  if (record_->closed || timed_out_ || writes_ == script_.fail_write_at) co_return false;
  record_->output.append(bytes);
  co_return true;
}

awaitable<bool> FakeTransport::start_tls(std::shared_ptr<boost::asio::ssl::context>) {
  co_return false;
}

}  // namespace taube::http::server::testing
