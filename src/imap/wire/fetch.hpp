// FETCH items (RFC 9051 6.4.5, RFC 3501 6.4.5, RFC 3516 BINARY, RFC 7162
// MODSEQ, RFC 8514 SAVEDATE, RFC 8474 EMAILID/THREADID, RFC 8970 PREVIEW):
// macros expanded, body sections and partials parsed from untrusted tokens.
// Value types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "imap/wire/limits.hpp"
#include "imap/wire/tokens.hpp"

namespace taube::imap::wire {

enum class FetchAttribute {
  kEnvelope, kFlags, kInternalDate, kRfc822, kRfc822Header, kRfc822Size, kRfc822Text,
  kBody,           // BODY without section: BODYSTRUCTURE without extension data
  kBodyStructure, kUid,
  kBodySection,    // BODY[...] / BODY.PEEK[...]
  kBinary,         // BINARY[...] / BINARY.PEEK[...]
  kBinarySize,     // BINARY.SIZE[...]
  kModSeq, kSaveDate, kEmailId, kThreadId, kPreview,
};

enum class SectionText { kNone, kHeader, kHeaderFields, kHeaderFieldsNot, kText, kMime };

struct Section {
  std::vector<std::uint32_t> part;  // "1.2.3"; empty = the whole message
  SectionText text = SectionText::kNone;
  std::vector<std::string> fields;  // HEADER.FIELDS[.NOT], upper-cased
  friend bool operator==(const Section&, const Section&) = default;
};

struct Partial {
  std::uint32_t offset = 0;
  std::uint32_t length = 0;  // nz-number
  friend bool operator==(const Partial&, const Partial&) = default;
};

struct FetchItem {
  FetchAttribute attribute = FetchAttribute::kFlags;
  Section section;
  bool peek = false;
  std::optional<Partial> partial;
  bool lazy = false;  // PREVIEW (LAZY)
  friend bool operator==(const FetchItem&, const FetchItem&) = default;
};

// Reads a fetch-att, a macro (ALL, FAST, FULL) or a parenthesised list of
// fetch-atts, appending to `out`. Returns false with `error` set on bad input.
bool parse_fetch_items(TokenCursor& cursor, const Limits& limits, std::vector<FetchItem>& out,
                       std::string& error);

}  // namespace taube::imap::wire
