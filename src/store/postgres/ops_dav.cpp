#include "store/postgres/ops.hpp"
// Stubs until the implementation lands.
#pragma GCC diagnostic ignored "-Wunused-parameter"

namespace taube::store::postgres::ops::dav {

Op<std::vector<Collection>> list_collections(PgConn& c, AccountId actor, AccountId owner) {
  co_return fail(ErrorCode::kUnavailable, "dav: not implemented yet");
}

Op<std::vector<Collection>> list_shared_with(PgConn& c, AccountId actor) {
  co_return fail(ErrorCode::kUnavailable, "dav: not implemented yet");
}

Op<Collection> get_collection(PgConn& c, AccountId actor, AccountId owner,
                                  const std::string& name) {
  co_return fail(ErrorCode::kUnavailable, "dav: not implemented yet");
}

Op<Collection> get_collection(PgConn& c, AccountId actor, CollectionId id) {
  co_return fail(ErrorCode::kUnavailable, "dav: not implemented yet");
}

Op<Collection> create_collection(PgConn& c, AccountId actor, AccountId owner,
                                     const NewCollection& nc) {
  co_return fail(ErrorCode::kUnavailable, "dav: not implemented yet");
}

Op<Collection> update_collection(PgConn& c, AccountId actor, CollectionId id,
                                     const CollectionPatch& patch) {
  co_return fail(ErrorCode::kUnavailable, "dav: not implemented yet");
}

Op<void> delete_collection(PgConn& c, AccountId actor, CollectionId id) {
  co_return fail(ErrorCode::kUnavailable, "dav: not implemented yet");
}

Op<std::vector<DavResource>> list_resources(PgConn& c, AccountId actor, CollectionId id,
                                                const ResourceFilter& filter) {
  co_return fail(ErrorCode::kUnavailable, "dav: not implemented yet");
}

Op<DavResource> get_resource(PgConn& c, AccountId actor, CollectionId id,
                                 const std::string& name) {
  co_return fail(ErrorCode::kUnavailable, "dav: not implemented yet");
}

Op<std::vector<DavResource>> multiget(PgConn& c, AccountId actor, CollectionId id,
                                          const std::vector<std::string>& names) {
  co_return fail(ErrorCode::kUnavailable, "dav: not implemented yet");
}

Op<DavPutResult> put_resource(PgConn& c, AccountId actor, CollectionId id, const DavPut& put,
                                  const std::string& etag) {
  co_return fail(ErrorCode::kUnavailable, "dav: not implemented yet");
}

Op<std::uint64_t> delete_resource(PgConn& c, AccountId actor, CollectionId id,
                                      const std::string& name,
                                      const std::optional<std::string>& if_match) {
  co_return fail(ErrorCode::kUnavailable, "dav: not implemented yet");
}

Op<DavChanges> changes_since(PgConn& c, AccountId actor, CollectionId id, std::uint64_t token) {
  co_return fail(ErrorCode::kUnavailable, "dav: not implemented yet");
}

Op<std::vector<ResourceRef>> find_uid(PgConn& c, AccountId actor, AccountId owner,
                                          const std::string& uid) {
  co_return fail(ErrorCode::kUnavailable, "dav: not implemented yet");
}

Op<void> set_share(PgConn& c, CollectionId id, AccountId sharee, Access access) {
  co_return fail(ErrorCode::kUnavailable, "dav: not implemented yet");
}

Op<void> remove_share(PgConn& c, CollectionId id, AccountId sharee) {
  co_return fail(ErrorCode::kUnavailable, "dav: not implemented yet");
}

Op<std::vector<Share>> list_shares(PgConn& c, const std::optional<AccountId>& account) {
  co_return fail(ErrorCode::kUnavailable, "dav: not implemented yet");
}

}  // namespace taube::store::postgres::ops::dav
