// Domain types of the store: directory (domains, accounts, aliases), mailboxes,
// messages and the delivery request. Shared by every engine and every protocol;
// plain value types with no engine or parser dependency (MessageMeta is filled by
// a separate layer from the mime module). No threading concerns.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace taube::store {

// A 64-bit row id that does not convert to another kind of id by accident.
template <class Tag>
struct Id {
  std::int64_t value = 0;
  friend auto operator<=>(const Id&, const Id&) = default;
};
using DomainId = Id<struct DomainTag>;
using AccountId = Id<struct AccountTag>;
using MailboxId = Id<struct MailboxTag>;

using Uid = std::uint32_t;     // RFC 9051 2.3.1.1: 1..2^32-1
using ModSeq = std::uint64_t;  // RFC 7162 3.1.1: 1..2^63-1
using UnixTime = std::chrono::sys_seconds;

struct Domain {
  DomainId id;
  std::string name;  // lower case
};

struct Account {
  AccountId id;
  DomainId domain;
  std::string address;        // local@domain, domain in lower case
  std::string password_hash;  // opaque to the store (auth/ owns the format)
  UnixTime created_at{};
};

// source is "user@domain" or the catch-all "@domain"; targets are addresses
// (local accounts or further aliases; non-local targets are kept but not resolved).
struct Alias {
  std::string source;
  std::vector<std::string> targets;
};

// RFC 6154 special-use attributes.
enum class SpecialUse : std::uint8_t { kNone, kDrafts, kSent, kTrash, kJunk, kArchive };
std::string_view to_string(SpecialUse use);  // "\\Drafts" ..., "" for kNone

struct MailboxCounts {
  std::uint32_t messages = 0;
  std::uint32_t unseen = 0;
  std::uint32_t deleted = 0;
  std::uint64_t size_bytes = 0;
};

struct Mailbox {
  MailboxId id;
  AccountId account;
  std::string name;  // UTF-8, hierarchy separator '/', "INBOX" always in upper case
  std::uint32_t uid_validity = 0;
  Uid uid_next = 1;
  ModSeq highest_modseq = 1;
  SpecialUse special_use = SpecialUse::kNone;
  bool subscribed = false;
  MailboxCounts counts;
};

inline constexpr char kHierarchySeparator = '/';
inline constexpr std::string_view kInbox = "INBOX";

// System flags as a bitmask (RFC 9051 2.3.2); keywords as strings.
enum SystemFlag : std::uint8_t {
  kSeen = 1 << 0,
  kAnswered = 1 << 1,
  kFlagged = 1 << 2,
  kDeleted = 1 << 3,
  kDraft = 1 << 4,
};

struct Flags {
  std::uint8_t system = 0;            // SystemFlag bits
  std::vector<std::string> keywords;  // sorted, unique (ASCII case-insensitive)

  bool has(SystemFlag f) const { return (system & f) != 0; }
  bool has_keyword(std::string_view k) const;
  void add(const Flags& other);
  void remove(const Flags& other);
  void normalize();  // sorts keywords and drops duplicates
  friend bool operator==(const Flags&, const Flags&) = default;
};

// Stored message metadata: supplied by the caller at delivery, returned by
// AccountStore::read_meta. Plain strings; the IMAP text forms are opaque here.
struct MessageMeta {
  std::string envelope;        // RFC 9051 ENVELOPE, IMAP text form
  std::string body_structure;  // BODYSTRUCTURE, IMAP text form
  std::string body;            // BODY (non-extensible), IMAP text form
  std::string subject;
  std::string from;
  std::string to;
  std::string cc;
  std::string bcc;
  std::optional<UnixTime> sent_date;  // Date: header
  std::string message_id;
  std::string in_reply_to;
  std::string references;
  std::string headers;      // raw header block, CRLF line ends, used by header_search
  std::string preview;      // RFC 8970
  std::string search_text;  // decoded body text for full-text search
  friend bool operator==(const MessageMeta&, const MessageMeta&) = default;
};

// A message's row in one mailbox.
struct MessageRecord {
  Uid uid = 0;
  ModSeq modseq = 0;
  Flags flags;
  UnixTime internal_date{};
  UnixTime save_date{};    // RFC 8514
  std::uint64_t size = 0;  // RFC822.SIZE: bytes of the raw message
  std::string blob_hash;   // lower-case hex SHA-256 of the raw message
  std::string email_id;    // RFC 8474 EMAILID; kept by COPY and MOVE
  std::optional<UnixTime> sent_date;  // the Date: header (SORT DATE, SENTBEFORE...)
};

// Closed UID ranges; {1, kMaxUid} is "1:*". Ranges may overlap or be unordered.
struct UidRange {
  Uid first = 1;
  Uid last = 1;
};
inline constexpr Uid kMaxUid = 0xFFFFFFFFu;
using UidSet = std::vector<UidRange>;
inline UidSet all_uids() { return {UidRange{1, kMaxUid}}; }
inline UidSet single_uid(Uid uid) { return {UidRange{uid, uid}}; }
bool contains(const UidSet& set, Uid uid);

// Where one copy of a delivered message goes. mailbox_id wins over mailbox.
struct DeliveryTarget {
  AccountId account;
  std::string mailbox = std::string(kInbox);
  std::optional<MailboxId> mailbox_id;
  Flags flags;
};

// RFC 3461 DSN parameters (outbound mail; the queue itself is store/queue.hpp).
enum NotifyFlag : std::uint8_t {
  kNotifyNever = 1,
  kNotifySuccess = 2,
  kNotifyFailure = 4,
  kNotifyDelay = 8,
};
enum class DsnRet : std::uint8_t { kUnspecified, kFull, kHeaders };

struct OutboundRecipient {
  std::string address;     // forward-path, as given in RCPT TO
  std::string orcpt;       // ORCPT=, xtext-decoded ("" if none)
  std::uint8_t notify = 0;  // NotifyFlag bits; 0 = not given (default: failure+delay)
};

// Mail for other domains: one message, grouped by the store into one queue entry
// per destination domain (lower case), each with per-recipient status.
struct Outbound {
  std::string sender;  // reverse-path; "" is the null sender (a bounce: never bounced)
  std::string envid;   // ENVID=
  DsnRet ret = DsnRet::kUnspecified;
  AccountId submitted_by{};  // 0 for internally generated mail (bounces, iMIP)
  std::vector<OutboundRecipient> recipients;
};

// One raw message to N targets; the blob is stored once.
struct Delivery {
  std::string raw;  // the message bytes as received (CRLF)
  MessageMeta meta;
  UnixTime internal_date{};
  std::vector<DeliveryTarget> targets;
  // Recipients in other domains, queued in the same transaction (targets may
  // then be empty).
  std::optional<Outbound> outbound;
  // Non-empty: a delivery committed before with this key is not repeated; the
  // earlier per-target results are returned instead (kept ~7 days).
  std::string idempotency_key;
};

struct Delivered {
  MailboxId mailbox;
  std::uint32_t uid_validity = 0;
  Uid uid = 0;
  ModSeq modseq = 0;
};

enum class FlagsMode : std::uint8_t { kAdd, kRemove, kReplace };

struct StoreFlagsResult {
  std::vector<MessageRecord> records;  // every message of the set that passed the check
  std::vector<Uid> failed;             // RFC 7162 3.1.3 MODIFIED: failed UNCHANGEDSINCE
  ModSeq highest_modseq = 0;           // after the operation
};

struct CopyResult {                // RFC 4315 COPYUID
  std::uint32_t uid_validity = 0;  // of the destination
  std::vector<Uid> source_uids;
  std::vector<Uid> destination_uids;  // same order as source_uids
};

// A committed change to a mailbox, for IMAP IDLE / NOTIFY and DAV sync later.
struct MailboxChange {
  AccountId account;
  MailboxId mailbox;
  ModSeq highest_modseq = 0;
  Uid uid_next = 0;
  bool deleted = false;  // the mailbox itself was deleted or renamed away
};

// Helpers shared by engines (pure).
// Splits "local@domain" at the last '@'; nullopt if either side is empty
// (the local part may be empty only when allow_empty_local, for "@domain").
struct AddressParts {
  std::string local;
  std::string domain;  // lower case
};
std::optional<AddressParts> split_address(std::string_view address, bool allow_empty_local = false);

// "inbox" in any case -> "INBOX"; other names unchanged.
std::string normalize_mailbox_name(std::string_view name);
// Non-empty valid UTF-8 without control characters, no empty hierarchy level,
// at most 1024 bytes.
bool is_valid_mailbox_name(std::string_view name);

}  // namespace taube::store
