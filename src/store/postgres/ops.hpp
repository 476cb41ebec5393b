// The PostgreSQL engine's operations as coroutines over one PgConn, with the
// same semantics as the SQLite engine's ops (store/sqlite/ops.hpp). Writers run
// inside the engine's group-commit transaction (each in its own SAVEPOINT) and
// append the MailboxChanges they cause; readers run inside a read-only
// REPEATABLE READ transaction. Domain errors are values; PgError propagates to
// the job runner. Runs on the engine's io thread only.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/postgres/pg_conn.hpp"
#include "store/dav.hpp"
#include "store/queue.hpp"
#include "store/store.hpp"

namespace taube::store::postgres::ops {

template <class T>
using Op = boost::asio::awaitable<Result<T>>;
using Changes = std::vector<MailboxChange>;

// A raw message hashed and compressed on the caller's thread.
struct PreparedBlob {
  std::string hash;
  std::string frame;
  std::uint64_t size = 0;
};

// Directory (ops_directory.cpp)
Op<Domain> add_domain(PgConn& c, const std::string& name);
Op<std::vector<Domain>> list_domains(PgConn& c);
Op<void> delete_domain(PgConn& c, const std::string& name);
Op<bool> is_local_domain(PgConn& c, const std::string& name);
Op<Account> create_account(PgConn& c, Changes& changes, const std::string& address,
                           const std::string& password_hash);
Op<Account> find_account(PgConn& c, const std::string& address);
Op<Account> get_account(PgConn& c, AccountId id);
Op<std::vector<Account>> list_accounts(PgConn& c, const std::optional<std::string>& domain);
Op<void> delete_account(PgConn& c, Changes& changes, AccountId id);
Op<void> set_password_hash(PgConn& c, AccountId id, const std::string& password_hash);
Op<void> add_alias(PgConn& c, const Alias& alias);
Op<std::vector<Alias>> list_aliases(PgConn& c, const std::optional<std::string>& domain);
Op<void> delete_alias(PgConn& c, const std::string& source);
Op<std::vector<AccountId>> resolve_recipient(PgConn& c, const std::string& address);

// Mailboxes and messages (ops_mail.cpp)
Op<std::vector<Result<Delivered>>> deliver(PgConn& c, Changes& changes, const Delivery& d,
                                           const PreparedBlob& blob);
Op<std::vector<Mailbox>> list_mailboxes(PgConn& c, AccountId account);
Op<Mailbox> get_mailbox(PgConn& c, AccountId account, const std::string& name);
Op<Mailbox> get_mailbox(PgConn& c, AccountId account, MailboxId id);
Op<Mailbox> create_mailbox(PgConn& c, Changes& changes, AccountId account, const std::string& name,
                           SpecialUse use);
Op<void> delete_mailbox(PgConn& c, Changes& changes, AccountId account, const std::string& name);
Op<void> rename_mailbox(PgConn& c, Changes& changes, AccountId account, const std::string& from,
                        const std::string& to);
Op<void> subscribe(PgConn& c, AccountId account, const std::string& name);
Op<void> unsubscribe(PgConn& c, AccountId account, const std::string& name);
Op<std::vector<std::string>> list_subscriptions(PgConn& c, AccountId account);
Op<std::vector<MessageRecord>> list_messages(PgConn& c, AccountId account, MailboxId mailbox,
                                             ModSeq since);
Op<std::vector<std::pair<Uid, MessageMeta>>> read_meta(PgConn& c, AccountId account,
                                                       MailboxId mailbox, const UidSet& uids);
// The stored (compressed) frame of one message.
Op<std::string> read_frame(PgConn& c, AccountId account, MailboxId mailbox, Uid uid);
Op<StoreFlagsResult> store_flags(PgConn& c, Changes& changes, AccountId account, MailboxId mailbox,
                                 const UidSet& uids, FlagsMode mode, const Flags& flags,
                                 std::optional<ModSeq> unchanged_since);
Op<std::vector<Uid>> expunge(PgConn& c, Changes& changes, AccountId account, MailboxId mailbox,
                             const UidSet& uids, bool only_deleted);
Op<std::vector<Uid>> expunged_since(PgConn& c, AccountId account, MailboxId mailbox, ModSeq since);
Op<CopyResult> copy(PgConn& c, Changes& changes, AccountId account, MailboxId from,
                    const UidSet& uids, MailboxId to, bool move);
Op<std::vector<Uid>> search_text(PgConn& c, AccountId account, MailboxId mailbox,
                                 const std::string& query);
Op<std::vector<Uid>> header_search(PgConn& c, AccountId account, MailboxId mailbox,
                                   const std::string& field, const std::string& substring);

// Blobs (ops_mail.cpp)
Op<std::string> put_blob(PgConn& c, const PreparedBlob& blob);
Op<std::string> get_blob_frame(PgConn& c, const std::string& hash);
Op<void> erase_blob(PgConn& c, const std::string& hash);
Op<std::uint64_t> count_blobs(PgConn& c);

// Outbound queue and idempotency keys (ops_queue.cpp)
// Queues `outbound` for the blob `hash` (already stored), one entry per domain.
Op<std::vector<QueueEntryId>> queue_outbound(PgConn& c, const Outbound& outbound,
                                             const std::string& hash, std::uint64_t size);
Op<std::vector<QueueEntryId>> enqueue(PgConn& c, const Outbound& outbound,
                                      const PreparedBlob& blob);
Op<std::vector<QueueEntry>> claim(PgConn& c, const std::string& node, std::size_t max,
                                  std::chrono::seconds lease);
Op<void> renew(PgConn& c, QueueEntryId id, const std::string& node, std::chrono::seconds lease);
Op<std::string> read_queue_frame(PgConn& c, QueueEntryId id);
Op<void> record_attempt(PgConn& c, QueueEntryId id, const std::string& node,
                        const AttemptResult& r);
Op<std::vector<QueueEntry>> list_queue(PgConn& c);
Op<QueueEntry> get_queue_entry(PgConn& c, QueueEntryId id);
Op<void> hold_queue_entry(PgConn& c, QueueEntryId id, bool held);
Op<void> retry_queue_entry(PgConn& c, QueueEntryId id);
Op<void> remove_queue_entry(PgConn& c, QueueEntryId id);
Op<std::uint64_t> queue_depth(PgConn& c);
// Claims `key` for this transaction; when a transaction committed it before
// (waiting for one in flight), returns its results instead. Prunes old keys.
boost::asio::awaitable<std::optional<std::vector<Result<Delivered>>>> claim_delivery_key(
    PgConn& c, const std::string& key);
boost::asio::awaitable<void> remember_delivery_key(PgConn& c, const std::string& key,
                                                   const std::vector<Result<Delivered>>& results);

// Shared helpers
UnixTime now();

// Calendars and address books (ops_dav.cpp): see store/dav.hpp for semantics.
namespace dav {
Op<std::vector<Collection>> list_collections(PgConn& c, AccountId actor, AccountId owner);
Op<std::vector<Collection>> list_shared_with(PgConn& c, AccountId actor);
Op<Collection> get_collection(PgConn& c, AccountId actor, AccountId owner, const std::string& name);
Op<Collection> get_collection(PgConn& c, AccountId actor, CollectionId id);
Op<Collection> create_collection(PgConn& c, AccountId actor, AccountId owner,
                                 const NewCollection& nc);
Op<Collection> update_collection(PgConn& c, AccountId actor, CollectionId id,
                                 const CollectionPatch& patch);
Op<void> delete_collection(PgConn& c, AccountId actor, CollectionId id);
Op<std::vector<DavResource>> list_resources(PgConn& c, AccountId actor, CollectionId id,
                                            const ResourceFilter& filter);
Op<DavResource> get_resource(PgConn& c, AccountId actor, CollectionId id, const std::string& name);
Op<std::vector<DavResource>> multiget(PgConn& c, AccountId actor, CollectionId id,
                                      const std::vector<std::string>& names);
// `etag` is the SHA-256 of put.content, computed on the caller's thread.
Op<DavPutResult> put_resource(PgConn& c, AccountId actor, CollectionId id, const DavPut& put,
                              const std::string& etag);
Op<std::uint64_t> delete_resource(PgConn& c, AccountId actor, CollectionId id,
                                  const std::string& name,
                                  const std::optional<std::string>& if_match);
Op<DavChanges> changes_since(PgConn& c, AccountId actor, CollectionId id, std::uint64_t token);
Op<std::vector<ResourceRef>> find_uid(PgConn& c, AccountId actor, AccountId owner,
                                      const std::string& uid);
Op<void> set_share(PgConn& c, CollectionId id, AccountId sharee, Access access);
Op<void> remove_share(PgConn& c, CollectionId id, AccountId sharee);
Op<std::vector<Share>> list_shares(PgConn& c, const std::optional<AccountId>& account);
}  // namespace dav

}  // namespace taube::store::postgres::ops
