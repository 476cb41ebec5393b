// An incremental (sans-I/O) HTTP/1.1 request parser with limits: bytes in, events
// out. It wraps Beast's request_parser so that only parser.cpp includes Beast.
// The session feeds what it read and calls next() until NeedMore; pipelined
// requests stay buffered for the following next(). Parses untrusted input before
// authentication: memory is bounded by max_header_bytes + max_body_bytes + one read.
// One parser per connection, used from one coroutine at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "http/message.hpp"

namespace taube::http {

struct Limits {
  std::size_t max_header_bytes = 16 * 1024;    // request line + fields; 431 beyond
  std::size_t max_header_count = 100;          // fields; 431 beyond
  std::uint64_t max_body_bytes = 10ull << 20;  // decoded body, chunked or not; 413 beyond
};

// More bytes are needed before anything can be said.
struct NeedMore {};
// The header asked for "Expect: 100-continue" (RFC 9110 10.1.1) and the body has
// not arrived: send "100 Continue" and read on. Reported at most once per request.
struct ContinueExpected {};
// The request cannot be served; answer `status` (400, 413, 431, 505) with
// Connection: close and stop reading. `reason` is for the log only.
struct Invalid {
  int status = 400;
  std::string reason;
};

using ParseEvent = std::variant<NeedMore, ContinueExpected, Request, Invalid>;

class RequestParser {
 public:
  explicit RequestParser(Limits limits = {});
  ~RequestParser();
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  // Appends bytes read from the peer. Call only after next() said NeedMore or
  // ContinueExpected (that keeps the buffer bounded).
  void feed(std::string_view bytes);
  // The next event. After Invalid every call returns the same Invalid.
  ParseEvent next();
  // True when part of a request has arrived (for 408 on a read timeout).
  bool has_partial() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace taube::http
