// Test support (test-only): runs client input through a Receiver, answering
// literals, and parses the one command it frames.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <variant>

#include "imap/wire/parser.hpp"
#include "imap/wire/receiver.hpp"
#include "imap/wire/test_support.hpp"

namespace taube::imap::wire::test {

// Frames exactly one command from `input` (which must hold it whole).
// Short inputs are also framed byte by byte and split at every offset; the
// transcripts must match the whole-input one.
inline std::variant<Command, Invalid> frame_and_parse(std::string_view input, const ParseContext& context = {}) {
  if (input.size() < 2000) {
    const auto whole = run_whole(context.limits, input);
    EXPECT_EQ(run_bytewise(context.limits, input), whole) << escape(input);
    for (std::size_t at = 1; at < input.size(); ++at)
      EXPECT_EQ(run(context.limits, {input.substr(0, at), input.substr(at)}), whole) << at << ": " << escape(input);
  }
  Receiver r(context.limits);
  while (true) {
    ReceiveStep step = r.feed(input);
    input.remove_prefix(step.consumed);
    if (auto* raw = std::get_if<RawCommand>(&step.result)) {
      EXPECT_TRUE(input.empty()) << "unconsumed input";
      return parse_command(*raw, context);
    }
    if (auto* invalid = std::get_if<Invalid>(&step.result)) return *invalid;
    if (std::holds_alternative<NeedMore>(step.result) && input.empty())
      return Invalid{Reply{"*", Status::kBad, "", "incomplete test input"}, false};
  }
}

template <class T>
T parse_as(std::string_view input, const ParseContext& context = {}) {
  auto result = frame_and_parse(input, context);
  if (auto* invalid = std::get_if<Invalid>(&result)) {
    ADD_FAILURE() << "rejected: " << format_reply(invalid->reply) << " for " << input;
    return T{};
  }
  const Command& cmd = std::get<Command>(result);
  const T* body = std::get_if<T>(&cmd.body);
  if (!body) {
    ADD_FAILURE() << "wrong command type " << cmd.body.index() << " for " << input;
    return T{};
  }
  return *body;
}

// The reply for rejected input ("" if it was accepted).
inline std::string rejection(std::string_view input, const ParseContext& context = {}) {
  auto result = frame_and_parse(input, context);
  if (auto* invalid = std::get_if<Invalid>(&result)) return format_reply(invalid->reply);
  return "";
}

}  // namespace taube::imap::wire::test
