// Receiver: frames a client's byte stream into IMAP commands (RFC 9051 2.2,
// 4.3; literals per RFC 7888 LITERAL+/LITERAL- and RFC 3516 literal8). Feed it
// whatever arrived; it answers NeedMore, NeedLiteral (send "+ " if it is
// synchronising), a RawCommand (tag, name, argument tokens with literals
// resolved) or Invalid{reply}. Parses untrusted input before authentication;
// memory is bounded by Limits. One instance per connection; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "imap/wire/limits.hpp"
#include "imap/wire/response.hpp"
#include "imap/wire/tokens.hpp"

namespace taube::imap::wire {

struct NeedMore {
  friend bool operator==(NeedMore, NeedMore) { return true; }
};

// A literal was announced and accepted. For a synchronising literal the
// session sends a continuation ("+ Ready") before feeding more input; for
// {n+} it sends nothing (RFC 7888).
struct NeedLiteral {
  std::uint64_t size = 0;
  bool synchronizing = true;
  bool binary = false;  // ~{n}
  friend bool operator==(const NeedLiteral&, const NeedLiteral&) = default;
};

struct RawCommand {
  std::string tag;
  std::string name;           // upper-cased ASCII, e.g. "UID"
  std::vector<Token> args;    // tokens after the name
};

// The reply to send. When close_connection is set the session sends it and
// closes: the client is sending a literal too large to discard.
struct Invalid {
  Reply reply;
  bool close_connection = false;
};

struct ReceiveStep {
  // Octets of this call's input used; the caller drops them and feeds the rest.
  std::size_t consumed = 0;
  std::variant<NeedMore, NeedLiteral, RawCommand, Invalid> result;
};

// A raw line (AUTHENTICATE continuation, IDLE's DONE), without its CRLF.
struct LineStep {
  std::size_t consumed = 0;
  std::variant<NeedMore, std::string, Invalid> result;
};

// Lexes one command's text segments and literals into tokens (exposed for
// tests and the fuzzer). `segments[i]` is followed by `literals[i]` when
// i < literals.size(). Returns false with `error` set on malformed input.
struct LexedLiteral {
  std::string data;
  bool binary = false;
};
bool lex_command(const std::vector<std::string>& segments, const std::vector<LexedLiteral>& literals,
                 const Limits& limits, std::vector<Token>& out, std::string& error);

// Tag syntax of RFC 9051 9: 1*<any ASTRING-CHAR except "+">, bounded by Limits.
bool is_valid_tag(std::string_view tag, const Limits& limits);

class Receiver {
 public:
  // Refers to `limits` (one copy per connection would be 88 bytes of every
  // idle session); REQUIRES: it outlives the Receiver.
  explicit Receiver(const Limits& limits) : limits_(limits) {}
  explicit Receiver(Limits&&) = delete;

  // Consumes input until one result is known. Lines end in CRLF; a bare LF is
  // tolerated. An empty line is ignored. Over-limit literal announcements are
  // refused before any literal octet is read: APPEND gets NO [TOOBIG], other
  // commands BAD [TOOBIG]. A refused synchronising literal is never sent by
  // the client, so the receiver expects a new command. A refused {n+} literal
  // is read and discarded (with the rest of that command, including further
  // {n+} literals) when it is at most max_discarded_literal_bytes; beyond
  // that Invalid::close_connection is set. A line over max_line_bytes yields
  // BAD and everything up to the next LF is discarded without buffering.
  ReceiveStep feed(std::string_view input);

  // Framing for a raw line, bounded by max_line_bytes.
  LineStep feed_line(std::string_view input);

  // True between a command's first octet and its end.
  bool in_command() const { return state_ != State::kLine || !line_.empty() || !segments_.empty(); }
  void reset();

 private:
  enum class State { kLine, kLiteral, kDiscardLine, kDiscardLiteral };
  Invalid refuse(Status status, std::string code, std::string text);
  ReceiveStep finish_line(std::size_t consumed);
  void start_discard();

  const Limits& limits_;
  State state_ = State::kLine;
  std::string line_;                   // current segment, without CR LF
  std::vector<std::string> segments_;  // completed segments (literal markers removed)
  std::vector<LexedLiteral> literals_;
  std::size_t line_total_ = 0;         // non-literal octets of this command so far
  std::uint64_t literal_total_ = 0;
  std::uint64_t remaining_ = 0;        // literal octets still to read or discard
  std::string tag_;                    // valid tag of the command being read, or "*"
  std::string name_;                   // upper-cased command name, once known
  std::string tail_;                   // last octets of a discarded line
  bool discard_reported_ = false;
};

}  // namespace taube::imap::wire
