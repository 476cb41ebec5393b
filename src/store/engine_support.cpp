#include "store/engine_support.hpp"

#include <algorithm>
#include <cstdint>

#include "base/ascii.hpp"

namespace taube::store {

std::string join_keywords(const std::vector<std::string>& keywords) {
  std::string out;
  for (const auto& k : keywords) {
    if (!out.empty()) out += ' ';
    out += k;
  }
  return out;
}

std::vector<std::string> split_keywords(std::string_view s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t end = s.find(' ', pos);
    if (end == std::string_view::npos) end = s.size();
    if (end > pos) out.emplace_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

bool valid_keywords(const Flags& f) {
  for (const auto& k : f.keywords) {
    if (k.empty()) return false;
    for (char ch : k)
      if (static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7f) return false;
  }
  return true;
}

std::vector<UidRange> normalize_uids(const UidSet& uids) {
  std::vector<UidRange> r;
  for (auto u : uids) r.push_back(UidRange{std::min(u.first, u.last), std::max(u.first, u.last)});
  std::sort(r.begin(), r.end(), [](auto a, auto b) { return a.first < b.first; });
  std::vector<UidRange> out;
  for (auto u : r) {
    if (!out.empty() && u.first <= out.back().last + std::uint64_t{1})
      out.back().last = std::max(out.back().last, u.last);
    else
      out.push_back(u);
  }
  return out;
}

bool header_matches(std::string_view headers, std::string_view name, std::string_view needle) {
  std::string lname = ascii::lower(name);
  std::string lneedle = ascii::lower(needle);
  std::string current;
  auto check = [&](const std::string& field) {
    auto colon = field.find(':');
    if (colon == std::string::npos) return false;
    if (ascii::lower(ascii::trim(std::string_view(field).substr(0, colon))) != lname) return false;
    return ascii::lower(field.substr(colon + 1)).find(lneedle) != std::string::npos;
  };
  size_t pos = 0;
  while (pos < headers.size()) {
    size_t end = headers.find('\n', pos);
    if (end == std::string_view::npos) end = headers.size();
    std::string_view line = headers.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = end + 1;
    if (line.empty()) break;  // end of the header block
    if (ascii::is_space(line.front())) {
      current += ' ';
      current += ascii::trim(line);
      continue;
    }
    if (!current.empty() && check(current)) return true;
    current.assign(line);
  }
  return !current.empty() && check(current);
}

std::string_view decoded_header_column(std::string_view field) {
  if (ascii::iequals(field, "subject")) return "subject";
  if (ascii::iequals(field, "from")) return "from_addr";
  if (ascii::iequals(field, "to")) return "to_addr";
  if (ascii::iequals(field, "cc")) return "cc_addr";
  if (ascii::iequals(field, "bcc")) return "bcc_addr";
  return {};
}

namespace {
std::string collapse_lower(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool blank = false;
  for (char c : ascii::trim(text)) {
    if (ascii::is_space(c)) {
      blank = true;
      continue;
    }
    if (blank) out += ' ';
    blank = false;
    out += ascii::to_lower(c);
  }
  return out;
}
}  // namespace

bool field_contains(std::string_view value, std::string_view needle) {
  return collapse_lower(value).find(collapse_lower(needle)) != std::string::npos;
}

std::string_view header_needle_run(std::string_view needle, std::size_t max_bytes) {
  std::string_view best;
  std::size_t pos = 0;
  while (pos < needle.size()) {
    while (pos < needle.size() && ascii::is_space(needle[pos])) ++pos;
    std::size_t end = pos;
    while (end < needle.size() && !ascii::is_space(needle[end])) ++end;
    if (end - pos > best.size()) best = needle.substr(pos, end - pos);
    pos = end;
  }
  if (best.size() > max_bytes) {
    std::size_t cut = max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(best[cut]) & 0xC0) == 0x80) --cut;
    best = best.substr(0, cut);
  }
  return best;
}

void merge_change(std::vector<MailboxChange>& changes, const MailboxChange& change) {
  for (auto& old : changes) {
    if (old.mailbox == change.mailbox) {
      old = change;
      return;
    }
  }
  changes.push_back(change);
}

}  // namespace taube::store
