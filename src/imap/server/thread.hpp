// RFC 5256 THREAD algorithms over message metadata: ORDEREDSUBJECT and
// REFERENCES (the JWZ algorithm). Pure functions: values in, the response's
// thread list ("(2)(3 6 (4 23)(44 7 96))") out. Used by THREAD.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace taube::imap::server {

struct ThreadMessage {
  std::uint32_t number = 0;  // what the response shows (seq or UID)
  std::uint32_t seq = 0;     // ties in date order
  std::int64_t date = 0;     // sent date (internal date when missing)
  std::string base_subject;  // RFC 5256 2.1, case-folded
  bool is_reply = false;     // the subject had "Re:", "Fwd:" or similar before the base
  std::string message_id;
  std::string in_reply_to;
  std::string references;
};

// RFC 5256 2.1: whether extracting the base subject removed a reply/forward marker.
bool is_reply_subject(std::string_view subject);

std::string thread_ordered_subject(std::vector<ThreadMessage> messages);
std::string thread_references(std::vector<ThreadMessage> messages);

}  // namespace taube::imap::server
