// The only translation unit of the http module that includes Beast.
#include "http/parser.hpp"

#include <algorithm>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <iterator>
#include <limits>
#include <optional>

#include "base/ascii.hpp"

namespace taube::http {

namespace beast_http = boost::beast::http;

struct RequestParser::Impl {
  Limits limits;
  std::optional<beast_http::request_parser<beast_http::string_body>> parser;
  std::string pending;   // bytes not yet consumed by the parser
  bool started = false;  // the current request has consumed bytes
  bool header_checked = false;
  bool continue_reported = false;
  bool reset_due = true;
  std::optional<Invalid> failed;

  void reset() {
    parser.emplace();
    parser->eager(true);
    parser->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(limits.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    parser->body_limit(limits.max_body_bytes);
    started = header_checked = continue_reported = reset_due = false;
  }

  Invalid fail(int status, std::string reason) {
    failed = Invalid{status, std::move(reason)};
    pending.clear();
    return *failed;
  }

  // Checks made once the header is complete; nullopt when it is acceptable.
  std::optional<Invalid> check_header() {
    header_checked = true;
    const auto& msg = parser->get();
    std::size_t count = std::distance(msg.begin(), msg.end());
    if (count > limits.max_header_count)
      return fail(431, "header count " + std::to_string(count) + " over " +
                           std::to_string(limits.max_header_count));
    if (msg.version() != 10 && msg.version() != 11)
      return fail(505, "version " + std::to_string(msg.version()));
    // RFC 9112 3.2: a server MUST respond 400 to an HTTP/1.1 request without Host.
    if (msg.version() == 11 && msg.count(beast_http::field::host) != 1)
      return fail(400, "missing or repeated Host");
    if (msg.target().empty() || (msg.target()[0] != '/' && msg.target() != "*"))
      return fail(400, "request target not in origin form");
    return std::nullopt;
  }

  // Beast reports both "HTXP/1.1" and "HTTP/2.0" as bad_version; only the
  // second deserves 505 (RFC 9110 15.6.6). The request line is still in `pending`.
  bool well_formed_other_version() const {
    std::string_view line = std::string_view(pending).substr(0, pending.find("\r\n"));
    if (line.size() < 9) return false;
    std::string_view v = line.substr(line.size() - 9);
    return v.substr(0, 6) == " HTTP/" && ascii::is_digit(v[6]) && v[7] == '.' &&
           ascii::is_digit(v[8]);
  }

  Request take() {
    auto msg = parser->release();
    Request r;
    r.method = std::string(msg.method_string());
    r.target = std::string(msg.target());
    r.version = msg.version();
    for (const auto& f : msg)
      r.headers.push_back({std::string(f.name_string()), std::string(f.value())});
    r.body = std::move(msg.body());
    r.keep_alive = wants_keep_alive(r.version, r.headers);
    reset_due = true;
    return r;
  }
};

RequestParser::RequestParser(Limits limits) : impl_(std::make_unique<Impl>()) {
  impl_->limits = limits;
}

RequestParser::~RequestParser() = default;

void RequestParser::feed(std::string_view bytes) {
  if (!impl_->failed) impl_->pending.append(bytes);
}

bool RequestParser::has_partial() const {
  return !impl_->reset_due && (impl_->started || !impl_->pending.empty());
}

ParseEvent RequestParser::next() {
  Impl& m = *impl_;
  if (m.failed) return *m.failed;
  if (m.reset_due) m.reset();
  for (;;) {
    if (m.parser->is_header_done() && !m.header_checked) {
      if (auto bad = m.check_header()) return *bad;
    }
    if (m.parser->is_done()) return m.take();
    if (m.parser->is_header_done() && !m.continue_reported && m.parser->get().version() == 11) {
      auto expect = m.parser->get()[beast_http::field::expect];
      if (ascii::iequals(ascii::trim(expect), "100-continue") && m.pending.empty()) {
        m.continue_reported = true;
        return ContinueExpected{};
      }
    }
    if (m.pending.empty()) return NeedMore{};
    boost::beast::error_code ec;
    std::size_t n = m.parser->put(boost::asio::buffer(m.pending.data(), m.pending.size()), ec);
    m.pending.erase(0, n);
    if (n > 0) m.started = true;
    if (ec == beast_http::error::need_more) {
      if (n == 0 && !m.parser->is_header_done())
        return NeedMore{};  // an incomplete header stays buffered
      if (n == 0 && m.pending.size() > m.limits.max_header_bytes)
        return m.fail(400, "chunk line too long");
      if (n == 0) return NeedMore{};
      continue;
    }
    if (ec == beast_http::error::header_limit)
      return m.fail(431, "header over " + std::to_string(m.limits.max_header_bytes) + " bytes");
    if (ec == beast_http::error::body_limit)
      return m.fail(413, "body over " + std::to_string(m.limits.max_body_bytes) + " bytes");
    if (ec == beast_http::error::bad_version && m.well_formed_other_version())
      return m.fail(505, "unsupported HTTP version");
    if (ec) return m.fail(400, ec.message());
  }
}

}  // namespace taube::http
