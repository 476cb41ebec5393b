#include "store/dav.hpp"

#include "store/dav_support.hpp"

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

std::string join_components(const std::vector<std::string>& components) {
  std::string out;
  for (const auto& c : components) {
    if (c.empty() || c.find(' ') != std::string::npos) continue;
    if (!out.empty()) out += ' ';
    out += c;
  }
  return out;
}

std::vector<std::string> split_components(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    auto sp = s.find(' ');
    auto part = s.substr(0, sp);
    if (!part.empty()) out.emplace_back(part);
    if (sp == std::string_view::npos) break;
    s.remove_prefix(sp + 1);
  }
  return out;
}

Access access_of(AccountId actor, AccountId owner, std::optional<int> shared) {
  if (actor == kSystemActor || actor == owner) return Access::kOwner;
  if (!shared) return Access::kNone;
  if (*shared == static_cast<int>(Access::kReadWrite)) return Access::kReadWrite;
  if (*shared == static_cast<int>(Access::kRead)) return Access::kRead;
  return Access::kNone;
}

Result<void> check_preconditions(const DavPut& put, const std::optional<std::string>& existing) {
  if (put.if_none_match && existing) return fail(ErrorCode::kConflict, "resource exists");
  if (put.if_match && (!existing || *existing != *put.if_match))
    return fail(ErrorCode::kConflict, "etag differs");
  return {};
}

std::optional<std::string> unique_uid_key(CollectionKind kind, const std::string& uid) {
  if (uid.empty()) return std::nullopt;
  if (kind != CollectionKind::kCalendar && kind != CollectionKind::kAddressBook)
    return std::nullopt;
  return uid;
}

std::optional<std::int64_t> range_seconds(const std::optional<UnixTime>& t) {
  if (!t) return std::nullopt;
  return t->time_since_epoch().count();
}

}  // namespace taube::store
