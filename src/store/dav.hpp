// The calendar and contacts part of the store (CalDAV RFC 4791, CardDAV RFC 6352,
// sync-collection RFC 6578, scheduling RFC 6638), reached through Store::dav().
// Everything lives in the same database as mail, so cluster mode covers it.
//
// The store keeps bytes and the few fields a query needs; it never parses
// iCalendar or vCard: the DAV layer validates the object (ical/) and passes its
// UID, component kind and time range with the bytes. Same conventions as
// store.hpp: every operation is asynchronous, writes go through the engine's
// group commit and complete only once durable, errors as listed per call
// (plus kUnavailable / kInternal everywhere).
//
// Access: most calls take `actor`, the authenticated account. The owner of a
// collection has every right; a share gives another account kRead or
// kReadWrite on one collection; anybody else sees kNotFound (existence is not
// revealed). Writing with only kRead is kPermissionDenied. kSystemActor (the
// server itself: scheduling delivery, the admin CLI) passes every check.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/store.hpp"
#include "store/types.hpp"

namespace taube::store {

using CollectionId = Id<struct CollectionTag>;

// The server acting on its own behalf; never a real account id.
inline constexpr AccountId kSystemActor{-1};

enum class CollectionKind : std::uint8_t {
  kCalendar,
  kAddressBook,
  kScheduleInbox,   // RFC 6638 2.2: UIDs need not be unique here
  kScheduleOutbox,  // RFC 6638 2.1
};

// What `actor` may do with a collection. Ordered: a higher value includes the lower.
enum class Access : std::uint8_t { kNone, kRead, kReadWrite, kOwner };

struct Collection {
  CollectionId id;  // never reused, also not after deletion (part of sync tokens)
  AccountId owner;
  CollectionKind kind = CollectionKind::kCalendar;
  // Path segment under the owner's home; unique per owner across all kinds.
  std::string name;
  std::string displayname;
  std::string description;
  std::string color;     // e.g. "#3a87adff" (Apple calendar-color), opaque here
  std::string timezone;  // CALDAV:calendar-timezone: a VCALENDAR text, or empty
  // CALDAV:supported-calendar-component-set ("VEVENT", "VTODO", ...);
  // empty means any. Ignored for other kinds.
  std::vector<std::string> components;
  // WebDAV dead properties set by PROPPATCH: "{namespace}local-name" -> the
  // property's XML content as sent (opaque to the store).
  std::map<std::string, std::string> properties;
  // The collection's change counter: raised by one for every change of a
  // member (put, delete) and of the collection's properties. Serves as
  // CS:getctag and as the number in the RFC 6578 sync token. Starts at 1.
  std::uint64_t sync_token = 0;
  UnixTime created_at{};
  Access access = Access::kNone;  // of the actor that asked
};

// MKCOL / MKCALENDAR (RFC 5689, RFC 4791 5.3.1).
struct NewCollection {
  CollectionKind kind = CollectionKind::kCalendar;
  std::string name;  // 1..255 bytes, no '/', no control characters, not "." or ".."
  std::string displayname;
  std::string description;
  std::string color;
  std::string timezone;
  std::vector<std::string> components;
  std::map<std::string, std::string> properties;
};

// PROPPATCH: fields left empty stay as they are; a property mapped to nullopt
// is removed.
struct CollectionPatch {
  std::optional<std::string> displayname;
  std::optional<std::string> description;
  std::optional<std::string> color;
  std::optional<std::string> timezone;
  std::optional<std::vector<std::string>> components;
  std::map<std::string, std::optional<std::string>> properties;
};

// A member of a collection (one .ics or .vcf).
struct DavResource {
  CollectionId collection;
  std::string name;          // path segment, e.g. "abc.ics"
  std::string uid;           // iCalendar/vCard UID; may be empty (vCard 3 without UID)
  std::string etag;          // lower-case hex SHA-256 of `content`, without quotes (strong)
  std::string content_type;  // as given at put, e.g. "text/calendar; charset=utf-8"
  std::uint64_t size = 0;    // bytes of content
  UnixTime modified{};       // DAV:getlastmodified
  std::uint64_t token = 0;   // the collection's sync_token at the last change of this resource
  // Index fields supplied by the DAV layer at put (see DavPut).
  std::string component;  // "VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY", "VCARD"
  std::optional<UnixTime> range_start;
  std::optional<UnixTime> range_end;
  // The bytes; filled only by calls that say so.
  std::string content;
};

struct DavPut {
  std::string name;
  std::string uid;
  std::string content;
  std::string content_type;
  std::string component;
  // The span of all instances in UTC for time-range pre-filtering: from the
  // start of the first to the end of the last. nullopt = unbounded on that
  // side (an endless RRULE, no DTSTART, or simply unknown). Must be a superset:
  // the DAV layer refines matches with libical.
  std::optional<UnixTime> range_start;
  std::optional<UnixTime> range_end;
  // Preconditions (RFC 4918 10.4, RFC 7232), checked in the same transaction
  // as the write: the resource must exist with this etag (no quotes) ...
  std::optional<std::string> if_match;
  // ... or must not exist at all ("If-None-Match: *").
  bool if_none_match = false;
};

struct DavPutResult {
  std::string etag;
  bool created = false;  // 201 rather than 204
  std::uint64_t token = 0;
};

// Which members to return. All set conditions must hold.
struct ResourceFilter {
  std::optional<std::string> component;  // exact match on DavResource::component
  // Time-range pre-filter: members whose [range_start, range_end] touches
  // [start, end] (inclusive on both sides, unbounded sides always touch). A
  // superset of the RFC 4791 9.9 answer.
  std::optional<UnixTime> start;
  std::optional<UnixTime> end;
  bool with_content = false;
};

// RFC 6578 sync-collection: what changed after a token.
struct DavChanges {
  std::uint64_t token = 0;           // the collection's current sync_token
  std::vector<DavResource> changed;  // created or modified, without content, by name
  std::vector<std::string> deleted;  // names removed (and not re-created), sorted
};

// Where a UID lives (scheduling: find the organizer's or attendee's copy).
struct ResourceRef {
  CollectionId collection;
  std::string collection_name;
  CollectionKind kind = CollectionKind::kCalendar;
  std::string name;
  std::string etag;
};

struct Share {
  CollectionId collection;
  AccountId owner;
  std::string collection_name;
  CollectionKind kind = CollectionKind::kCalendar;
  AccountId sharee;
  Access access = Access::kRead;  // kRead or kReadWrite
};

// Created with every account (and for accounts that existed before DAV):
// "calendar" (VEVENT, VTODO), "contacts", "inbox" and "outbox".
inline constexpr std::string_view kDefaultCalendar = "calendar";
inline constexpr std::string_view kDefaultAddressBook = "contacts";
inline constexpr std::string_view kScheduleInbox = "inbox";
inline constexpr std::string_view kScheduleOutbox = "outbox";

class DavStore {
 public:
  virtual ~DavStore() = default;

  // --- Collections ---
  // The collections of `owner` that `actor` can see, ordered by name
  // (the owner sees all; others only those shared with them).
  virtual Async<std::vector<Collection>> list_collections(AccountId actor, AccountId owner) = 0;
  // Collections of other accounts shared with `actor`, ordered by owner, name.
  virtual Async<std::vector<Collection>> list_shared_with(AccountId actor) = 0;
  // Errors: kNotFound (no such collection, or no access).
  virtual Async<Collection> get_collection(AccountId actor, AccountId owner, std::string name) = 0;
  virtual Async<Collection> get_collection(AccountId actor, CollectionId id) = 0;
  // Only the owner (or kSystemActor) creates. Errors: kAlreadyExists (name
  // taken), kInvalidArgument (bad name), kPermissionDenied, kNotFound (owner).
  virtual Async<Collection> create_collection(AccountId actor, AccountId owner,
                                              NewCollection collection) = 0;
  // Owner only; raises sync_token. Errors: kNotFound, kPermissionDenied.
  virtual Async<Collection> update_collection(AccountId actor, CollectionId id,
                                              CollectionPatch patch) = 0;
  // Owner only: deletes members, change log and shares. Errors: kNotFound,
  // kPermissionDenied.
  virtual Async<void> delete_collection(AccountId actor, CollectionId id) = 0;

  // --- Resources --- (reads need kRead, writes kReadWrite)
  // Members matching `filter`, ordered by name. Errors: kNotFound.
  virtual Async<std::vector<DavResource>> list_resources(AccountId actor, CollectionId id,
                                                         ResourceFilter filter = {}) = 0;
  // One member with its content. Errors: kNotFound.
  virtual Async<DavResource> get_resource(AccountId actor, CollectionId id, std::string name) = 0;
  // The members among `names` that exist, with content, ordered by name;
  // missing names are simply absent (multiget answers 404 for them).
  // Errors: kNotFound (collection).
  virtual Async<std::vector<DavResource>> multiget(AccountId actor, CollectionId id,
                                                   std::vector<std::string> names) = 0;
  // Creates or replaces a member; the etag is computed here. Raises the
  // collection's sync_token. Errors: kNotFound (collection), kPermissionDenied,
  // kConflict (if_match / if_none_match failed: HTTP 412), kAlreadyExists
  // (another member of this calendar/address book has the same non-empty UID:
  // CALDAV:no-uid-conflict), kInvalidArgument (bad name).
  virtual Async<DavPutResult> put_resource(AccountId actor, CollectionId id, DavPut put) = 0;
  // Errors: kNotFound (collection or member), kPermissionDenied, kConflict
  // (if_match given and different: 412). Returns the new sync_token.
  virtual Async<std::uint64_t> delete_resource(AccountId actor, CollectionId id, std::string name,
                                               std::optional<std::string> if_match) = 0;
  // RFC 6578: members changed and names deleted after `token`; token 0 means
  // the initial sync (every member, no deletions). Errors: kNotFound,
  // kInvalidArgument (token newer than the collection's or older than what
  // its change log keeps: DAV:valid-sync-token).
  virtual Async<DavChanges> changes_since(AccountId actor, CollectionId id,
                                          std::uint64_t token) = 0;
  // Members with this UID in the collections of `owner` that `actor` can see
  // (scheduling: the attendee's copy, the organizer's event, inbox items).
  virtual Async<std::vector<ResourceRef>> find_uid(AccountId actor, AccountId owner,
                                                   std::string uid) = 0;

  // --- Shares (administration: `taube share`) ---
  // Adds or changes a share. Errors: kNotFound (collection or sharee),
  // kInvalidArgument (access not kRead/kReadWrite, or sharee is the owner).
  virtual Async<void> set_share(CollectionId id, AccountId sharee, Access access) = 0;
  // Errors: kNotFound (no such share).
  virtual Async<void> remove_share(CollectionId id, AccountId sharee) = 0;
  // Shares where `account` is the owner or the sharee; all when nullopt.
  // Ordered by owner, collection name, sharee.
  virtual Async<std::vector<Share>> list_shares(std::optional<AccountId> account) = 0;
};

std::string_view to_string(CollectionKind kind);  // "calendar", "addressbook", ...
std::optional<CollectionKind> collection_kind_from(std::string_view s);
std::string_view to_string(Access access);  // "none", "read", "read-write", "owner"
std::optional<Access> access_from(std::string_view s);
// A collection or member name: 1..255 bytes, no '/', no control characters,
// not "." or "..".
bool is_valid_dav_name(std::string_view name);

}  // namespace taube::store
