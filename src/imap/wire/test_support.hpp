// Test support for imap_wire tests (test-only): drives a Receiver over input
// cut into pieces, answering literals as a session would, and renders every
// result as one transcript line so that all splits can be compared.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "imap/wire/receiver.hpp"

namespace taube::imap::wire::test {

inline std::string escape(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\r') out += "\\r";
    else if (c == '\n') out += "\\n";
    else if (u < 0x20 || u >= 0x7f) { out += "\\x"; out += kHex[u >> 4]; out += kHex[u & 15]; }
    else out += c;
  }
  return out;
}

inline std::string describe(const Token& t) {
  switch (t.kind) {
    case TokenKind::kAtom: return t.text;
    case TokenKind::kQuoted: return "\"" + escape(t.text) + "\"";
    case TokenKind::kLiteral: return "{" + escape(t.text) + "}";
    case TokenKind::kLiteral8: return "~{" + escape(t.text) + "}";
    case TokenKind::kListOpen: return "(";
    case TokenKind::kListClose: return ")";
  }
  return "?";
}

inline std::string describe(const ReceiveStep& step) {
  if (std::holds_alternative<NeedLiteral>(step.result)) {
    const auto& l = std::get<NeedLiteral>(step.result);
    return "LITERAL " + std::to_string(l.size) + (l.synchronizing ? " sync" : " nonsync") + (l.binary ? " binary" : "");
  }
  if (std::holds_alternative<RawCommand>(step.result)) {
    const auto& c = std::get<RawCommand>(step.result);
    std::string s = "CMD " + c.tag + " " + c.name;
    for (const auto& t : c.args) s += " " + describe(t);
    return s;
  }
  if (std::holds_alternative<Invalid>(step.result)) {
    const auto& i = std::get<Invalid>(step.result);
    return "INVALID " + escape(format_reply(i.reply)) + (i.close_connection ? " close" : "");
  }
  return "NEEDMORE";
}

// Feeds `pieces` in order; records every non-NeedMore result.
inline std::vector<std::string> run(const Limits& limits, const std::vector<std::string_view>& pieces) {
  Receiver r(limits);
  std::vector<std::string> out;
  for (std::string_view p : pieces) {
    while (!p.empty()) {
      ReceiveStep step = r.feed(p);
      p.remove_prefix(step.consumed);
      if (!std::holds_alternative<NeedMore>(step.result)) out.push_back(describe(step));
      else if (step.consumed == 0) break;
    }
  }
  return out;
}

inline std::vector<std::string> run_whole(const Limits& limits, std::string_view input) {
  return run(limits, {input});
}

inline std::vector<std::string> run_bytewise(const Limits& limits, std::string_view input) {
  std::vector<std::string_view> pieces;
  for (std::size_t i = 0; i < input.size(); ++i) pieces.push_back(input.substr(i, 1));
  return run(limits, pieces);
}

}  // namespace taube::imap::wire::test
