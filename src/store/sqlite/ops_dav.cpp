// Calendars and address books on SQLite (semantics: store/dav.hpp). Writers run
// on the single writer thread, so a precondition checked here cannot be
// invalidated before the write that follows it.
#include <algorithm>
#include <set>

#include "store/dav_support.hpp"
#include "store/sqlite/ops.hpp"

namespace taube::store::sqlite::ops::dav {
namespace {

constexpr std::string_view kCollectionSelect =
    "SELECT c.id, c.owner_id, c.kind, c.name, c.displayname, c.description, c.color, "
    "c.timezone, c.components, c.sync_token, c.created_at, s.access "
    "FROM dav_collections c "
    "LEFT JOIN dav_shares s ON s.collection_id = c.id AND s.sharee_id = ? ";

constexpr std::string_view kResourceColumns =
    "SELECT collection_id, name, uid, etag, content_type, size, modified, token, component, "
    "range_start, range_end";

UnixTime seconds(std::int64_t v) { return UnixTime{std::chrono::seconds{v}}; }
std::int64_t seconds(UnixTime t) { return t.time_since_epoch().count(); }

Collection collection_from(const Stmt& s, AccountId actor) {
  Collection c;
  c.id = CollectionId{s.i64(0)};
  c.owner = AccountId{s.i64(1)};
  c.kind = static_cast<CollectionKind>(s.i64(2));
  c.name = s.text(3);
  c.displayname = s.text(4);
  c.description = s.text(5);
  c.color = s.text(6);
  c.timezone = s.text(7);
  c.components = split_components(s.text(8));
  c.sync_token = static_cast<std::uint64_t>(s.i64(9));
  c.created_at = seconds(s.i64(10));
  std::optional<int> shared;
  if (!s.is_null(11)) shared = static_cast<int>(s.i64(11));
  c.access = access_of(actor, c.owner, shared);
  return c;
}

void load_properties(Db& db, Collection& c) {
  auto s = db.query("SELECT name, value FROM dav_properties WHERE collection_id = ?", c.id.value);
  while (s.step()) c.properties.emplace(s.text(0), s.text(1));
}

std::optional<Collection> find_collection(Db& db, AccountId actor, CollectionId id) {
  auto s = db.query(std::string(kCollectionSelect) + "WHERE c.id = ?", actor.value, id.value);
  if (!s.step()) return std::nullopt;
  return collection_from(s, actor);
}

// The collection if `actor` has at least `need` on it (without properties).
Result<Collection> require(Db& db, AccountId actor, CollectionId id, Access need) {
  auto c = find_collection(db, actor, id);
  if (!c || c->access == Access::kNone) return fail(ErrorCode::kNotFound, "no such collection");
  if (c->access < need) return fail(ErrorCode::kPermissionDenied, "not allowed");
  return std::move(*c);
}

DavResource resource_from(const Stmt& s, bool with_content) {
  DavResource r;
  r.collection = CollectionId{s.i64(0)};
  r.name = s.text(1);
  r.uid = s.text(2);
  r.etag = s.text(3);
  r.content_type = s.text(4);
  r.size = static_cast<std::uint64_t>(s.i64(5));
  r.modified = seconds(s.i64(6));
  r.token = static_cast<std::uint64_t>(s.i64(7));
  r.component = s.text(8);
  if (!s.is_null(9)) r.range_start = seconds(s.i64(9));
  if (!s.is_null(10)) r.range_end = seconds(s.i64(10));
  if (with_content) r.content = s.blob(11);
  return r;
}

std::uint64_t bump_token(Db& db, CollectionId id) {
  auto s = db.query(
      "UPDATE dav_collections SET sync_token = sync_token + 1 WHERE id = ? "
      "RETURNING sync_token",
      id.value);
  if (!s.step()) throw DbError(0, "collection vanished");
  auto token = static_cast<std::uint64_t>(s.i64(0));
  s.run();
  return token;
}

}  // namespace

Result<std::vector<Collection>> list_collections(Db& db, AccountId actor, AccountId owner) {
  std::vector<Collection> out;
  {
    auto s = db.query(std::string(kCollectionSelect) + "WHERE c.owner_id = ? ORDER BY c.name",
                      actor.value, owner.value);
    while (s.step()) {
      auto c = collection_from(s, actor);
      if (c.access != Access::kNone) out.push_back(std::move(c));
    }
  }
  for (auto& c : out) load_properties(db, c);
  return out;
}

Result<std::vector<Collection>> list_shared_with(Db& db, AccountId actor) {
  std::vector<Collection> out;
  {
    auto s = db.query(std::string(kCollectionSelect) +
                          "WHERE s.sharee_id IS NOT NULL AND c.owner_id <> ? "
                          "ORDER BY c.owner_id, c.name",
                      actor.value, actor.value);
    while (s.step()) out.push_back(collection_from(s, actor));
  }
  for (auto& c : out) load_properties(db, c);
  return out;
}

Result<Collection> get_collection(Db& db, AccountId actor, AccountId owner,
                                  const std::string& name) {
  std::optional<Collection> c;
  {
    auto s = db.query(std::string(kCollectionSelect) + "WHERE c.owner_id = ? AND c.name = ?",
                      actor.value, owner.value, name);
    if (s.step()) c = collection_from(s, actor);
  }
  if (!c || c->access == Access::kNone) return fail(ErrorCode::kNotFound, "no such collection");
  load_properties(db, *c);
  return std::move(*c);
}

Result<Collection> get_collection(Db& db, AccountId actor, CollectionId id) {
  auto c = require(db, actor, id, Access::kRead);
  if (!c) return c.error();
  load_properties(db, *c);
  return c;
}

Result<Collection> create_collection(Db& db, AccountId actor, AccountId owner,
                                     const NewCollection& nc) {
  if (actor != owner && actor != kSystemActor)
    return fail(ErrorCode::kPermissionDenied, "only the owner creates collections");
  if (!is_valid_dav_name(nc.name)) return fail(ErrorCode::kInvalidArgument, "bad name");
  {
    auto s = db.query("SELECT 1 FROM accounts WHERE id = ?", owner.value);
    if (!s.step()) return fail(ErrorCode::kNotFound, "no such account");
  }
  {
    auto s = db.query("SELECT 1 FROM dav_collections WHERE owner_id = ? AND name = ?", owner.value,
                      nc.name);
    if (s.step()) return fail(ErrorCode::kAlreadyExists, "collection exists");
  }
  db.run(
      "INSERT INTO dav_collections(owner_id, kind, name, displayname, description, color, "
      "timezone, components, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
      owner.value, static_cast<int>(nc.kind), nc.name, nc.displayname, nc.description, nc.color,
      nc.timezone, join_components(nc.components), seconds(now()));
  CollectionId id{db.last_insert_rowid()};
  for (const auto& [name, value] : nc.properties)
    db.run("INSERT INTO dav_properties(collection_id, name, value) VALUES (?,?,?)", id.value, name,
           value);
  return get_collection(db, actor, id);
}

Result<Collection> update_collection(Db& db, AccountId actor, CollectionId id,
                                     const CollectionPatch& patch) {
  auto c = require(db, actor, id, Access::kOwner);
  if (!c) return c.error();
  if (patch.displayname)
    db.run("UPDATE dav_collections SET displayname = ? WHERE id = ?", *patch.displayname, id.value);
  if (patch.description)
    db.run("UPDATE dav_collections SET description = ? WHERE id = ?", *patch.description, id.value);
  if (patch.color)
    db.run("UPDATE dav_collections SET color = ? WHERE id = ?", *patch.color, id.value);
  if (patch.timezone)
    db.run("UPDATE dav_collections SET timezone = ? WHERE id = ?", *patch.timezone, id.value);
  if (patch.components)
    db.run("UPDATE dav_collections SET components = ? WHERE id = ?",
           join_components(*patch.components), id.value);
  for (const auto& [name, value] : patch.properties) {
    if (value)
      db.run(
          "INSERT INTO dav_properties(collection_id, name, value) VALUES (?,?,?) "
          "ON CONFLICT(collection_id, name) DO UPDATE SET value = excluded.value",
          id.value, name, *value);
    else
      db.run("DELETE FROM dav_properties WHERE collection_id = ? AND name = ?", id.value, name);
  }
  bump_token(db, id);
  return get_collection(db, actor, id);
}

Result<void> delete_collection(Db& db, AccountId actor, CollectionId id) {
  auto c = require(db, actor, id, Access::kOwner);
  if (!c) return c.error();
  db.run("DELETE FROM dav_collections WHERE id = ?", id.value);
  return {};
}

Result<std::vector<DavResource>> list_resources(Db& db, AccountId actor, CollectionId id,
                                                const ResourceFilter& filter) {
  auto c = require(db, actor, id, Access::kRead);
  if (!c) return c.error();
  std::string sql(kResourceColumns);
  if (filter.with_content) sql += ", content";
  sql += " FROM dav_resources WHERE collection_id = ?";
  if (filter.component) sql += " AND component = ?";
  if (filter.end) sql += " AND (range_start IS NULL OR range_start <= ?)";
  if (filter.start) sql += " AND (range_end IS NULL OR range_end >= ?)";
  sql += " ORDER BY name";
  auto s = db.prepare(sql);
  int i = 0;
  s.bind(++i, id.value);
  if (filter.component) s.bind(++i, *filter.component);
  if (filter.end) s.bind(++i, seconds(*filter.end));
  if (filter.start) s.bind(++i, seconds(*filter.start));
  std::vector<DavResource> out;
  while (s.step()) out.push_back(resource_from(s, filter.with_content));
  return out;
}

Result<DavResource> get_resource(Db& db, AccountId actor, CollectionId id,
                                 const std::string& name) {
  auto c = require(db, actor, id, Access::kRead);
  if (!c) return c.error();
  auto s = db.query(std::string(kResourceColumns) +
                        ", content FROM dav_resources WHERE collection_id = ? AND name = ?",
                    id.value, name);
  if (!s.step()) return fail(ErrorCode::kNotFound, "no such resource");
  return resource_from(s, true);
}

Result<std::vector<DavResource>> multiget(Db& db, AccountId actor, CollectionId id,
                                          const std::vector<std::string>& names) {
  auto c = require(db, actor, id, Access::kRead);
  if (!c) return c.error();
  std::set<std::string> unique(names.begin(), names.end());
  std::vector<DavResource> out;
  for (const auto& name : unique) {
    auto s = db.query(std::string(kResourceColumns) +
                          ", content FROM dav_resources WHERE collection_id = ? AND name = ?",
                      id.value, name);
    if (s.step()) out.push_back(resource_from(s, true));
  }
  return out;
}

Result<DavPutResult> put_resource(Db& db, AccountId actor, CollectionId id, const DavPut& put,
                                  const std::string& etag) {
  auto c = require(db, actor, id, Access::kReadWrite);
  if (!c) return c.error();
  if (!is_valid_dav_name(put.name)) return fail(ErrorCode::kInvalidArgument, "bad name");
  std::optional<std::string> existing;
  {
    auto s = db.query("SELECT etag FROM dav_resources WHERE collection_id = ? AND name = ?",
                      id.value, put.name);
    if (s.step()) existing = s.text(0);
  }
  if (auto e = check_preconditions(put, existing); !e) return e.error();
  auto uid_key = unique_uid_key(c->kind, put.uid);
  if (uid_key) {
    auto s = db.query(
        "SELECT 1 FROM dav_resources WHERE collection_id = ? AND uid_key = ? AND name <> ?",
        id.value, *uid_key, put.name);
    if (s.step()) return fail(ErrorCode::kAlreadyExists, "UID used by another resource");
  }
  auto token = bump_token(db, id);
  db.run(
      "INSERT INTO dav_resources(collection_id, name, uid, uid_key, etag, content_type, size, "
      "modified, token, component, range_start, range_end, content) "
      "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) "
      "ON CONFLICT(collection_id, name) DO UPDATE SET uid = excluded.uid, "
      "uid_key = excluded.uid_key, etag = excluded.etag, content_type = excluded.content_type, "
      "size = excluded.size, modified = excluded.modified, token = excluded.token, "
      "component = excluded.component, range_start = excluded.range_start, "
      "range_end = excluded.range_end, content = excluded.content",
      id.value, put.name, put.uid, uid_key, etag, put.content_type,
      static_cast<std::int64_t>(put.content.size()), seconds(now()), token, put.component,
      range_seconds(put.range_start), range_seconds(put.range_end), BlobArg{put.content});
  db.run("DELETE FROM dav_tombstones WHERE collection_id = ? AND name = ?", id.value, put.name);
  return DavPutResult{etag, !existing.has_value(), token};
}

Result<std::uint64_t> delete_resource(Db& db, AccountId actor, CollectionId id,
                                      const std::string& name,
                                      const std::optional<std::string>& if_match) {
  auto c = require(db, actor, id, Access::kReadWrite);
  if (!c) return c.error();
  std::optional<std::string> existing;
  {
    auto s = db.query("SELECT etag FROM dav_resources WHERE collection_id = ? AND name = ?",
                      id.value, name);
    if (s.step()) existing = s.text(0);
  }
  if (!existing) return fail(ErrorCode::kNotFound, "no such resource");
  if (if_match && *if_match != *existing) return fail(ErrorCode::kConflict, "etag differs");
  auto token = bump_token(db, id);
  db.run("DELETE FROM dav_resources WHERE collection_id = ? AND name = ?", id.value, name);
  db.run(
      "INSERT INTO dav_tombstones(collection_id, name, token) VALUES (?,?,?) "
      "ON CONFLICT(collection_id, name) DO UPDATE SET token = excluded.token",
      id.value, name, token);
  return token;
}

Result<DavChanges> changes_since(Db& db, AccountId actor, CollectionId id, std::uint64_t token) {
  auto c = require(db, actor, id, Access::kRead);
  if (!c) return c.error();
  std::uint64_t floor = 0;
  {
    auto s = db.query("SELECT sync_floor FROM dav_collections WHERE id = ?", id.value);
    if (s.step()) floor = static_cast<std::uint64_t>(s.i64(0));
  }
  if (token > c->sync_token || (token != 0 && token < floor))
    return fail(ErrorCode::kInvalidArgument, "unknown or expired sync token");
  DavChanges out;
  out.token = c->sync_token;
  {
    auto s = db.query(std::string(kResourceColumns) +
                          " FROM dav_resources WHERE collection_id = ? AND token > ? ORDER BY name",
                      id.value, token);
    while (s.step()) out.changed.push_back(resource_from(s, false));
  }
  if (token != 0) {
    auto s = db.query(
        "SELECT name FROM dav_tombstones WHERE collection_id = ? AND token > ? ORDER BY name",
        id.value, token);
    while (s.step()) out.deleted.push_back(s.text(0));
  }
  return out;
}

Result<std::vector<ResourceRef>> find_uid(Db& db, AccountId actor, AccountId owner,
                                          const std::string& uid) {
  std::vector<ResourceRef> out;
  auto s = db.query(
      "SELECT c.id, c.name, c.kind, r.name, r.etag, s.access FROM dav_resources r "
      "JOIN dav_collections c ON c.id = r.collection_id "
      "LEFT JOIN dav_shares s ON s.collection_id = c.id AND s.sharee_id = ? "
      "WHERE c.owner_id = ? AND r.uid = ? ORDER BY c.name, r.name",
      actor.value, owner.value, uid);
  while (s.step()) {
    std::optional<int> shared;
    if (!s.is_null(5)) shared = static_cast<int>(s.i64(5));
    if (access_of(actor, owner, shared) == Access::kNone) continue;
    out.push_back(ResourceRef{CollectionId{s.i64(0)}, s.text(1),
                              static_cast<CollectionKind>(s.i64(2)), s.text(3), s.text(4)});
  }
  return out;
}

Result<void> set_share(Db& db, CollectionId id, AccountId sharee, Access access) {
  if (access != Access::kRead && access != Access::kReadWrite)
    return fail(ErrorCode::kInvalidArgument, "a share is read or read-write");
  std::int64_t owner = 0;
  {
    auto s = db.query("SELECT owner_id FROM dav_collections WHERE id = ?", id.value);
    if (!s.step()) return fail(ErrorCode::kNotFound, "no such collection");
    owner = s.i64(0);
  }
  if (owner == sharee.value) return fail(ErrorCode::kInvalidArgument, "owner cannot be a sharee");
  {
    auto s = db.query("SELECT 1 FROM accounts WHERE id = ?", sharee.value);
    if (!s.step()) return fail(ErrorCode::kNotFound, "no such account");
  }
  db.run(
      "INSERT INTO dav_shares(collection_id, sharee_id, access) VALUES (?,?,?) "
      "ON CONFLICT(collection_id, sharee_id) DO UPDATE SET access = excluded.access",
      id.value, sharee.value, static_cast<int>(access));
  return {};
}

Result<void> remove_share(Db& db, CollectionId id, AccountId sharee) {
  if (db.run("DELETE FROM dav_shares WHERE collection_id = ? AND sharee_id = ?", id.value,
             sharee.value) == 0)
    return fail(ErrorCode::kNotFound, "no such share");
  return {};
}

Result<std::vector<Share>> list_shares(Db& db, const std::optional<AccountId>& account) {
  constexpr std::string_view kSelect =
      "SELECT s.collection_id, c.owner_id, c.name, c.kind, s.sharee_id, s.access "
      "FROM dav_shares s JOIN dav_collections c ON c.id = s.collection_id ";
  constexpr std::string_view kOrder = " ORDER BY c.owner_id, c.name, s.sharee_id";
  auto s = account ? db.query(std::string(kSelect) + "WHERE c.owner_id = ? OR s.sharee_id = ?" +
                                  std::string(kOrder),
                              account->value, account->value)
                   : db.query(std::string(kSelect) + std::string(kOrder));
  std::vector<Share> out;
  while (s.step())
    out.push_back(Share{CollectionId{s.i64(0)}, AccountId{s.i64(1)}, s.text(2),
                        static_cast<CollectionKind>(s.i64(3)), AccountId{s.i64(4)},
                        static_cast<Access>(s.i64(5))});
  return out;
}

}  // namespace taube::store::sqlite::ops::dav
