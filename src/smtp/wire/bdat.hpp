// BdatReceiver: the octets of BDAT chunks (RFC 3030 2). Exactly n octets per
// chunk, taken raw: no dot-unstuffing, no end marker, no line handling, then
// the session returns to command mode. Counts the message over all chunks of
// one transaction against Limits::max_message_bytes; after an overflow it
// keeps consuming each announced chunk but stores nothing (RFC 3030 2, 552).
// Memory bounded by Limits::sink_chunk_bytes. One per transaction; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "smtp/wire/limits.hpp"

namespace taube::smtp::wire {

struct BdatStep {
  std::size_t consumed = 0;  // octets of this input used
  bool chunk_done = false;   // all n octets of the current chunk were consumed
};

class BdatReceiver {
 public:
  using Sink = std::function<void(std::string_view chunk)>;

  BdatReceiver(const Limits& limits, Sink sink);

  // Begins a chunk of `size` octets (BDAT size [LAST]). A chunk of 0 octets is
  // done at once (BDAT 0 LAST ends a message). REQUIRES: the previous chunk is done.
  void start_chunk(std::uint64_t size, bool last);

  // Consumes at most the octets still owed for the current chunk; the rest of
  // the input is the client's next command.
  BdatStep feed(std::string_view input);

  bool chunk_done() const { return remaining_ == 0; }
  bool last_chunk() const { return last_; }
  std::uint64_t message_bytes() const { return message_bytes_; }
  bool too_large() const { return too_large_; }
  std::size_t buffered_bytes() const { return chunk_.size(); }

 private:
  void flush();

  Limits limits_;
  Sink sink_;
  std::uint64_t remaining_ = 0;
  bool last_ = false;
  std::uint64_t message_bytes_ = 0;
  bool too_large_ = false;
  std::string chunk_;
};

}  // namespace taube::smtp::wire
