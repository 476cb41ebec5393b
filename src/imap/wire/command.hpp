// Typed IMAP commands (RFC 9051 6, RFC 3501 6 and the extensions listed in
// README.md), as produced by parse_command from a Receiver's RawCommand. The
// values are validated syntax only: whether a command is allowed in the
// session's state, or a mailbox exists, is the session's business.
// Value types; no lifetime rules.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "imap/wire/datetime.hpp"
#include "imap/wire/fetch.hpp"
#include "imap/wire/search.hpp"
#include "imap/wire/sequence_set.hpp"

namespace taube::imap::wire {

// A mailbox name, decoded to UTF-8 (from modified UTF-7 unless UTF-8 names are
// in use); any case of "INBOX" is canonicalised to "INBOX" (RFC 9051 5.1).
using MailboxName = std::string;

// A message flag as sent: system flags keep their backslash ("\Seen"),
// keywords are atoms ("$Forwarded"). "\*" is never accepted from a client.
using Flag = std::string;

struct Capability {};
struct Noop {};
struct Logout {};
struct StartTls {};
struct Authenticate {
  std::string mechanism;                       // upper-cased
  std::optional<std::string> initial_response;  // RFC 4959 SASL-IR: base64 or "=" (empty)
};
struct Login {
  std::string user;
  std::string password;
};
struct Enable {
  std::vector<std::string> capabilities;  // upper-cased
};
// RFC 7162 3.2.5.
struct QresyncParams {
  std::uint32_t uid_validity = 0;
  std::uint64_t mod_seq = 0;
  std::optional<SequenceSet> known_uids;
  std::optional<std::pair<SequenceSet, SequenceSet>> seq_match;  // (known seqs, known uids)
};
struct Select {
  MailboxName mailbox;
  bool read_only = false;  // EXAMINE
  bool condstore = false;  // RFC 7162 3.1.8
  std::optional<QresyncParams> qresync;
};
struct Create {
  MailboxName mailbox;
  std::vector<std::string> special_use;  // RFC 6154 3: USE (\Drafts ...)
};
struct Delete { MailboxName mailbox; };
struct Rename {
  MailboxName from;
  MailboxName to;
};
struct Subscribe { MailboxName mailbox; };
struct Unsubscribe { MailboxName mailbox; };

enum class StatusItem {
  kMessages, kUidNext, kUidValidity, kUnseen, kDeleted, kSize, kRecent,
  kHighestModSeq, kAppendLimit, kMailboxId,
};

// LIST, LIST-EXTENDED (RFC 5258), LIST-STATUS (RFC 5819), SPECIAL-USE (RFC 6154), and LSUB.
struct List {
  bool lsub = false;
  bool extended = false;  // selection or return options or several patterns were given
  bool select_subscribed = false;
  bool select_remote = false;
  bool select_recursive_match = false;
  bool select_special_use = false;
  std::string reference;               // not a mailbox name: kept as sent (decoded)
  std::vector<std::string> patterns;   // list-mailbox, with "%" and "*"
  bool return_subscribed = false;
  bool return_children = false;
  bool return_special_use = false;
  std::optional<std::vector<StatusItem>> return_status;
};
struct Namespace {};
struct StatusCommand {
  MailboxName mailbox;
  std::vector<StatusItem> items;
};
struct AppendMessage {
  std::vector<Flag> flags;
  std::optional<DateTime> internal_date;
  std::string data;
  bool binary = false;  // literal8 (RFC 3516)
  bool utf8 = false;    // UTF8 (~{n}) form (RFC 6855 4)
};
// APPEND, MULTIAPPEND (RFC 3502) when messages.size() > 1.
struct Append {
  MailboxName mailbox;
  std::vector<AppendMessage> messages;
};
struct Idle {};
struct Check {};
struct Close {};
struct Unselect {};
struct Expunge {
  std::optional<SequenceSet> uids;  // UID EXPUNGE (RFC 4315)
};
struct Search {
  bool uid = false;
  std::optional<std::string> charset;  // upper-cased
  std::optional<SearchReturn> result_options;  // ESEARCH (RFC 4731); nullopt = plain SEARCH
  SearchKey key;                       // kAnd of all top-level keys
};
struct Fetch {
  bool uid = false;
  SequenceSet set;
  std::vector<FetchItem> items;
  std::optional<std::uint64_t> changed_since;  // RFC 7162 3.1.4
  bool vanished = false;                       // RFC 7162 3.2.6
};
enum class StoreMode { kReplace, kAdd, kRemove };
struct Store {
  bool uid = false;
  SequenceSet set;
  StoreMode mode = StoreMode::kReplace;
  bool silent = false;
  std::vector<Flag> flags;
  std::optional<std::uint64_t> unchanged_since;  // RFC 7162 3.1.3
};
struct Copy {
  bool uid = false;
  SequenceSet set;
  MailboxName mailbox;
};
struct Move {
  bool uid = false;
  SequenceSet set;
  MailboxName mailbox;
};
// RFC 2971: nullopt for "ID NIL".
struct Id {
  std::optional<std::vector<std::pair<std::string, std::optional<std::string>>>> params;
};
struct Sort {
  bool uid = false;
  std::vector<SortCriterion> criteria;
  std::string charset;
  std::optional<SearchReturn> result_options;  // ESORT (RFC 5267)
  SearchKey key;
};
enum class ThreadAlgorithm { kOrderedSubject, kReferences };
struct Thread {
  bool uid = false;
  ThreadAlgorithm algorithm = ThreadAlgorithm::kReferences;
  std::string charset;
  SearchKey key;
};
struct GetQuota { std::string root; };
struct GetQuotaRoot { MailboxName mailbox; };
struct Compress { std::string mechanism; };  // "DEFLATE" (RFC 4978)

using CommandBody =
    std::variant<Capability, Noop, Logout, StartTls, Authenticate, Login, Enable, Select, Create, Delete,
                 Rename, Subscribe, Unsubscribe, List, Namespace, StatusCommand, Append, Idle, Check, Close,
                 Unselect, Expunge, Search, Fetch, Store, Copy, Move, Id, Sort, Thread, GetQuota,
                 GetQuotaRoot, Compress>;

struct Command {
  std::string tag;
  CommandBody body;
};

}  // namespace taube::imap::wire
