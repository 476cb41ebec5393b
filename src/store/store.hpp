// The store interface: where SMTP/LMTP delivery, IMAP, POP3 (and later DAV) meet.
// Engines (sqlite/, later postgres/) implement Store and AccountStore; only
// server/, tests and benchmarks name an engine. Every operation is asynchronous
// and domain-level; a Store is thread-safe and callers resume on their own
// executor. Ownership: the Store outlives every AccountStore and subscription.
//
// Conventions for every awaitable below:
//  - Durability: a write completes only after the transaction holding it is
//    durably committed; on a failed commit nothing of the operation is visible.
//  - Cancellation: operations are not cancellable; once started, a write runs to
//    completion and commits even if the caller has gone away.
//  - Errors: kUnavailable when the database/disk fails (retry later), kInternal
//    on corrupt data; per-operation errors are listed at each declaration.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "store/blob_store.hpp"
#include "store/types.hpp"

namespace taube::store {

template <class T>
using Async = boost::asio::awaitable<Result<T>>;

class DavStore;  // store/dav.hpp: calendars and address books

class QueueStore;  // store/queue.hpp

// Operations of one account, as needed by IMAP and POP3. Obtained after login
// from Store::account(); every call is confined to that account (a MailboxId of
// another account is kNotFound). Thread-safe; cheap to create.
class AccountStore {
 public:
  virtual ~AccountStore() = default;
  virtual AccountId account() const = 0;

  // All mailboxes of the account with their counts, ordered by name.
  virtual Async<std::vector<Mailbox>> list_mailboxes() = 0;
  // One mailbox with counts (IMAP STATUS/SELECT). Errors: kNotFound.
  virtual Async<Mailbox> get_mailbox(std::string name) = 0;
  virtual Async<Mailbox> get_mailbox(MailboxId id) = 0;

  // Creates `name` and any missing superiors (RFC 9051 6.3.4) with a fresh
  // uid_validity never used before in this store. Errors: kAlreadyExists,
  // kInvalidArgument (bad name).
  virtual Async<Mailbox> create_mailbox(std::string name, SpecialUse use = SpecialUse::kNone) = 0;
  // Deletes one mailbox and its messages; inferiors stay. Errors: kNotFound,
  // kInvalidArgument for INBOX (RFC 9051 6.3.5).
  virtual Async<void> delete_mailbox(std::string name) = 0;
  // Renames `from` and its inferiors. Renaming INBOX moves its messages to `to`
  // and leaves a new empty INBOX with a new uid_validity (RFC 9051 6.3.6).
  // Errors: kNotFound, kAlreadyExists, kInvalidArgument.
  virtual Async<void> rename_mailbox(std::string from, std::string to) = 0;

  // Subscriptions may name mailboxes that do not exist (RFC 9051 6.3.7).
  virtual Async<void> subscribe(std::string name) = 0;
  virtual Async<void> unsubscribe(std::string name) = 0;  // kNotFound if not subscribed
  virtual Async<std::vector<std::string>> list_subscriptions() = 0;

  // IMAP APPEND; same group-commit path as Store::deliver.
  // Errors: kNotFound (mailbox: IMAP answers [TRYCREATE]), kTooLarge.
  virtual Async<Delivered> append(MailboxId mailbox, std::string raw, MessageMeta meta, Flags flags,
                                  UnixTime internal_date) = 0;

  // Records ordered by UID; with since_modseq only those with modseq > since
  // (RFC 7162 CHANGEDSINCE). Errors: kNotFound.
  virtual Async<std::vector<MessageRecord>> list_messages(MailboxId mailbox,
                                                          ModSeq since_modseq = 0) = 0;
  // Metadata of the existing messages in `uids`, ordered by UID.
  virtual Async<std::vector<std::pair<Uid, MessageMeta>>> read_meta(MailboxId mailbox,
                                                                    UidSet uids) = 0;
  // The raw message, decompressed. Errors: kNotFound; kInternal if corrupt.
  virtual Async<std::string> read_raw(MailboxId mailbox, Uid uid) = 0;

  // RFC 9051 STORE / RFC 7162 UNCHANGEDSINCE: messages whose modseq exceeds
  // unchanged_since are left alone and reported in `failed`. Every message whose
  // flags change gets the mailbox's next modseq (one per call). Errors: kNotFound.
  virtual Async<StoreFlagsResult> store_flags(MailboxId mailbox, UidSet uids, FlagsMode mode,
                                              Flags flags,
                                              std::optional<ModSeq> unchanged_since) = 0;

  // Removes the messages in `uids` (only those flagged \Deleted when
  // only_deleted) and logs each expunged UID with the new modseq for QRESYNC.
  // Returns the expunged UIDs in ascending order. Errors: kNotFound.
  virtual Async<std::vector<Uid>> expunge(MailboxId mailbox, UidSet uids,
                                          bool only_deleted = true) = 0;
  // UIDs expunged with a modseq > since (RFC 7162 3.2.5.2 VANISHED).
  virtual Async<std::vector<Uid>> expunged_since(MailboxId mailbox, ModSeq since) = 0;

  // RFC 4315 COPYUID / RFC 6851 MOVE (atomic: one transaction). An empty result
  // when no UID of the set exists. Errors: kNotFound (either mailbox).
  virtual Async<CopyResult> copy(MailboxId from, UidSet uids, MailboxId to) = 0;
  virtual Async<CopyResult> move(MailboxId from, UidSet uids, MailboxId to) = 0;

  // Full-text search over body text and headers; `query` is plain text matched
  // as a phrase, case-insensitively (IMAP SEARCH TEXT/BODY). UIDs ascending.
  virtual Async<std::vector<Uid>> search_text(MailboxId mailbox, std::string query) = 0;
  // Messages with a header `field` whose unfolded value contains `substring`,
  // ASCII case-insensitive (IMAP SEARCH HEADER/FROM/SUBJECT...). Empty substring
  // matches any message that has the field. Uses stored headers, never blobs.
  virtual Async<std::vector<Uid>> header_search(MailboxId mailbox, std::string field,
                                                std::string substring) = 0;
};

// Unsubscribes on destruction; no callback runs after the destructor returns.
// REQUIRES: not destroyed from inside its own callback.
class ChangeSubscription {
 public:
  virtual ~ChangeSubscription() = default;
};

class Store {
 public:
  virtual ~Store() = default;

  // --- Directory ---
  // Errors: kAlreadyExists, kInvalidArgument.
  virtual Async<Domain> add_domain(std::string name) = 0;
  virtual Async<std::vector<Domain>> list_domains() = 0;
  // Deletes a domain and its aliases. Errors: kNotFound; kConflict while
  // accounts remain (delete them first: that is where mail is lost).
  virtual Async<void> delete_domain(std::string name) = 0;
  virtual Async<bool> is_local_domain(std::string name) = 0;

  // Creates the account with INBOX, Drafts, Sent, Trash, Junk and Archive
  // (special-use set, all subscribed). Errors: kNotFound (domain),
  // kAlreadyExists, kInvalidArgument.
  virtual Async<Account> create_account(std::string address, std::string password_hash) = 0;
  // Case-insensitive in local part and domain. Errors: kNotFound.
  virtual Async<Account> find_account(std::string address) = 0;
  virtual Async<Account> get_account(AccountId id) = 0;
  // All accounts, or those of one domain, ordered by address.
  virtual Async<std::vector<Account>> list_accounts(std::optional<std::string> domain) = 0;
  // Deletes the account with its mailboxes, messages and subscriptions;
  // blobs no longer referenced go too. Errors: kNotFound.
  virtual Async<void> delete_account(AccountId id) = 0;
  virtual Async<void> set_password_hash(AccountId id, std::string password_hash) = 0;

  // Errors: kNotFound (domain), kAlreadyExists, kInvalidArgument.
  virtual Async<void> add_alias(Alias alias) = 0;
  virtual Async<std::vector<Alias>> list_aliases(std::optional<std::string> domain) = 0;
  virtual Async<void> delete_alias(std::string source) = 0;  // kNotFound

  // Local accounts for an envelope recipient: the exact account, else the
  // alias (targets resolved recursively, deduplicated), else the domain's
  // catch-all. Errors: kNotFound (local domain, nobody there: SMTP 550 5.1.1);
  // kPermissionDenied (domain not local: relay decision, 550 5.7.1);
  // kInvalidArgument (not an address).
  virtual Async<std::vector<AccountId>> resolve_recipient(std::string address) = 0;

  // --- Delivery (hot path, group commit) ---
  // Stores the blob once and adds one message per target. The outer Result
  // fails when nothing was committed (kUnavailable); otherwise one Result per
  // target in order (kNotFound: account or mailbox; nothing stored for it).
  // Completes only after the COMMIT holding it returned successfully.
  virtual Async<std::vector<Result<Delivered>>> deliver(Delivery delivery) = 0;

  // A handle bound to one account; does not check that the account exists
  // (its operations answer kNotFound).
  virtual std::unique_ptr<AccountStore> account(AccountId id) = 0;

  // Calls `on_change` after each committed change to a mailbox of `account`
  // (delivery, append, flags, expunge, copy/move, create/delete/rename).
  // The callback runs on an engine thread: it must not block nor call the store
  // synchronously; post to your own executor.
  virtual std::unique_ptr<ChangeSubscription> subscribe_changes(
      AccountId account, std::function<void(const MailboxChange&)> on_change) = 0;

  virtual BlobStore& blobs() = 0;

  // Calendars and address books (store/dav.hpp); lives as long as the Store.
  virtual DavStore& dav() = 0;
  // The outbound queue (store/queue.hpp); same lifetime as the Store.
  virtual QueueStore& queue() = 0;

  // Blocks until every operation started before the call has completed and handed
  // its result to the caller's executor; the store stays usable. For an orderly
  // shutdown: stop the callers' executors, drain(), then destroy the executors (and
  // with them the suspended callers) before the store. Engines without threads of
  // their own may keep this default.
  virtual void drain() {}
};

}  // namespace taube::store
