#include "imap/wire/sequence_set.hpp"

#include <algorithm>

#include "base/ascii.hpp"

namespace taube::imap::wire {
namespace {

std::optional<std::uint64_t> parse_digits(std::string_view text, std::uint64_t max) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : text) {
    if (!ascii::is_digit(c)) return std::nullopt;
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (max - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

std::optional<std::uint32_t> parse_seq_number(std::string_view text, bool allow_star) {
  if (text == "*") return allow_star ? std::optional<std::uint32_t>(kStar) : std::nullopt;
  return parse_nz_number(text);
}

}  // namespace

std::optional<std::uint32_t> parse_number(std::string_view text) {
  auto v = parse_digits(text, UINT32_MAX);
  if (!v) return std::nullopt;
  return static_cast<std::uint32_t>(*v);
}

std::optional<std::uint32_t> parse_nz_number(std::string_view text) {
  if (!text.empty() && text[0] == '0') return std::nullopt;  // digit-nz *DIGIT
  return parse_number(text);
}

std::optional<std::uint64_t> parse_mod_sequence(std::string_view text, bool allow_zero) {
  auto v = parse_digits(text, INT64_MAX);
  if (!v || (*v == 0 && !allow_zero)) return std::nullopt;
  return v;
}

bool SequenceSet::contains(std::uint32_t n, std::uint32_t largest) const {
  for (const auto& r : ranges) {
    std::uint32_t a = r.first == kStar ? largest : r.first;
    std::uint32_t b = r.last == kStar ? largest : r.last;
    if (a > b) std::swap(a, b);
    if (n >= a && n <= b) return true;
  }
  return false;
}

std::optional<SequenceSet> parse_sequence_set(std::string_view text, const Limits& limits,
                                              bool allow_saved, bool allow_star) {
  SequenceSet set;
  if (text == "$") {
    if (!allow_saved) return std::nullopt;
    set.saved = true;
    return set;
  }
  if (text.empty()) return std::nullopt;
  std::size_t pos = 0;
  while (true) {
    const auto comma = text.find(',', pos);
    const auto element = text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    if (set.ranges.size() >= limits.max_sequence_ranges) return std::nullopt;
    const auto colon = element.find(':');
    if (colon == std::string_view::npos) {
      auto n = parse_seq_number(element, allow_star);
      if (!n) return std::nullopt;
      set.ranges.push_back({*n, *n});
    } else {
      auto a = parse_seq_number(element.substr(0, colon), allow_star);
      auto b = parse_seq_number(element.substr(colon + 1), allow_star);
      if (!a || !b) return std::nullopt;
      set.ranges.push_back({*a, *b});
    }
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return set;
}

std::string format_sequence_set(std::vector<std::uint32_t> numbers) {
  std::sort(numbers.begin(), numbers.end());
  numbers.erase(std::unique(numbers.begin(), numbers.end()), numbers.end());
  std::string out;
  std::size_t i = 0;
  while (i < numbers.size()) {
    std::size_t j = i;
    while (j + 1 < numbers.size() && numbers[j + 1] == numbers[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(numbers[i]);
    if (j > i) {
      out += ':';
      out += std::to_string(numbers[j]);
    }
    i = j + 1;
  }
  return out;
}

std::string format_sequence_set(const SequenceSet& set) {
  if (set.saved) return "$";
  std::string out;
  auto num = [](std::uint32_t n) { return n == kStar ? std::string("*") : std::to_string(n); };
  for (const auto& r : set.ranges) {
    if (!out.empty()) out += ',';
    out += num(r.first);
    if (r.last != r.first) out += ':' + num(r.last);
  }
  return out;
}

}  // namespace taube::imap::wire
