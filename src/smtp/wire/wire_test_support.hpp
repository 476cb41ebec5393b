// Test support for smtp_wire tests (test-only; not part of the library): a
// miniature session loop that drives CommandReceiver, DataReceiver and
// BdatReceiver over input cut into pieces, and renders what happened as a
// transcript, so the same input can be compared across every split.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/wire/bdat.hpp"
#include "smtp/wire/data_receiver.hpp"
#include "smtp/wire/receiver.hpp"

namespace taube::smtp::wire::test {

inline std::string escape(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\r')
      out += "\\r";
    else if (c == '\n')
      out += "\\n";
    else if (c == '\\')
      out += "\\\\";
    else if (u < 0x20 || u >= 0x7f) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else
      out += c;
  }
  return out;
}

inline std::string describe(const Command& c) {
  std::string s(to_string(c.verb));
  if (c.verb == Verb::kMail || c.verb == Verb::kRcpt)
    s += " <" + (c.path.null ? std::string() : c.path.mailbox.address()) + ">";
  if (!c.argument.empty()) s += " arg=" + escape(c.argument);
  if (c.verb == Verb::kBdat) s += " " + std::to_string(c.bdat_size) + (c.bdat_last ? " LAST" : "");
  if (c.mail_params.size) s += " size=" + std::to_string(*c.mail_params.size);
  if (c.tolerated.bare_lf) s += " (bare-lf)";
  return s;
}

inline std::string describe(const Invalid& i) { return "INVALID " + escape(format_reply(i.reply)); }

inline std::string describe(const DataOutcome& o) {
  return "bytes=" + std::to_string(o.message_bytes) + (o.too_large ? " too-large" : "") +
         " bare_lf=" + std::to_string(o.bare_lf) + " bare_cr=" + std::to_string(o.bare_cr) +
         " nul=" + std::to_string(o.nul_bytes) + " long=" + std::to_string(o.long_lines) +
         (o.has_8bit ? " 8bit" : "");
}

// Cuts `input` at the given offsets (ascending) into pieces.
inline std::vector<std::string_view> cut(std::string_view input,
                                         const std::vector<std::size_t>& at) {
  std::vector<std::string_view> pieces;
  std::size_t prev = 0;
  for (std::size_t a : at) {
    pieces.push_back(input.substr(prev, a - prev));
    prev = a;
  }
  pieces.push_back(input.substr(prev));
  return pieces;
}

// Runs a session loop over the pieces: commands, DATA bodies, BDAT chunks.
// Every DATA/BDAT message appears as one "MESSAGE ..." transcript line.
inline std::vector<std::string> drive(const std::vector<std::string_view>& pieces,
                                      const Limits& limits = {}) {
  std::vector<std::string> transcript;
  CommandReceiver rx(limits);
  std::string stored;
  std::optional<DataReceiver> data;
  std::optional<BdatReceiver> bdat;
  auto sink = [&](std::string_view chunk) {
    EXPECT_LE(chunk.size(), limits.sink_chunk_bytes);
    stored.append(chunk);
  };
  for (std::string_view piece : pieces) {
    while (!piece.empty()) {
      std::size_t consumed = 0;
      if (data) {
        const DataStep step = data->feed(piece);
        consumed = step.consumed;
        if (step.done) {
          transcript.push_back("MESSAGE " + escape(stored) + " " + describe(data->outcome()));
          stored.clear();
          data.reset();
        }
      } else if (bdat && !bdat->chunk_done()) {
        const BdatStep step = bdat->feed(piece);
        consumed = step.consumed;
        if (step.chunk_done && bdat->last_chunk()) {
          transcript.push_back("MESSAGE " + escape(stored) +
                               " bytes=" + std::to_string(bdat->message_bytes()));
          stored.clear();
          bdat.reset();
        }
      } else {
        ReceiveStep step = rx.feed(piece);
        consumed = step.consumed;
        EXPECT_LE(rx.buffered_bytes(), limits.max_auth_line_bytes);
        if (auto* c = std::get_if<Command>(&step.result)) {
          transcript.push_back(describe(*c));
          if (c->verb == Verb::kData) data.emplace(limits, sink);
          if (c->verb == Verb::kBdat) {
            if (!bdat) bdat.emplace(limits, sink);
            bdat->start_chunk(c->bdat_size, c->bdat_last);
            if (c->bdat_size == 0 && c->bdat_last) {
              transcript.push_back("MESSAGE " + escape(stored) +
                                   " bytes=" + std::to_string(bdat->message_bytes()));
              stored.clear();
              bdat.reset();
            }
          }
        } else if (auto* inv = std::get_if<Invalid>(&step.result)) {
          transcript.push_back(describe(*inv));
        }
      }
      EXPECT_GT(consumed, 0u) << "no progress";
      EXPECT_LE(consumed, piece.size());
      if (consumed == 0) return transcript;
      piece.remove_prefix(consumed);
    }
  }
  return transcript;
}

inline std::vector<std::string> drive_whole(std::string_view input, const Limits& limits = {}) {
  return drive({input}, limits);
}

// The transcript for `input` must not depend on how it is cut: checks one
// byte at a time and every single cut point against the whole input.
inline void expect_split_invariant(std::string_view input, const Limits& limits = {}) {
  const std::vector<std::string> whole = drive_whole(input, limits);
  std::vector<std::size_t> every;
  for (std::size_t i = 1; i < input.size(); ++i) every.push_back(i);
  EXPECT_EQ(drive(cut(input, every), limits), whole) << "byte at a time";
  for (std::size_t i = 1; i < input.size(); ++i)
    ASSERT_EQ(drive(cut(input, {i}), limits), whole) << "split at " << i;
}

}  // namespace taube::smtp::wire::test
