// DataReceiver: the DATA body after "354" (RFC 5321 4.1.1.4, 4.5.2). Removes
// dot-stuffing, ends ONLY at <CRLF>.<CRLF>, writes the message to a sink in
// chunks of at most Limits::sink_chunk_bytes, and counts what the session
// needs to accept or refuse it. Parses untrusted input; memory is bounded by
// the chunk size whatever the body's length. One instance per message; not
// thread-safe. See README.md for the bare CR / bare LF policy (SMTP smuggling).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "smtp/wire/limits.hpp"
#include "smtp/wire/reply.hpp"

namespace taube::smtp::wire {

// Everything the session needs to decide on the message once it has ended.
struct DataOutcome {
  std::uint64_t message_bytes = 0;  // as stored: unstuffed, line endings CRLF
  bool too_large = false;           // message_bytes > max_message_bytes; storing stopped
  std::uint64_t bare_lf = 0;        // LF not preceded by CR (stored as CRLF)
  std::uint64_t bare_cr = 0;        // CR not followed by LF (stored as CRLF)
  std::uint64_t nul_bytes = 0;      // NUL octets (stored as received)
  std::uint64_t long_lines = 0;     // lines over max_data_line_bytes + tolerance
  bool has_8bit = false;            // any octet >= 0x80 (matters for BODY=7BIT)

  friend bool operator==(const DataOutcome&, const DataOutcome&) = default;
};

struct DataStep {
  std::size_t consumed = 0;  // octets of this input used
  bool done = false;         // the end marker was consumed; outcome() is final
};

class DataReceiver {
 public:
  // Receives each stored chunk; called from feed(). The view is valid only
  // during the call. REQUIRES: sink is callable.
  using Sink = std::function<void(std::string_view chunk)>;

  DataReceiver(const Limits& limits, Sink sink);

  // Consumes input until the end marker (inclusive) or the end of input. After
  // done, the rest of the input is the client's next command (pipelined).
  // REQUIRES: !done() (a finished receiver consumes nothing).
  DataStep feed(std::string_view input);

  bool done() const { return state_ == State::kDone; }
  const DataOutcome& outcome() const { return outcome_; }
  // Octets held for the sink; never more than Limits::sink_chunk_bytes.
  std::size_t buffered_bytes() const { return chunk_.size(); }
  std::size_t buffer_capacity() const { return chunk_.capacity(); }

 private:
  enum class State {
    kLineStart,  // at the start of a line
    kMid,        // inside a line
    kCr,         // a CR was read; is it CRLF?
    kDot,        // a "." at the start of a line was read (and dropped)
    kDotCr,      // "." CR at the start of a line
    kDone,
  };
  void emit(char c);
  void emit_line_end();
  void end_line();
  void flush();

  Limits limits_;
  Sink sink_;
  State state_ = State::kLineStart;
  // The line now starting followed a real CRLF (or the DATA command's CRLF):
  // only then may "." CRLF end the message.
  bool after_crlf_ = true;
  std::uint64_t line_bytes_ = 0;  // wire octets of the current line
  bool line_counted_long_ = false;
  std::string chunk_;
  DataOutcome outcome_;
};

// What a session refuses beyond the size limit; the defaults accept what the
// receiver normalised (see README.md "Bare CR and bare LF").
struct DataPolicy {
  bool reject_bare_line_endings = false;  // 550 5.5.2
  bool reject_long_lines = false;         // 552 5.5.0
  bool reject_nul = false;                // 554 5.6.0
};

// The reply that refuses the message, or nullopt when the wire layer has no
// objection. Too large is always refused: 552 5.3.4 (RFC 1870 6.3).
std::optional<Reply> data_rejection(const DataOutcome& outcome, const DataPolicy& policy);

}  // namespace taube::smtp::wire
