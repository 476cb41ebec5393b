// The reply the wire layer itself decides on when input is malformed or over a
// limit (a tagged or untagged BAD/NO/BYE with an optional response code), and
// the status words of RFC 9051 7.1. Value types; the Writer formats them.
#pragma once

#include <string>
#include <string_view>

namespace taube::imap::wire {

enum class Status { kOk, kNo, kBad, kPreauth, kBye };

std::string_view to_string(Status status);

struct Reply {
  std::string tag = "*";  // "*" when the command's tag is unknown or invalid
  Status status = Status::kBad;
  std::string code;       // response code without brackets, e.g. "TOOBIG"; may be empty
  std::string text;       // human-readable; never contains CR or LF

  friend bool operator==(const Reply&, const Reply&) = default;
};

// "tag STATUS [CODE] text\r\n".
std::string format_reply(const Reply& reply);

}  // namespace taube::imap::wire
