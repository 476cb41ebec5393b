#include "smtp/wire/data_receiver.hpp"

#include <algorithm>
#include <utility>

namespace taube::smtp::wire {

DataReceiver::DataReceiver(const Limits& limits, Sink sink)
    : limits_(limits), sink_(std::move(sink)) {
  limits_.sink_chunk_bytes = std::max<std::size_t>(limits_.sink_chunk_bytes, 2);
  chunk_.reserve(limits_.sink_chunk_bytes);
}

void DataReceiver::flush() {
  if (chunk_.empty()) return;
  sink_(chunk_);
  chunk_.clear();
}

void DataReceiver::emit(char c) {
  ++outcome_.message_bytes;
  if (outcome_.message_bytes > limits_.max_message_bytes) {
    // Keep reading to the end marker, store nothing more (RFC 1870 6.3).
    outcome_.too_large = true;
    return;
  }
  chunk_.push_back(c);
  if (chunk_.size() >= limits_.sink_chunk_bytes) flush();
}

void DataReceiver::emit_line_end() {
  emit('\r');
  emit('\n');
}

// A line ended (its terminator has been counted in line_bytes_).
void DataReceiver::end_line() {
  line_bytes_ = 0;
  line_counted_long_ = false;
}

DataStep DataReceiver::feed(std::string_view input) {
  DataStep step;
  const std::uint64_t long_line =
      std::uint64_t{limits_.max_data_line_bytes} + limits_.data_line_tolerance_bytes;
  std::size_t i = 0;
  while (i < input.size() && state_ != State::kDone) {
    const char c = input[i];
    const auto u = static_cast<unsigned char>(c);
    if ((state_ == State::kCr || state_ == State::kDotCr) && c != '\n') {
      // A bare CR ends the line as stored; this octet starts the next line.
      ++outcome_.bare_cr;
      emit_line_end();
      end_line();
      after_crlf_ = false;
      state_ = State::kLineStart;
    }
    ++i;
    ++line_bytes_;
    if (line_bytes_ > long_line && !line_counted_long_) {
      line_counted_long_ = true;
      ++outcome_.long_lines;
    }
    if (u >= 0x80) outcome_.has_8bit = true;
    if (c == '\0') ++outcome_.nul_bytes;

    switch (state_) {
      case State::kLineStart:
        if (c == '.') {
          state_ = State::kDot;  // RFC 5321 4.5.2: drop the first "." of a line
          break;
        }
        [[fallthrough]];
      case State::kMid:
        if (c == '\r') {
          state_ = State::kCr;
        } else if (c == '\n') {
          ++outcome_.bare_lf;
          emit_line_end();
          end_line();
          after_crlf_ = false;
          state_ = State::kLineStart;
        } else {
          emit(c);
          state_ = State::kMid;
        }
        break;
      case State::kDot:
        if (c == '\r') {
          state_ = State::kDotCr;
        } else if (c == '\n') {
          // "." LF: never the end (smuggling); an empty line is stored.
          ++outcome_.bare_lf;
          emit_line_end();
          end_line();
          after_crlf_ = false;
          state_ = State::kLineStart;
        } else {
          emit(c);
          state_ = State::kMid;
        }
        break;
      case State::kDotCr:
      case State::kCr:  // c is LF (checked above)
        if (state_ == State::kDotCr && after_crlf_) {
          state_ = State::kDone;  // <CRLF>.<CRLF>
          break;
        }
        emit_line_end();
        end_line();
        after_crlf_ = true;
        state_ = State::kLineStart;
        break;
      case State::kDone:
        break;
    }
  }
  step.consumed = i;
  if (state_ == State::kDone) {
    // The terminating "." CRLF does not belong to the message.
    flush();
    step.done = true;
  }
  return step;
}

std::optional<Reply> data_rejection(const DataOutcome& outcome, const DataPolicy& policy) {
  if (outcome.too_large)
    return make_reply(552, "5.3.4", "Message size exceeds fixed maximum message size");
  if (policy.reject_bare_line_endings && (outcome.bare_lf > 0 || outcome.bare_cr > 0))
    return make_reply(550, "5.5.2", "Message contains bare CR or LF; use CRLF line endings");
  if (policy.reject_long_lines && outcome.long_lines > 0)
    return make_reply(552, "5.5.0", "Message has lines that are too long");
  if (policy.reject_nul && outcome.nul_bytes > 0)
    return make_reply(554, "5.6.0", "Message contains NUL octets");
  return std::nullopt;
}

}  // namespace taube::smtp::wire
