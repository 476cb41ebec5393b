// What FETCH (UID FLAGS MODSEQ ...), SEARCH on flags, dates and sizes, and SORT
// by date, arrival or size need of every message of the selected mailbox, kept
// by the session so those commands do not read the whole mailbox from the
// store each time (100,000 records per FETCH 1:* otherwise). Before each use it
// is brought up to date from the store's change log: the records with a newer
// mod-seq and the UIDs expunged since (two indexed queries, usually empty).
// Dropped while idling (memory). Pure value type, owned by the Context.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/types.hpp"

namespace taube::imap::server {

struct CachedMessage {
  store::Uid uid = 0;
  std::uint32_t flag_set = 0;  // index into MessageCache::flag_set()
  store::ModSeq modseq = 0;
  std::int64_t internal_date = 0;  // Unix seconds
  std::int64_t save_date = 0;
  // The Date: header; the internal date when it is missing or unreadable
  // (RFC 5256 3 for SORT; like Dovecot for SENTBEFORE/SENTON/SENTSINCE).
  std::int64_t sent_date = 0;
  std::uint64_t size = 0;
};

// Distinct flag combinations are few: each is stored and formatted once.
struct FlagSet {
  store::Flags flags;
  std::string formatted;  // "(\Seen $Label1)"
};

class MessageCache {
 public:
  explicit MessageCache(store::MailboxId mailbox) : mailbox_(mailbox) {}

  store::MailboxId mailbox() const { return mailbox_; }
  // Every change up to this mod-seq is applied.
  store::ModSeq modseq() const { return modseq_; }
  // Ordered by UID.
  const std::vector<CachedMessage>& messages() const { return messages_; }
  const CachedMessage* find(store::Uid uid) const;
  const FlagSet& flag_set(const CachedMessage& m) const { return sets_[m.flag_set]; }

  // Adds or replaces the records (any order) and removes the expunged UIDs.
  // REQUIRES: `changed` holds every record with a mod-seq above modseq() as of
  // one snapshot, and `expunged` every UID expunged with a mod-seq above it,
  // read after that snapshot (see refresh_cache()).
  void apply(const std::vector<store::MessageRecord>& changed, const std::vector<store::Uid>& expunged);

 private:
  std::uint32_t intern(const store::Flags& flags);

  store::MailboxId mailbox_;
  store::ModSeq modseq_ = 0;
  std::vector<CachedMessage> messages_;
  std::vector<FlagSet> sets_;
  std::unordered_map<std::string, std::uint32_t> set_index_;
};

}  // namespace taube::imap::server
