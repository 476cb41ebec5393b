// Calendars and address books on PostgreSQL (semantics: store/dav.hpp). Writers
// lock the collection row first (FOR UPDATE): two nodes or two writer
// connections putting into one collection are serialised there, so a
// precondition checked after the lock holds until COMMIT and sync tokens are
// handed out in order. Contents are read in binary format in a second
// statement of the same snapshot (BYTEA as text would double in size).
// GCC 12: every co_await operand is a plain call on named values.
#include <algorithm>
#include <set>

#include "store/dav_support.hpp"
#include "store/postgres/ops.hpp"

namespace taube::store::postgres::ops::dav {
namespace {

using boost::asio::awaitable;

#define TAUBE_DAV_COLLECTION_SELECT                                                  \
  "SELECT c.id, c.owner_id, c.kind, c.name, c.displayname, c.description, c.color, " \
  "c.timezone, c.components, c.sync_token, c.created_at, s.access, c.sync_floor "    \
  "FROM dav_collections c "                                                          \
  "LEFT JOIN dav_shares s ON s.collection_id = c.id AND s.sharee_id = $1 "

#define TAUBE_DAV_RESOURCE_COLUMNS                                                          \
  "SELECT collection_id, name, uid, etag, content_type, size, modified, token, component, " \
  "range_start, range_end "

UnixTime seconds(std::int64_t v) { return UnixTime{std::chrono::seconds{v}}; }
std::int64_t seconds(UnixTime t) { return t.time_since_epoch().count(); }

struct Loaded {
  Collection collection;
  std::uint64_t floor = 0;
};

Loaded collection_from(const Rows& r, int i, AccountId actor) {
  Loaded l;
  Collection& c = l.collection;
  c.id = CollectionId{r.i64(i, 0)};
  c.owner = AccountId{r.i64(i, 1)};
  c.kind = static_cast<CollectionKind>(r.i64(i, 2));
  c.name = r.text(i, 3);
  c.displayname = r.text(i, 4);
  c.description = r.text(i, 5);
  c.color = r.text(i, 6);
  c.timezone = r.text(i, 7);
  c.components = split_components(r.text(i, 8));
  c.sync_token = static_cast<std::uint64_t>(r.i64(i, 9));
  c.created_at = seconds(r.i64(i, 10));
  std::optional<int> shared;
  if (!r.is_null(i, 11)) shared = static_cast<int>(r.i64(i, 11));
  c.access = access_of(actor, c.owner, shared);
  l.floor = static_cast<std::uint64_t>(r.i64(i, 12));
  return l;
}

awaitable<void> load_properties(PgConn& c, Collection& col) {
  auto r = co_await c.query("SELECT name, value FROM dav_properties WHERE collection_id = $1",
                            col.id.value);
  for (int i = 0; i < r.size(); ++i) col.properties.emplace(r.text(i, 0), r.text(i, 1));
}

// The collection if `actor` has at least `need` on it (without properties);
// `lock` takes the collection row for the rest of the transaction (writers).
awaitable<Result<Loaded>> require(PgConn& c, AccountId actor, CollectionId id, Access need,
                                  bool lock) {
  std::string sql = TAUBE_DAV_COLLECTION_SELECT "WHERE c.id = $2";
  if (lock) sql += " FOR UPDATE OF c";
  auto r = co_await c.query(sql, actor.value, id.value);
  if (r.empty()) co_return fail(ErrorCode::kNotFound, "no such collection");
  auto l = collection_from(r, 0, actor);
  if (l.collection.access == Access::kNone)
    co_return fail(ErrorCode::kNotFound, "no such collection");
  if (l.collection.access < need) co_return fail(ErrorCode::kPermissionDenied, "not allowed");
  co_return l;
}

DavResource resource_from(const Rows& r, int i) {
  DavResource d;
  d.collection = CollectionId{r.i64(i, 0)};
  d.name = r.text(i, 1);
  d.uid = r.text(i, 2);
  d.etag = r.text(i, 3);
  d.content_type = r.text(i, 4);
  d.size = static_cast<std::uint64_t>(r.i64(i, 5));
  d.modified = seconds(r.i64(i, 6));
  d.token = static_cast<std::uint64_t>(r.i64(i, 7));
  d.component = r.text(i, 8);
  if (!r.is_null(i, 9)) d.range_start = seconds(r.i64(i, 9));
  if (!r.is_null(i, 10)) d.range_end = seconds(r.i64(i, 10));
  return d;
}

// Fills the content of `out` (ordered by name) from the same members.
awaitable<void> load_contents(PgConn& c, CollectionId id, std::vector<DavResource>& out) {
  if (out.empty()) co_return;
  std::string names = "{";
  for (const auto& r : out) {
    if (names.size() > 1) names += ',';
    names += '"';
    for (char ch : r.name) {
      if (ch == '"' || ch == '\\') names += '\\';
      names += ch;
    }
    names += '"';
  }
  names += '}';
  auto rows = co_await c.query_binary(
      "SELECT content FROM dav_resources WHERE collection_id = $1 AND name = ANY($2::text[]) "
      "ORDER BY name",
      id.value, names);
  if (rows.size() != static_cast<int>(out.size())) throw PgError("dav contents changed", "", false);
  for (int i = 0; i < rows.size(); ++i) out[static_cast<size_t>(i)].content = rows.raw(i, 0);
}

awaitable<std::uint64_t> bump_token(PgConn& c, CollectionId id) {
  auto r = co_await c.query(
      "UPDATE dav_collections SET sync_token = sync_token + 1 WHERE id = $1 RETURNING sync_token",
      id.value);
  if (r.empty()) throw PgError("collection vanished", "", false);
  co_return static_cast<std::uint64_t>(r.i64(0, 0));
}

awaitable<std::optional<std::string>> current_etag(PgConn& c, CollectionId id,
                                                   const std::string& name) {
  auto r = co_await c.query("SELECT etag FROM dav_resources WHERE collection_id = $1 AND name = $2",
                            id.value, name);
  if (r.empty()) co_return std::nullopt;
  co_return r.text(0, 0);
}

}  // namespace

Op<std::vector<Collection>> list_collections(PgConn& c, AccountId actor, AccountId owner) {
  auto r = co_await c.query(TAUBE_DAV_COLLECTION_SELECT "WHERE c.owner_id = $2 ORDER BY c.name",
                            actor.value, owner.value);
  std::vector<Collection> out;
  for (int i = 0; i < r.size(); ++i) {
    auto l = collection_from(r, i, actor);
    if (l.collection.access != Access::kNone) out.push_back(std::move(l.collection));
  }
  for (auto& col : out) co_await load_properties(c, col);
  co_return out;
}

Op<std::vector<Collection>> list_shared_with(PgConn& c, AccountId actor) {
  auto r = co_await c.query(TAUBE_DAV_COLLECTION_SELECT
                            "WHERE s.sharee_id IS NOT NULL AND c.owner_id <> $1 "
                            "ORDER BY c.owner_id, c.name",
                            actor.value);
  std::vector<Collection> out;
  for (int i = 0; i < r.size(); ++i) out.push_back(collection_from(r, i, actor).collection);
  for (auto& col : out) co_await load_properties(c, col);
  co_return out;
}

Op<Collection> get_collection(PgConn& c, AccountId actor, AccountId owner,
                              const std::string& name) {
  auto r = co_await c.query(TAUBE_DAV_COLLECTION_SELECT "WHERE c.owner_id = $2 AND c.name = $3",
                            actor.value, owner.value, name);
  if (r.empty()) co_return fail(ErrorCode::kNotFound, "no such collection");
  auto l = collection_from(r, 0, actor);
  if (l.collection.access == Access::kNone)
    co_return fail(ErrorCode::kNotFound, "no such collection");
  co_await load_properties(c, l.collection);
  co_return std::move(l.collection);
}

Op<Collection> get_collection(PgConn& c, AccountId actor, CollectionId id) {
  auto l = co_await require(c, actor, id, Access::kRead, false);
  if (!l) co_return l.error();
  co_await load_properties(c, l->collection);
  co_return std::move(l->collection);
}

Op<Collection> create_collection(PgConn& c, AccountId actor, AccountId owner,
                                 const NewCollection& nc) {
  if (actor != owner && actor != kSystemActor)
    co_return fail(ErrorCode::kPermissionDenied, "only the owner creates collections");
  if (!is_valid_dav_name(nc.name)) co_return fail(ErrorCode::kInvalidArgument, "bad name");
  {
    auto r = co_await c.query("SELECT 1 FROM accounts WHERE id = $1", owner.value);
    if (r.empty()) co_return fail(ErrorCode::kNotFound, "no such account");
  }
  std::string components = join_components(nc.components);
  std::int64_t created = seconds(now());
  int kind = static_cast<int>(nc.kind);
  auto r = co_await c.query(
      "INSERT INTO dav_collections(owner_id, kind, name, displayname, description, color, "
      "timezone, components, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) "
      "ON CONFLICT (owner_id, name) DO NOTHING RETURNING id",
      owner.value, kind, nc.name, nc.displayname, nc.description, nc.color, nc.timezone, components,
      created);
  if (r.empty()) co_return fail(ErrorCode::kAlreadyExists, "collection exists");
  CollectionId id{r.i64(0, 0)};
  for (const auto& [name, value] : nc.properties)
    co_await c.query("INSERT INTO dav_properties(collection_id, name, value) VALUES ($1,$2,$3)",
                     id.value, name, value);
  auto out = co_await get_collection(c, actor, id);
  co_return out;
}

Op<Collection> update_collection(PgConn& c, AccountId actor, CollectionId id,
                                 const CollectionPatch& patch) {
  auto l = co_await require(c, actor, id, Access::kOwner, true);
  if (!l) co_return l.error();
  std::optional<std::string> components;
  if (patch.components) components = join_components(*patch.components);
  co_await c.query(
      "UPDATE dav_collections SET displayname = coalesce($2, displayname), "
      "description = coalesce($3, description), color = coalesce($4, color), "
      "timezone = coalesce($5, timezone), components = coalesce($6, components), "
      "sync_token = sync_token + 1 WHERE id = $1",
      id.value, patch.displayname, patch.description, patch.color, patch.timezone, components);
  for (const auto& [name, value] : patch.properties) {
    if (value)
      co_await c.query(
          "INSERT INTO dav_properties(collection_id, name, value) VALUES ($1,$2,$3) "
          "ON CONFLICT (collection_id, name) DO UPDATE SET value = excluded.value",
          id.value, name, *value);
    else
      co_await c.query("DELETE FROM dav_properties WHERE collection_id = $1 AND name = $2",
                       id.value, name);
  }
  auto out = co_await get_collection(c, actor, id);
  co_return out;
}

Op<void> delete_collection(PgConn& c, AccountId actor, CollectionId id) {
  auto l = co_await require(c, actor, id, Access::kOwner, true);
  if (!l) co_return l.error();
  co_await c.query("DELETE FROM dav_collections WHERE id = $1", id.value);
  co_return Result<void>{};
}

Op<std::vector<DavResource>> list_resources(PgConn& c, AccountId actor, CollectionId id,
                                            const ResourceFilter& filter) {
  auto l = co_await require(c, actor, id, Access::kRead, false);
  if (!l) co_return l.error();
  std::optional<std::int64_t> start;
  std::optional<std::int64_t> end;
  if (filter.start) start = seconds(*filter.start);
  if (filter.end) end = seconds(*filter.end);
  auto r = co_await c.query(TAUBE_DAV_RESOURCE_COLUMNS
                            "FROM dav_resources WHERE collection_id = $1 "
                            "AND ($2::text IS NULL OR component = $2) "
                            "AND ($3::bigint IS NULL OR range_start IS NULL OR range_start <= $3) "
                            "AND ($4::bigint IS NULL OR range_end IS NULL OR range_end >= $4) "
                            "ORDER BY name",
                            id.value, filter.component, end, start);
  std::vector<DavResource> out;
  for (int i = 0; i < r.size(); ++i) out.push_back(resource_from(r, i));
  if (filter.with_content) co_await load_contents(c, id, out);
  co_return out;
}

Op<DavResource> get_resource(PgConn& c, AccountId actor, CollectionId id, const std::string& name) {
  auto l = co_await require(c, actor, id, Access::kRead, false);
  if (!l) co_return l.error();
  auto r = co_await c.query(TAUBE_DAV_RESOURCE_COLUMNS
                            "FROM dav_resources WHERE collection_id = $1 AND name = $2",
                            id.value, name);
  if (r.empty()) co_return fail(ErrorCode::kNotFound, "no such resource");
  std::vector<DavResource> out{resource_from(r, 0)};
  co_await load_contents(c, id, out);
  co_return std::move(out.front());
}

Op<std::vector<DavResource>> multiget(PgConn& c, AccountId actor, CollectionId id,
                                      const std::vector<std::string>& names) {
  auto l = co_await require(c, actor, id, Access::kRead, false);
  if (!l) co_return l.error();
  std::set<std::string> unique(names.begin(), names.end());
  std::vector<DavResource> out;
  for (const auto& name : unique) {
    auto r = co_await c.query(TAUBE_DAV_RESOURCE_COLUMNS
                              "FROM dav_resources WHERE collection_id = $1 AND name = $2",
                              id.value, name);
    if (!r.empty()) out.push_back(resource_from(r, 0));
  }
  co_await load_contents(c, id, out);
  co_return out;
}

Op<DavPutResult> put_resource(PgConn& c, AccountId actor, CollectionId id, const DavPut& put,
                              const std::string& etag) {
  if (!is_valid_dav_name(put.name)) co_return fail(ErrorCode::kInvalidArgument, "bad name");
  auto l = co_await require(c, actor, id, Access::kReadWrite, true);
  if (!l) co_return l.error();
  auto existing = co_await current_etag(c, id, put.name);
  if (auto e = check_preconditions(put, existing); !e) co_return e.error();
  auto uid_key = unique_uid_key(l->collection.kind, put.uid);
  if (uid_key) {
    auto r = co_await c.query(
        "SELECT 1 FROM dav_resources WHERE collection_id = $1 AND uid_key = $2 AND name <> $3",
        id.value, *uid_key, put.name);
    if (!r.empty()) co_return fail(ErrorCode::kAlreadyExists, "UID used by another resource");
  }
  auto token = co_await bump_token(c, id);
  auto size = static_cast<std::int64_t>(put.content.size());
  std::int64_t modified = seconds(now());
  auto range_start = range_seconds(put.range_start);
  auto range_end = range_seconds(put.range_end);
  Bytea content{put.content};
  co_await c.query(
      "INSERT INTO dav_resources(collection_id, name, uid, uid_key, etag, content_type, size, "
      "modified, token, component, range_start, range_end, content) "
      "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) "
      "ON CONFLICT (collection_id, name) DO UPDATE SET uid = excluded.uid, "
      "uid_key = excluded.uid_key, etag = excluded.etag, content_type = excluded.content_type, "
      "size = excluded.size, modified = excluded.modified, token = excluded.token, "
      "component = excluded.component, range_start = excluded.range_start, "
      "range_end = excluded.range_end, content = excluded.content",
      id.value, put.name, put.uid, uid_key, etag, put.content_type, size, modified, token,
      put.component, range_start, range_end, content);
  co_await c.query("DELETE FROM dav_tombstones WHERE collection_id = $1 AND name = $2", id.value,
                   put.name);
  co_return DavPutResult{etag, !existing.has_value(), token};
}

Op<std::uint64_t> delete_resource(PgConn& c, AccountId actor, CollectionId id,
                                  const std::string& name,
                                  const std::optional<std::string>& if_match) {
  auto l = co_await require(c, actor, id, Access::kReadWrite, true);
  if (!l) co_return l.error();
  auto existing = co_await current_etag(c, id, name);
  if (!existing) co_return fail(ErrorCode::kNotFound, "no such resource");
  if (if_match && *if_match != *existing) co_return fail(ErrorCode::kConflict, "etag differs");
  auto token = co_await bump_token(c, id);
  co_await c.query("DELETE FROM dav_resources WHERE collection_id = $1 AND name = $2", id.value,
                   name);
  co_await c.query(
      "INSERT INTO dav_tombstones(collection_id, name, token) VALUES ($1,$2,$3) "
      "ON CONFLICT (collection_id, name) DO UPDATE SET token = excluded.token",
      id.value, name, token);
  co_return token;
}

Op<DavChanges> changes_since(PgConn& c, AccountId actor, CollectionId id, std::uint64_t token) {
  auto l = co_await require(c, actor, id, Access::kRead, false);
  if (!l) co_return l.error();
  if (token > l->collection.sync_token || (token != 0 && token < l->floor))
    co_return fail(ErrorCode::kInvalidArgument, "unknown or expired sync token");
  auto since = static_cast<std::int64_t>(token);
  DavChanges out;
  out.token = l->collection.sync_token;
  {
    auto r = co_await c.query(TAUBE_DAV_RESOURCE_COLUMNS
                              "FROM dav_resources WHERE collection_id = $1 AND token > $2 "
                              "ORDER BY name",
                              id.value, since);
    for (int i = 0; i < r.size(); ++i) out.changed.push_back(resource_from(r, i));
  }
  if (token != 0) {
    auto r = co_await c.query(
        "SELECT name FROM dav_tombstones WHERE collection_id = $1 AND token > $2 ORDER BY name",
        id.value, since);
    for (int i = 0; i < r.size(); ++i) out.deleted.push_back(r.text(i, 0));
  }
  co_return out;
}

Op<std::vector<ResourceRef>> find_uid(PgConn& c, AccountId actor, AccountId owner,
                                      const std::string& uid) {
  auto r = co_await c.query(
      "SELECT c.id, c.name, c.kind, r.name, r.etag, s.access FROM dav_resources r "
      "JOIN dav_collections c ON c.id = r.collection_id "
      "LEFT JOIN dav_shares s ON s.collection_id = c.id AND s.sharee_id = $1 "
      "WHERE c.owner_id = $2 AND r.uid = $3 ORDER BY c.name, r.name",
      actor.value, owner.value, uid);
  std::vector<ResourceRef> out;
  for (int i = 0; i < r.size(); ++i) {
    std::optional<int> shared;
    if (!r.is_null(i, 5)) shared = static_cast<int>(r.i64(i, 5));
    if (access_of(actor, owner, shared) == Access::kNone) continue;
    out.push_back(ResourceRef{CollectionId{r.i64(i, 0)}, r.text(i, 1),
                              static_cast<CollectionKind>(r.i64(i, 2)), r.text(i, 3),
                              r.text(i, 4)});
  }
  co_return out;
}

Op<void> set_share(PgConn& c, CollectionId id, AccountId sharee, Access access) {
  if (access != Access::kRead && access != Access::kReadWrite)
    co_return fail(ErrorCode::kInvalidArgument, "a share is read or read-write");
  auto owner = co_await c.query("SELECT owner_id FROM dav_collections WHERE id = $1", id.value);
  if (owner.empty()) co_return fail(ErrorCode::kNotFound, "no such collection");
  if (owner.i64(0, 0) == sharee.value)
    co_return fail(ErrorCode::kInvalidArgument, "owner cannot be a sharee");
  auto account = co_await c.query("SELECT 1 FROM accounts WHERE id = $1", sharee.value);
  if (account.empty()) co_return fail(ErrorCode::kNotFound, "no such account");
  int level = static_cast<int>(access);
  co_await c.query(
      "INSERT INTO dav_shares(collection_id, sharee_id, access) VALUES ($1,$2,$3) "
      "ON CONFLICT (collection_id, sharee_id) DO UPDATE SET access = excluded.access",
      id.value, sharee.value, level);
  co_return Result<void>{};
}

Op<void> remove_share(PgConn& c, CollectionId id, AccountId sharee) {
  auto r = co_await c.query("DELETE FROM dav_shares WHERE collection_id = $1 AND sharee_id = $2",
                            id.value, sharee.value);
  if (r.affected() == 0) co_return fail(ErrorCode::kNotFound, "no such share");
  co_return Result<void>{};
}

Op<std::vector<Share>> list_shares(PgConn& c, const std::optional<AccountId>& account) {
  std::optional<std::int64_t> who;
  if (account) who = account->value;
  auto r = co_await c.query(
      "SELECT s.collection_id, c.owner_id, c.name, c.kind, s.sharee_id, s.access "
      "FROM dav_shares s JOIN dav_collections c ON c.id = s.collection_id "
      "WHERE $1::bigint IS NULL OR c.owner_id = $1 OR s.sharee_id = $1 "
      "ORDER BY c.owner_id, c.name, s.sharee_id",
      who);
  std::vector<Share> out;
  for (int i = 0; i < r.size(); ++i)
    out.push_back(Share{CollectionId{r.i64(i, 0)}, AccountId{r.i64(i, 1)}, r.text(i, 2),
                        static_cast<CollectionKind>(r.i64(i, 3)), AccountId{r.i64(i, 4)},
                        static_cast<Access>(r.i64(i, 5))});
  co_return out;
}

}  // namespace taube::store::postgres::ops::dav
