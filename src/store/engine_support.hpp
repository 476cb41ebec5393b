// Rules every store engine applies the same way, so that SQLite and PostgreSQL (and
// any later engine) cannot drift apart: the default mailboxes of a new account, the
// alias recursion bound, how keywords are encoded in one column, and how changes of
// one transaction are collapsed per mailbox. Pure; engines only.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "store/types.hpp"

namespace taube::store {

struct DefaultMailbox {
  std::string_view name;
  SpecialUse use;
};
// Created with every account, all subscribed (RFC 6154 special-use).
inline constexpr DefaultMailbox kDefaultMailboxes[] = {
    {"INBOX", SpecialUse::kNone}, {"Drafts", SpecialUse::kDrafts}, {"Sent", SpecialUse::kSent},
    {"Trash", SpecialUse::kTrash}, {"Junk", SpecialUse::kJunk},    {"Archive", SpecialUse::kArchive},
};

// Aliases pointing at aliases are followed this deep (loops end here too).
inline constexpr int kMaxAliasDepth = 8;

// Keywords are stored space-separated in one column.
std::string join_keywords(const std::vector<std::string>& keywords);
std::vector<std::string> split_keywords(std::string_view s);
// Keywords are IMAP atoms: no spaces or controls (the wire parser enforces the
// grammar; the store only protects its own encoding).
bool valid_keywords(const Flags& f);

// A UID set as sorted, merged ranges with first <= last (engines turn it into SQL).
std::vector<UidRange> normalize_uids(const UidSet& uids);

// Unfolds a raw header block and reports whether field `name` has a value
// containing `needle`, both ASCII case-insensitive (IMAP SEARCH HEADER over stored
// headers; engines pre-filter in SQL, this decides).
bool header_matches(std::string_view headers, std::string_view name, std::string_view needle);
// The contents column that holds `field` decoded (RFC 2047, unfolded) when it
// is one of the envelope fields IMAP SEARCH names (SUBJECT, FROM, TO, CC, BCC);
// empty for any other field, which is searched in the raw header block. The
// decoded columns are small: scanning them beats the header blocks (100,000
// messages: 70 ms vs 120 ms in SQLite) and a client's UTF-8 search text
// matches an encoded word.
std::string_view decoded_header_column(std::string_view field);
// Whether a decoded field value contains `needle`, ASCII case-insensitive, every
// run of white space counting as one space (a folded field keeps the blanks of
// its continuation lines). Engines narrow with header_needle_run() first.
bool field_contains(std::string_view value, std::string_view needle);

// The longest run of `needle` without white space, cut to at most `max_bytes`
// on a UTF-8 boundary. Unfolding only changes white space, so this run occurs
// verbatim (ASCII case aside) in the raw header block of every message that
// header_matches(): engines use it to narrow candidates in SQL. Empty if none.
std::string_view header_needle_run(std::string_view needle, std::size_t max_bytes = 1000);

// Adds `change` to the changes of a transaction, replacing an earlier one of the
// same mailbox (subscribers need the latest state once, not every step).
void merge_change(std::vector<MailboxChange>& changes, const MailboxChange& change);

}  // namespace taube::store
