// libFuzzer target for the HTTP/1.1 request parser (untrusted input before
// authentication): arbitrary bytes, fed in chunks whose size the input chooses,
// must yield requests within the limits or one of the documented rejections, and
// the Basic credentials parser must never fail on any header value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "http/basic_auth.hpp"
#include "http/parser.hpp"

using namespace taube::http;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Limits limits{.max_header_bytes = 4096, .max_header_count = 50, .max_body_bytes = 65536};
  const size_t chunk = size_t(data[0] % 97) + 1;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  RequestParser parser(limits);
  size_t pos = 0;
  for (int steps = 0; steps < 100000; ++steps) {
    ParseEvent event = parser.next();
    if (std::holds_alternative<NeedMore>(event) || std::holds_alternative<ContinueExpected>(event)) {
      if (pos >= in.size()) break;
      parser.feed(in.substr(pos, chunk));
      pos += chunk;
      continue;
    }
    if (auto* request = std::get_if<Request>(&event)) {
      if (request->body.size() > limits.max_body_bytes) std::abort();
      if (request->version != 10 && request->version != 11) std::abort();
      if (auto auth = request->header("Authorization")) (void)parse_basic_authorization(*auth);
      continue;
    }
    const auto& invalid = std::get<Invalid>(event);
    if (invalid.status != 400 && invalid.status != 413 && invalid.status != 431 && invalid.status != 505)
      std::abort();
    // After Invalid the parser keeps answering the same.
    ParseEvent again = parser.next();
    if (!std::holds_alternative<Invalid>(again) || std::get<Invalid>(again).status != invalid.status)
      std::abort();
    break;
  }
  return 0;
}
