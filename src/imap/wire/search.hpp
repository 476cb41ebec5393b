// SEARCH keys (RFC 9051 6.4.4 / RFC 3501 6.4.4 plus RFC 7162 MODSEQ, RFC 5032
// OLDER/YOUNGER, RFC 8514 SAVEDATE, RFC 8474 EMAILID/THREADID, RFC 5182 "$"),
// ESEARCH return options (RFC 4731) and SORT criteria (RFC 5256). The parser
// reads untrusted tokens with a depth limit, so hostile nesting gets BAD,
// never a stack overflow. Value types.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "imap/wire/datetime.hpp"
#include "imap/wire/limits.hpp"
#include "imap/wire/sequence_set.hpp"
#include "imap/wire/tokens.hpp"

namespace taube::imap::wire {

enum class SearchKeyKind {
  kAnd, kOr, kNot,  // children: all / exactly 2 / exactly 1
  kAll, kAnswered, kDeleted, kDraft, kFlagged, kNew, kOld, kRecent, kSeen,
  kUnanswered, kUndeleted, kUndraft, kUnflagged, kUnseen, kSaveDateSupported,
  kBcc, kBody, kCc, kFrom, kSubject, kText, kTo,   // text
  kHeader,                                         // field + text
  kKeyword, kUnkeyword,                            // text = flag keyword
  kBefore, kOn, kSince, kSentBefore, kSentOn, kSentSince, kSavedBefore, kSavedOn, kSavedSince,  // date
  kLarger, kSmaller, kOlder, kYounger,             // number (octets / seconds)
  kSequenceSet, kUid,                              // set
  kModSeq,                                         // number; field = entry name, text = entry type
  kEmailId, kThreadId,                             // text = object id
};

struct SearchKey {
  SearchKeyKind kind = SearchKeyKind::kAll;
  std::string field;
  std::string text;
  std::uint64_t number = 0;
  Date date;
  SequenceSet set;
  std::vector<SearchKey> children;
  friend bool operator==(const SearchKey&, const SearchKey&) = default;
};

// RFC 4731 3: RETURN (); an empty list means ALL.
struct SearchReturn {
  bool min = false, max = false, all = false, count = false, save = false;
  friend bool operator==(const SearchReturn&, const SearchReturn&) = default;
};

enum class SortKey { kArrival, kCc, kDate, kFrom, kSize, kSubject, kTo, kDisplayFrom, kDisplayTo };
struct SortCriterion {
  SortKey key = SortKey::kArrival;
  bool reverse = false;
  friend bool operator==(const SortCriterion&, const SortCriterion&) = default;
};

// Reads 1*search-key up to the end of the tokens into a kAnd key. On error
// returns false with `error` set (the text for BAD).
bool parse_search_keys(TokenCursor& cursor, const Limits& limits, SearchKey& out, std::string& error);
// Reads "RETURN (...)" if present (the caller has seen the atom RETURN).
bool parse_search_return(TokenCursor& cursor, SearchReturn& out, std::string& error);
// Reads "(" sort-criterion *(SP sort-criterion) ")".
bool parse_sort_criteria(TokenCursor& cursor, std::vector<SortCriterion>& out, std::string& error);

}  // namespace taube::imap::wire
