// libFuzzer target for imap_wire: drives the Receiver and the command parser
// over arbitrary bytes as a session would (literals answered, refused
// commands skipped), checks that the framing does not depend on how the input
// is split, and round-trips modified UTF-7 and sequence sets.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "imap/wire/mutf7.hpp"
#include "imap/wire/parser.hpp"
#include "imap/wire/receiver.hpp"
#include "imap/wire/sequence_set.hpp"
#include "imap/wire/test_support.hpp"
#include "imap/wire/writer.hpp"

namespace wire = taube::imap::wire;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// Feeds `input` in pieces of `chunk` octets; parses each command.
std::vector<std::string> drive(const wire::ParseContext& context, std::string_view input, std::size_t chunk) {
  wire::Receiver receiver(context.limits);
  std::vector<std::string> transcript;
  while (!input.empty()) {
    std::string_view piece = input.substr(0, chunk);
    input.remove_prefix(piece.size());
    while (!piece.empty()) {
      wire::ReceiveStep step = receiver.feed(piece);
      check(step.consumed <= piece.size());
      piece.remove_prefix(step.consumed);
      if (std::holds_alternative<wire::NeedMore>(step.result)) {
        check(piece.empty());
        break;
      }
      transcript.push_back(wire::test::describe(step));
      if (auto* raw = std::get_if<wire::RawCommand>(&step.result)) {
        check(wire::is_valid_tag(raw->tag, context.limits));
        auto parsed = wire::parse_command(*raw, context);
        if (auto* invalid = std::get_if<wire::Invalid>(&parsed)) {
          const std::string reply = wire::format_reply(invalid->reply);
          check(reply.find('\n') == reply.size() - 1 && reply.find('\r') == reply.size() - 2);
          transcript.back() += " BAD";
        } else {
          const auto& cmd = std::get<wire::Command>(parsed);
          transcript.back() += " OK " + std::to_string(cmd.body.index());
          if (auto* fetch = std::get_if<wire::Fetch>(&cmd.body)) {
            auto again = wire::parse_sequence_set(wire::format_sequence_set(fetch->set), context.limits);
            check(again && *again == fetch->set);
          }
        }
      }
      if (auto* invalid = std::get_if<wire::Invalid>(&step.result); invalid && invalid->close_connection)
        return transcript;
    }
  }
  return transcript;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t flags = data[0];
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  wire::ParseContext context;
  context.utf8_names = flags & 1;
  context.limits.literal_minus_only = flags & 2;
  if (flags & 4) {  // small limits reach every refusal path
    context.limits.max_line_bytes = 64;
    context.limits.max_literal_bytes = 32;
    context.limits.max_argument_literal_bytes = 16;
    context.limits.max_command_literal_bytes = 48;
    context.limits.max_discarded_literal_bytes = 40;
    context.limits.max_depth = 4;
    context.limits.max_tokens = 24;
    context.limits.max_sequence_ranges = 4;
  }
  const std::size_t chunk = 1 + ((flags >> 3) & 7);
  const auto whole = drive(context, input, input.size() + 1);
  const auto split = drive(context, input, chunk);
  check(whole == split);

  // Strict modified UTF-7: whatever decodes re-encodes to the same octets.
  if (auto decoded = wire::decode_mutf7(input)) {
    auto encoded = wire::encode_mutf7(*decoded);
    check(encoded && *encoded == input);
  }
  if (auto encoded = wire::encode_mutf7(input)) {
    bool has_control = false;
    for (char c : input) has_control |= static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
    auto decoded = wire::decode_mutf7(*encoded);
    check(has_control ? !decoded : (decoded && *decoded == input));
  }
  if (input.size() < 256) {
    if (auto set = wire::parse_sequence_set(input, context.limits)) {
      auto again = wire::parse_sequence_set(wire::format_sequence_set(*set), context.limits);
      check(again && *again == *set);
    }
  }
  return 0;
}
