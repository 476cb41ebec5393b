#include "store/sqlite/ops.hpp"
// Stubs until the implementation lands.
#pragma GCC diagnostic ignored "-Wunused-parameter"

namespace taube::store::sqlite::ops::dav {

Result<std::vector<Collection>> list_collections(Db& db, AccountId actor, AccountId owner) {
  return fail(ErrorCode::kUnavailable, "dav: not implemented yet");
}

Result<std::vector<Collection>> list_shared_with(Db& db, AccountId actor) {
  return fail(ErrorCode::kUnavailable, "dav: not implemented yet");
}

Result<Collection> get_collection(Db& db, AccountId actor, AccountId owner,
                                  const std::string& name) {
  return fail(ErrorCode::kUnavailable, "dav: not implemented yet");
}

Result<Collection> get_collection(Db& db, AccountId actor, CollectionId id) {
  return fail(ErrorCode::kUnavailable, "dav: not implemented yet");
}

Result<Collection> create_collection(Db& db, AccountId actor, AccountId owner,
                                     const NewCollection& c) {
  return fail(ErrorCode::kUnavailable, "dav: not implemented yet");
}

Result<Collection> update_collection(Db& db, AccountId actor, CollectionId id,
                                     const CollectionPatch& patch) {
  return fail(ErrorCode::kUnavailable, "dav: not implemented yet");
}

Result<void> delete_collection(Db& db, AccountId actor, CollectionId id) {
  return fail(ErrorCode::kUnavailable, "dav: not implemented yet");
}

Result<std::vector<DavResource>> list_resources(Db& db, AccountId actor, CollectionId id,
                                                const ResourceFilter& filter) {
  return fail(ErrorCode::kUnavailable, "dav: not implemented yet");
}

Result<DavResource> get_resource(Db& db, AccountId actor, CollectionId id,
                                 const std::string& name) {
  return fail(ErrorCode::kUnavailable, "dav: not implemented yet");
}

Result<std::vector<DavResource>> multiget(Db& db, AccountId actor, CollectionId id,
                                          const std::vector<std::string>& names) {
  return fail(ErrorCode::kUnavailable, "dav: not implemented yet");
}

Result<DavPutResult> put_resource(Db& db, AccountId actor, CollectionId id, const DavPut& put,
                                  const std::string& etag) {
  return fail(ErrorCode::kUnavailable, "dav: not implemented yet");
}

Result<std::uint64_t> delete_resource(Db& db, AccountId actor, CollectionId id,
                                      const std::string& name,
                                      const std::optional<std::string>& if_match) {
  return fail(ErrorCode::kUnavailable, "dav: not implemented yet");
}

Result<DavChanges> changes_since(Db& db, AccountId actor, CollectionId id, std::uint64_t token) {
  return fail(ErrorCode::kUnavailable, "dav: not implemented yet");
}

Result<std::vector<ResourceRef>> find_uid(Db& db, AccountId actor, AccountId owner,
                                          const std::string& uid) {
  return fail(ErrorCode::kUnavailable, "dav: not implemented yet");
}

Result<void> set_share(Db& db, CollectionId id, AccountId sharee, Access access) {
  return fail(ErrorCode::kUnavailable, "dav: not implemented yet");
}

Result<void> remove_share(Db& db, CollectionId id, AccountId sharee) {
  return fail(ErrorCode::kUnavailable, "dav: not implemented yet");
}

Result<std::vector<Share>> list_shares(Db& db, const std::optional<AccountId>& account) {
  return fail(ErrorCode::kUnavailable, "dav: not implemented yet");
}

}  // namespace taube::store::sqlite::ops::dav
