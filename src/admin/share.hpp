// `taube share`: calendars and address books shared between accounts (a
// department calendar), by address and collection name rather than by ids.
// Awaitables over a store::Store like admin.hpp; error details are meant for the
// administrator.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/dav.hpp"
#include "store/store.hpp"

namespace taube::admin {

using store::Async;

struct ShareRow {
  std::string owner;       // address of the collection's owner
  std::string collection;  // its name ("calendar", "contacts", ...)
  store::CollectionKind kind = store::CollectionKind::kCalendar;
  std::string sharee;  // address
  store::Access access = store::Access::kRead;
};

// Shares (or re-shares with another access) `owner`'s collection `collection`
// with `sharee`; access is "read" or "read-write". Errors: kNotFound (account or
// collection), kInvalidArgument (access, or sharee is the owner).
Async<void> add_share(store::Store& s, std::string owner, std::string collection,
                      std::string sharee, std::string access);
// Errors: kNotFound (account, collection or share).
Async<void> remove_share(store::Store& s, std::string owner, std::string collection,
                         std::string sharee);
// Shares where `address` is owner or sharee; every share when nullopt.
Async<std::vector<ShareRow>> list_shares(store::Store& s, std::optional<std::string> address);

// One line per share: "owner/collection (kind) -> sharee access", or a note when empty.
std::string format_shares(const std::vector<ShareRow>& rows);

}  // namespace taube::admin
