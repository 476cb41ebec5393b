// The SQLite engine's operations as plain synchronous functions over one Db.
// Writers run on the writer thread inside the group-commit transaction (each in
// its own SAVEPOINT) and append the MailboxChanges they cause; readers run on a
// reader thread inside a read transaction. They return domain errors as values
// and let DbError propagate to the job runner. No Asio here (cheap to compile).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/sqlite/db.hpp"
#include "store/dav.hpp"
#include "store/queue.hpp"
#include "store/store.hpp"

namespace taube::store::sqlite::ops {

using Changes = std::vector<MailboxChange>;

// A raw message already hashed and compressed on the caller's thread, so the
// single writer thread only does SQL.
struct PreparedBlob {
  std::string hash;
  std::string frame;
  std::uint64_t size = 0;
};

// Directory (ops_directory.cpp)
Result<Domain> add_domain(Db& db, const std::string& name);
Result<std::vector<Domain>> list_domains(Db& db);
Result<void> delete_domain(Db& db, const std::string& name);
Result<bool> is_local_domain(Db& db, const std::string& name);
Result<Account> create_account(Db& db, Changes& changes, const std::string& address,
                               const std::string& password_hash);
Result<Account> find_account(Db& db, const std::string& address);
Result<Account> get_account(Db& db, AccountId id);
Result<std::vector<Account>> list_accounts(Db& db, const std::optional<std::string>& domain);
Result<void> delete_account(Db& db, Changes& changes, AccountId id);
Result<void> set_password_hash(Db& db, AccountId id, const std::string& password_hash);
Result<void> add_alias(Db& db, const Alias& alias);
Result<std::vector<Alias>> list_aliases(Db& db, const std::optional<std::string>& domain);
Result<void> delete_alias(Db& db, const std::string& source);
Result<std::vector<AccountId>> resolve_recipient(Db& db, const std::string& address);

// Mailboxes and messages (ops_mail.cpp)
Result<std::vector<Result<Delivered>>> deliver(Db& db, Changes& changes, const Delivery& d,
                                               const PreparedBlob& blob);
Result<std::vector<Mailbox>> list_mailboxes(Db& db, AccountId account);
Result<Mailbox> get_mailbox(Db& db, AccountId account, const std::string& name);
Result<Mailbox> get_mailbox(Db& db, AccountId account, MailboxId id);
Result<Mailbox> create_mailbox(Db& db, Changes& changes, AccountId account, const std::string& name,
                               SpecialUse use);
Result<void> delete_mailbox(Db& db, Changes& changes, AccountId account, const std::string& name);
Result<void> rename_mailbox(Db& db, Changes& changes, AccountId account, const std::string& from,
                            const std::string& to);
Result<void> subscribe(Db& db, AccountId account, const std::string& name);
Result<void> unsubscribe(Db& db, AccountId account, const std::string& name);
Result<std::vector<std::string>> list_subscriptions(Db& db, AccountId account);
Result<std::vector<MessageRecord>> list_messages(Db& db, AccountId account, MailboxId mailbox,
                                                 ModSeq since);
Result<std::vector<std::pair<Uid, MessageMeta>>> read_meta(Db& db, AccountId account,
                                                           MailboxId mailbox, const UidSet& uids);
// The stored (compressed) frame of one message.
Result<std::string> read_frame(Db& db, AccountId account, MailboxId mailbox, Uid uid);
Result<StoreFlagsResult> store_flags(Db& db, Changes& changes, AccountId account, MailboxId mailbox,
                                     const UidSet& uids, FlagsMode mode, const Flags& flags,
                                     std::optional<ModSeq> unchanged_since);
Result<std::vector<Uid>> expunge(Db& db, Changes& changes, AccountId account, MailboxId mailbox,
                                 const UidSet& uids, bool only_deleted);
Result<std::vector<Uid>> expunged_since(Db& db, AccountId account, MailboxId mailbox, ModSeq since);
Result<CopyResult> copy(Db& db, Changes& changes, AccountId account, MailboxId from,
                        const UidSet& uids, MailboxId to, bool move);
Result<std::vector<Uid>> search_text(Db& db, AccountId account, MailboxId mailbox,
                                     const std::string& query);
Result<std::vector<Uid>> header_search(Db& db, AccountId account, MailboxId mailbox,
                                       const std::string& field, const std::string& substring);

// Blobs (ops_mail.cpp)
Result<std::string> put_blob(Db& db, const PreparedBlob& blob);
Result<std::string> get_blob_frame(Db& db, const std::string& hash);
Result<void> erase_blob(Db& db, const std::string& hash);
Result<std::uint64_t> count_blobs(Db& db);

// Outbound queue and idempotency keys (ops_queue.cpp)
// Queues `outbound` for the blob `hash` (already stored), one entry per domain.
Result<std::vector<QueueEntryId>> queue_outbound(Db& db, const Outbound& outbound,
                                                 const std::string& hash, std::uint64_t size);
Result<std::vector<QueueEntryId>> enqueue(Db& db, const Outbound& outbound,
                                          const PreparedBlob& blob);
Result<std::vector<QueueEntry>> claim(Db& db, const std::string& node, std::size_t max,
                                      std::chrono::seconds lease);
Result<void> renew(Db& db, QueueEntryId id, const std::string& node, std::chrono::seconds lease);
Result<std::string> read_queue_frame(Db& db, QueueEntryId id);
Result<void> record_attempt(Db& db, QueueEntryId id, const std::string& node,
                            const AttemptResult& r);
Result<std::vector<QueueEntry>> list_queue(Db& db);
Result<QueueEntry> get_queue_entry(Db& db, QueueEntryId id);
Result<void> hold_queue_entry(Db& db, QueueEntryId id, bool held);
Result<void> retry_queue_entry(Db& db, QueueEntryId id);
Result<void> remove_queue_entry(Db& db, QueueEntryId id);
Result<std::uint64_t> queue_depth(Db& db);
// The results committed earlier under `key`, if any (and prunes old keys).
std::optional<std::vector<Result<Delivered>>> find_delivery_key(Db& db, const std::string& key);
void remember_delivery_key(Db& db, const std::string& key,
                           const std::vector<Result<Delivered>>& results);

// Shared helpers
UnixTime now();

// Calendars and address books (ops_dav.cpp): see store/dav.hpp for semantics.
namespace dav {
Result<std::vector<Collection>> list_collections(Db& db, AccountId actor, AccountId owner);
Result<std::vector<Collection>> list_shared_with(Db& db, AccountId actor);
Result<Collection> get_collection(Db& db, AccountId actor, AccountId owner,
                                  const std::string& name);
Result<Collection> get_collection(Db& db, AccountId actor, CollectionId id);
Result<Collection> create_collection(Db& db, AccountId actor, AccountId owner,
                                     const NewCollection& c);
Result<Collection> update_collection(Db& db, AccountId actor, CollectionId id,
                                     const CollectionPatch& patch);
Result<void> delete_collection(Db& db, AccountId actor, CollectionId id);
Result<std::vector<DavResource>> list_resources(Db& db, AccountId actor, CollectionId id,
                                                const ResourceFilter& filter);
Result<DavResource> get_resource(Db& db, AccountId actor, CollectionId id, const std::string& name);
Result<std::vector<DavResource>> multiget(Db& db, AccountId actor, CollectionId id,
                                          const std::vector<std::string>& names);
// `etag` is the SHA-256 of put.content, computed on the caller's thread.
Result<DavPutResult> put_resource(Db& db, AccountId actor, CollectionId id, const DavPut& put,
                                  const std::string& etag);
Result<std::uint64_t> delete_resource(Db& db, AccountId actor, CollectionId id,
                                      const std::string& name,
                                      const std::optional<std::string>& if_match);
Result<DavChanges> changes_since(Db& db, AccountId actor, CollectionId id, std::uint64_t token);
Result<std::vector<ResourceRef>> find_uid(Db& db, AccountId actor, AccountId owner,
                                          const std::string& uid);
Result<void> set_share(Db& db, CollectionId id, AccountId sharee, Access access);
Result<void> remove_share(Db& db, CollectionId id, AccountId sharee);
Result<std::vector<Share>> list_shares(Db& db, const std::optional<AccountId>& account);
}  // namespace dav

}  // namespace taube::store::sqlite::ops
