// Sequence sets (RFC 9051 9: sequence-set, seq-range, "*"; RFC 5182 "$"):
// parsing untrusted client text into ranges, bounded by Limits, and compact
// output formatting for VANISHED, ESEARCH, MODIFIED, COPYUID. Pure values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imap/wire/limits.hpp"

namespace taube::imap::wire {

// "*" is stored as 0, which is never a valid seq-number or UID on the wire.
inline constexpr std::uint32_t kStar = 0;

struct SequenceRange {
  std::uint32_t first = 1;
  std::uint32_t last = 1;  // may be less than first ("*:4" and "5:2" are valid)
  friend bool operator==(const SequenceRange&, const SequenceRange&) = default;
};

struct SequenceSet {
  std::vector<SequenceRange> ranges;
  bool saved = false;  // "$": the result saved by SEARCH RETURN (SAVE) (RFC 5182)

  // Whether `n` is in the set when "*" stands for `largest`. REQUIRES: !saved.
  bool contains(std::uint32_t n, std::uint32_t largest) const;
  friend bool operator==(const SequenceSet&, const SequenceSet&) = default;
};

// Parses "1:3,5,*:9" or "$". Rejects 0, numbers over 2^32-1, empty elements
// and more than Limits::max_sequence_ranges ranges. `allow_star`/`allow_saved`
// are false where the grammar says so (e.g. QRESYNC known-uids forbids "*").
std::optional<SequenceSet> parse_sequence_set(std::string_view text, const Limits& limits,
                                              bool allow_saved = true, bool allow_star = true);

// Parses a nz-number / number (RFC 9051 9): digits only, no sign, range-checked.
std::optional<std::uint32_t> parse_nz_number(std::string_view text);
std::optional<std::uint32_t> parse_number(std::string_view text);
// mod-sequence-value (RFC 7162 7): 1..2^63-1; `allow_zero` for mod-sequence-valzer.
std::optional<std::uint64_t> parse_mod_sequence(std::string_view text, bool allow_zero);

// Sorts, de-duplicates and compacts numbers: {1,2,3,5,7,8,9} -> "1:3,5,7:9".
// Empty input gives "".
std::string format_sequence_set(std::vector<std::uint32_t> numbers);
// Writes a parsed set back ("*" for kStar, "$" when saved).
std::string format_sequence_set(const SequenceSet& set);

}  // namespace taube::imap::wire
