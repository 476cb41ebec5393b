// The selected mailbox as the client knows it (RFC 9051 2.3.1.2, 5.5, 7.5.1):
// the message sequence number <-> UID map it was told about and the mod-seq
// up to which changes were reported. The map changes only when the session
// reports EXISTS or EXPUNGE/VANISHED, never by itself. Pure value type; owned
// by the session's Context.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "imap/wire/sequence_set.hpp"
#include "store/types.hpp"

namespace taube::imap::server {

class SelectedView {
 public:
  SelectedView(store::Mailbox mailbox, bool read_only) : mailbox_(std::move(mailbox)), read_only_(read_only) {}

  const store::Mailbox& mailbox() const { return mailbox_; }
  store::MailboxId id() const { return mailbox_.id; }
  bool read_only() const { return read_only_; }
  std::uint32_t exists() const { return static_cast<std::uint32_t>(uids_.size()); }
  // REQUIRES: 1 <= seq <= exists().
  store::Uid uid_at(std::uint32_t seq) const { return uids_[seq - 1]; }
  // The sequence number of `uid`, or 0 when the client does not know it.
  std::uint32_t seq_of(store::Uid uid) const;
  store::Uid last_uid() const { return uids_.empty() ? 0 : uids_.back(); }
  const std::vector<store::Uid>& uids() const { return uids_; }

  // Mod-seq the client has seen every change up to.
  store::ModSeq known_modseq() const { return known_modseq_; }
  void set_known_modseq(store::ModSeq m) { known_modseq_ = m; }
  store::ModSeq modseq_of(std::uint32_t seq) const { return modseqs_[seq - 1]; }
  void set_modseq(std::uint32_t seq, store::ModSeq m) { modseqs_[seq - 1] = m; }

  // REQUIRES: uid > last_uid(). The caller reports the new EXISTS.
  void append(store::Uid uid, store::ModSeq modseq);
  // Removes `uid`; returns its former sequence number (0 if unknown). The
  // caller reports EXPUNGE with that number.
  std::uint32_t remove(store::Uid uid);

  // The (seq, uid) pairs a sequence set names. With `by_uid`, numbers are UIDs
  // and "*" is the largest UID (RFC 9051 6.4.8; a UID range matches the UIDs
  // that exist); otherwise sequence numbers, "*" being exists().
  // nullopt when a sequence number is beyond exists() (RFC 9051: BAD).
  // REQUIRES: !set.saved (the caller resolves "$").
  std::optional<std::vector<std::pair<std::uint32_t, store::Uid>>> resolve(const wire::SequenceSet& set,
                                                                          bool by_uid) const;
  // Drops the memory a large map left behind (idle sessions stay small).
  void shrink() {
    uids_.shrink_to_fit();
    modseqs_.shrink_to_fit();
  }

 private:
  store::Mailbox mailbox_;
  bool read_only_;
  std::vector<store::Uid> uids_;
  std::vector<store::ModSeq> modseqs_;  // per message, as last reported
  store::ModSeq known_modseq_ = 0;
};

// UID ranges for a sorted list of UIDs (store calls).
store::UidSet to_uid_set(const std::vector<store::Uid>& sorted_uids);

}  // namespace taube::imap::server
