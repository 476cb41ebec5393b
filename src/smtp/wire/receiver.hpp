// CommandReceiver: frames the client's byte stream into command lines and
// parses them, incrementally and with PIPELINING (RFC 2920): feed it whatever
// arrived, get NeedMore, one Command or Invalid{reply}, and how many input
// bytes that took. Parses untrusted input before authentication; memory is
// bounded by Limits::max_auth_line_bytes. One instance per connection; not
// thread-safe. In DATA/BDAT mode the session feeds DataReceiver/BdatReceiver.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

#include "smtp/wire/command.hpp"
#include "smtp/wire/limits.hpp"

namespace taube::smtp::wire {

struct NeedMore {
  friend bool operator==(NeedMore, NeedMore) { return true; }
};

struct ReceiveStep {
  // Octets of this feed() call's input used; the caller drops them and feeds
  // the rest again. After a complete line, the rest is pipelined input.
  std::size_t consumed = 0;
  std::variant<NeedMore, Command, Invalid> result;

  // RFC 3207 4.2 / CVE-2011-0411: when `result` is STARTTLS and this is true,
  // the client pipelined data after STARTTLS; the session must discard it
  // (and may drop the connection) rather than act on it after the handshake.
  bool has_unconsumed_input = false;
};

// A raw line for a SASL exchange (RFC 4954 4): base64 or "*".
struct LineStep {
  std::size_t consumed = 0;
  std::variant<NeedMore, std::string, Invalid> result;
  bool has_unconsumed_input = false;
};

class CommandReceiver {
 public:
  explicit CommandReceiver(const Limits& limits) : limits_(limits) {}

  // Consumes input up to and including the first complete line (or all of it
  // when there is none) and parses that line. Line policy: CRLF ends a line;
  // a bare LF is accepted and reported (Tolerated::bare_lf) unless
  // Limits::accept_bare_lf_in_commands is false (500 5.5.2); a CR not
  // followed by LF, or a NUL, makes the line invalid (500 5.5.2). A line over
  // the limit yields one 500 5.5.2 "Line too long" and the rest of it, up to
  // its LF, is discarded without being buffered.
  ReceiveStep feed(std::string_view input, const ParseContext& context = {});

  // The same framing, for SASL continuation lines: returns the line without
  // its terminator, limited by Limits::max_auth_line_bytes.
  LineStep feed_line(std::string_view input);

  // Octets of an incomplete line held from earlier calls.
  std::size_t buffered_bytes() const { return buffer_.size(); }
  // Forgets any partial line (after STARTTLS, and on RSET is not needed).
  void reset();

 private:
  struct Framed {
    std::size_t consumed = 0;
    enum { kNeedMore, kLine, kInvalid } kind = kNeedMore;
    std::string_view line;  // valid until the next call
    bool bare_lf = false;
    Reply reply;
  };
  Framed frame(std::string_view input, bool raw);
  std::size_t line_limit(std::string_view prefix, bool raw) const;
  std::string head(std::string_view input) const;

  Limits limits_;
  std::string buffer_;
  bool discarding_ = false;  // inside an over-long line, up to its LF
};

}  // namespace taube::smtp::wire
