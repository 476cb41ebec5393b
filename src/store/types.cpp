#include "store/types.hpp"

#include <algorithm>

#include "base/ascii.hpp"

namespace taube::store {

std::string_view to_string(SpecialUse use) {
  switch (use) {
    case SpecialUse::kNone:
      return "";
    case SpecialUse::kDrafts:
      return "\\Drafts";
    case SpecialUse::kSent:
      return "\\Sent";
    case SpecialUse::kTrash:
      return "\\Trash";
    case SpecialUse::kJunk:
      return "\\Junk";
    case SpecialUse::kArchive:
      return "\\Archive";
  }
  return "";
}

bool Flags::has_keyword(std::string_view k) const {
  return std::any_of(keywords.begin(), keywords.end(),
                     [&](const std::string& x) { return ascii::iequals(x, k); });
}

void Flags::add(const Flags& other) {
  system |= other.system;
  for (const auto& k : other.keywords)
    if (!has_keyword(k)) keywords.push_back(k);
  normalize();
}

void Flags::remove(const Flags& other) {
  system &= static_cast<std::uint8_t>(~other.system);
  std::erase_if(keywords, [&](const std::string& k) { return other.has_keyword(k); });
}

void Flags::normalize() {
  auto less = [](const std::string& a, const std::string& b) {
    return ascii::lower(a) < ascii::lower(b);
  };
  std::sort(keywords.begin(), keywords.end(), less);
  keywords.erase(
      std::unique(keywords.begin(), keywords.end(),
                  [](const std::string& a, const std::string& b) { return ascii::iequals(a, b); }),
      keywords.end());
}

bool contains(const UidSet& set, Uid uid) {
  return std::any_of(set.begin(), set.end(), [&](const UidRange& r) {
    return std::min(r.first, r.last) <= uid && uid <= std::max(r.first, r.last);
  });
}

std::optional<AddressParts> split_address(std::string_view address, bool allow_empty_local) {
  auto at = address.rfind('@');
  if (at == std::string_view::npos) return std::nullopt;
  AddressParts parts{std::string(address.substr(0, at)), ascii::lower(address.substr(at + 1))};
  if (parts.domain.empty() || (parts.local.empty() && !allow_empty_local)) return std::nullopt;
  for (char c : address)
    if (static_cast<unsigned char>(c) < 0x21 || c == 0x7f) return std::nullopt;
  return parts;
}

std::string normalize_mailbox_name(std::string_view name) {
  if (ascii::iequals(name, kInbox)) return std::string(kInbox);
  return std::string(name);
}

namespace {

bool is_valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xe ? 2 : (c >> 3) == 0x1e ? 3 : 9;
    if (n == 9 || (n == 1 && c < 0xc2) || i + n >= s.size() + (n ? 0 : 1)) return false;
    for (size_t k = 1; k <= n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    i += n + 1;
  }
  return true;
}

}  // namespace

bool is_valid_mailbox_name(std::string_view name) {
  if (name.empty() || name.size() > 1024 || !is_valid_utf8(name)) return false;
  if (name.front() == kHierarchySeparator || name.back() == kHierarchySeparator) return false;
  if (name.find("//") != std::string_view::npos) return false;
  for (char c : name)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  return true;
}

}  // namespace taube::store
