// Rules both engines apply the same way to calendars and address books (see
// store/dav.hpp), so that SQLite and PostgreSQL cannot drift apart. Pure; engines only.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "store/dav.hpp"

namespace taube::store {

// supported-calendar-component-set, stored space-separated in one column.
std::string join_components(const std::vector<std::string>& components);
std::vector<std::string> split_components(std::string_view s);

// What `actor` may do on a collection of `owner`; `shared` is the stored share
// access (an Access value) if the actor has a share.
Access access_of(AccountId actor, AccountId owner, std::optional<int> shared);

// If-Match / If-None-Match against the member's current etag (nullopt: absent).
// kConflict when a precondition fails.
Result<void> check_preconditions(const DavPut& put, const std::optional<std::string>& existing);

// The UID as kept in the unique (collection, uid) index: only calendars and
// address books promise one resource per UID, and an empty UID is no UID.
std::optional<std::string> unique_uid_key(CollectionKind kind, const std::string& uid);

std::optional<std::int64_t> range_seconds(const std::optional<UnixTime>& t);

}  // namespace taube::store
