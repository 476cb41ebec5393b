#include "store/dav.hpp"

namespace taube::store {

std::string_view to_string(CollectionKind kind) {
  switch (kind) {
    case CollectionKind::kCalendar:
      return "calendar";
    case CollectionKind::kAddressBook:
      return "addressbook";
    case CollectionKind::kScheduleInbox:
      return "schedule-inbox";
    case CollectionKind::kScheduleOutbox:
      return "schedule-outbox";
  }
  return "calendar";
}

std::optional<CollectionKind> collection_kind_from(std::string_view s) {
  for (auto k : {CollectionKind::kCalendar, CollectionKind::kAddressBook,
                 CollectionKind::kScheduleInbox, CollectionKind::kScheduleOutbox})
    if (to_string(k) == s) return k;
  return std::nullopt;
}

std::string_view to_string(Access access) {
  switch (access) {
    case Access::kNone:
      return "none";
    case Access::kRead:
      return "read";
    case Access::kReadWrite:
      return "read-write";
    case Access::kOwner:
      return "owner";
  }
  return "none";
}

std::optional<Access> access_from(std::string_view s) {
  for (auto a : {Access::kNone, Access::kRead, Access::kReadWrite, Access::kOwner})
    if (to_string(a) == s) return a;
  return std::nullopt;
}

bool is_valid_dav_name(std::string_view name) {
  if (name.empty() || name.size() > 255 || name == "." || name == "..") return false;
  for (char c : name)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '/') return false;
  return true;
}

}  // namespace taube::store
