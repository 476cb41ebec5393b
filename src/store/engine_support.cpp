#include "store/engine_support.hpp"

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
