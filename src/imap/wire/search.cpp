#include "imap/wire/search.hpp"

#include <algorithm>

#include "base/ascii.hpp"

namespace taube::imap::wire {
namespace {

struct Simple {
  const char* word;
  SearchKeyKind kind;
};

constexpr Simple kFlagKeys[] = {
    {"ALL", SearchKeyKind::kAll}, {"ANSWERED", SearchKeyKind::kAnswered},
    {"DELETED", SearchKeyKind::kDeleted}, {"DRAFT", SearchKeyKind::kDraft},
    {"FLAGGED", SearchKeyKind::kFlagged}, {"NEW", SearchKeyKind::kNew},
    {"OLD", SearchKeyKind::kOld}, {"RECENT", SearchKeyKind::kRecent},
    {"SEEN", SearchKeyKind::kSeen}, {"UNANSWERED", SearchKeyKind::kUnanswered},
    {"UNDELETED", SearchKeyKind::kUndeleted}, {"UNDRAFT", SearchKeyKind::kUndraft},
    {"UNFLAGGED", SearchKeyKind::kUnflagged}, {"UNSEEN", SearchKeyKind::kUnseen},
    {"SAVEDATESUPPORTED", SearchKeyKind::kSaveDateSupported},
};
constexpr Simple kTextKeys[] = {
    {"BCC", SearchKeyKind::kBcc}, {"BODY", SearchKeyKind::kBody}, {"CC", SearchKeyKind::kCc},
    {"FROM", SearchKeyKind::kFrom}, {"SUBJECT", SearchKeyKind::kSubject},
    {"TEXT", SearchKeyKind::kText}, {"TO", SearchKeyKind::kTo},
};
constexpr Simple kDateKeys[] = {
    {"BEFORE", SearchKeyKind::kBefore}, {"ON", SearchKeyKind::kOn},
    {"SINCE", SearchKeyKind::kSince}, {"SENTBEFORE", SearchKeyKind::kSentBefore},
    {"SENTON", SearchKeyKind::kSentOn}, {"SENTSINCE", SearchKeyKind::kSentSince},
    {"SAVEDBEFORE", SearchKeyKind::kSavedBefore}, {"SAVEDON", SearchKeyKind::kSavedOn},
    {"SAVEDSINCE", SearchKeyKind::kSavedSince},
};
constexpr Simple kNumberKeys[] = {
    {"LARGER", SearchKeyKind::kLarger}, {"SMALLER", SearchKeyKind::kSmaller},
    {"OLDER", SearchKeyKind::kOlder}, {"YOUNGER", SearchKeyKind::kYounger},
};

template <std::size_t N>
const Simple* find(const Simple (&table)[N], std::string_view word) {
  for (const auto& s : table)
    if (ascii::iequals(word, s.word)) return &s;
  return nullptr;
}

class SearchParser {
 public:
  SearchParser(TokenCursor& cursor, const Limits& limits, std::string& error)
      : cursor_(cursor), limits_(limits), error_(error) {}

  // search-key; `depth` counts enclosing NOT/OR/parentheses.
  bool key(SearchKey& out, std::size_t depth) {
    if (depth > limits_.max_depth) return fail("Search keys nested too deeply");
    if (++count_ > limits_.max_tokens) return fail("Too many search keys");
    const Token* t = cursor_.next();
    if (!t) return fail("Missing search key");
    if (t->kind == TokenKind::kListOpen) {
      out.kind = SearchKeyKind::kAnd;
      do {
        out.children.emplace_back();
        if (!key(out.children.back(), depth + 1)) return false;
      } while (!cursor_.take(TokenKind::kListClose));
      return true;
    }
    if (t->kind != TokenKind::kAtom) return fail("Expected search key");
    const std::string& word = t->text;
    if (const Simple* s = find(kFlagKeys, word)) {
      out.kind = s->kind;
      return true;
    }
    if (const Simple* s = find(kTextKeys, word)) {
      out.kind = s->kind;
      return astring(out.text);
    }
    if (const Simple* s = find(kDateKeys, word)) {
      out.kind = s->kind;
      return date(out.date);
    }
    if (const Simple* s = find(kNumberKeys, word)) {
      out.kind = s->kind;
      return number(out.number, s->kind == SearchKeyKind::kOlder || s->kind == SearchKeyKind::kYounger);
    }
    if (ascii::iequals(word, "NOT")) {
      out.kind = SearchKeyKind::kNot;
      out.children.emplace_back();
      return key(out.children.back(), depth + 1);
    }
    if (ascii::iequals(word, "OR")) {
      out.kind = SearchKeyKind::kOr;
      out.children.resize(2);
      return key(out.children[0], depth + 1) && key(out.children[1], depth + 1);
    }
    if (ascii::iequals(word, "HEADER")) {
      out.kind = SearchKeyKind::kHeader;
      return astring(out.field) && astring(out.text);
    }
    if (ascii::iequals(word, "KEYWORD") || ascii::iequals(word, "UNKEYWORD")) {
      out.kind = ascii::iequals(word, "KEYWORD") ? SearchKeyKind::kKeyword : SearchKeyKind::kUnkeyword;
      const Token* k = cursor_.next();
      if (!k || !k->is_atom() || k->text.empty() || !std::all_of(k->text.begin(), k->text.end(), is_atom_char))
        return fail("Invalid keyword");
      out.text = k->text;
      return true;
    }
    if (ascii::iequals(word, "UID")) {
      out.kind = SearchKeyKind::kUid;
      const Token* k = cursor_.next();
      if (!k || !k->is_atom()) return fail("Expected sequence set");
      auto set = parse_sequence_set(k->text, limits_);
      if (!set) return fail("Invalid sequence set");
      out.set = std::move(*set);
      return true;
    }
    if (ascii::iequals(word, "MODSEQ")) return modseq(out);
    if (ascii::iequals(word, "EMAILID") || ascii::iequals(word, "THREADID")) {
      // RFC 8474 4: objectid = 1*255(ALPHA / DIGIT / "_" / "-")
      out.kind = ascii::iequals(word, "EMAILID") ? SearchKeyKind::kEmailId : SearchKeyKind::kThreadId;
      const Token* k = cursor_.next();
      if (!k || !k->is_atom() || k->text.empty() || k->text.size() > 255) return fail("Invalid object id");
      for (char c : k->text)
        if (!ascii::is_alpha(c) && !ascii::is_digit(c) && c != '_' && c != '-') return fail("Invalid object id");
      out.text = k->text;
      return true;
    }
    if (auto set = parse_sequence_set(word, limits_)) {
      out.kind = SearchKeyKind::kSequenceSet;
      out.set = std::move(*set);
      return true;
    }
    return fail("Unknown search key");
  }

  bool keys(SearchKey& out) {
    out = SearchKey{};
    out.kind = SearchKeyKind::kAnd;
    do {
      out.children.emplace_back();
      if (!key(out.children.back(), 1)) return false;
    } while (!cursor_.at_end());
    return true;
  }

 private:
  bool fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return false;
  }
  bool astring(std::string& out) {
    const Token* t = cursor_.next();
    if (!t || !(t->is_atom() || t->is_string())) return fail("Expected string");
    if (t->is_atom() && !std::all_of(t->text.begin(), t->text.end(), is_astring_char))
      return fail("Invalid characters in atom");
    out = t->text;
    return true;
  }
  // RFC 9051 9: date = date-text / DQUOTE date-text DQUOTE
  bool date(Date& out) {
    const Token* t = cursor_.next();
    if (!t || !(t->is_atom() || t->kind == TokenKind::kQuoted)) return fail("Expected date");
    auto d = parse_date(t->text);
    if (!d) return fail("Invalid date");
    out = *d;
    return true;
  }
  bool number(std::uint64_t& out, bool nonzero) {
    const Token* t = cursor_.next();
    if (!t || !t->is_atom()) return fail("Expected number");
    auto v = nonzero ? parse_nz_number(t->text) : parse_number(t->text);
    if (!v) {
      // LARGER/SMALLER take number64 in IMAP4rev2.
      auto v64 = nonzero ? std::nullopt : parse_mod_sequence(t->text, true);
      if (!v64) return fail("Invalid number");
      out = *v64;
      return true;
    }
    out = *v;
    return true;
  }
  // RFC 7162 3.1.5: "MODSEQ" [SP entry-name SP entry-type-req] SP mod-sequence-valzer
  bool modseq(SearchKey& out) {
    out.kind = SearchKeyKind::kModSeq;
    const Token* t = cursor_.peek();
    if (t && t->kind == TokenKind::kQuoted) {
      cursor_.next();
      if (!ascii::istarts_with(t->text, "/flags/") || t->text.size() <= 7) return fail("Invalid MODSEQ entry name");
      out.field = t->text;
      const Token* type = cursor_.next();
      if (!type || !type->is_atom() ||
          !(ascii::iequals(type->text, "priv") || ascii::iequals(type->text, "shared") ||
            ascii::iequals(type->text, "all")))
        return fail("Invalid MODSEQ entry type");
      out.text = ascii::lower(type->text);
    }
    const Token* v = cursor_.next();
    if (!v || !v->is_atom()) return fail("Expected mod-sequence");
    auto n = parse_mod_sequence(v->text, true);
    if (!n) return fail("Invalid mod-sequence");
    out.number = *n;
    return true;
  }

  TokenCursor& cursor_;
  const Limits& limits_;
  std::string& error_;
  std::size_t count_ = 0;
};

}  // namespace

bool parse_search_keys(TokenCursor& cursor, const Limits& limits, SearchKey& out, std::string& error) {
  if (cursor.at_end()) {
    error = "Missing search key";
    return false;
  }
  return SearchParser(cursor, limits, error).keys(out);
}

bool parse_search_return(TokenCursor& cursor, SearchReturn& out, std::string& error) {
  // RFC 4731 3: search-return-opts = SP "RETURN" SP "(" [search-return-opt *(SP ...)] ")"
  if (!cursor.take(TokenKind::kListOpen)) {
    error = "Expected RETURN options";
    return false;
  }
  bool any = false;
  while (!cursor.take(TokenKind::kListClose)) {
    const Token* t = cursor.next();
    if (!t || !t->is_atom()) {
      error = "Invalid RETURN option";
      return false;
    }
    any = true;
    if (ascii::iequals(t->text, "MIN")) out.min = true;
    else if (ascii::iequals(t->text, "MAX")) out.max = true;
    else if (ascii::iequals(t->text, "ALL")) out.all = true;
    else if (ascii::iequals(t->text, "COUNT")) out.count = true;
    else if (ascii::iequals(t->text, "SAVE")) out.save = true;  // RFC 5182
    else {
      error = "Unknown RETURN option";
      return false;
    }
  }
  if (!any) out.all = true;  // RFC 4731 3.1: "RETURN ()" is "RETURN (ALL)"
  return true;
}

bool parse_sort_criteria(TokenCursor& cursor, std::vector<SortCriterion>& out, std::string& error) {
  static constexpr std::pair<const char*, SortKey> kKeys[] = {
      {"ARRIVAL", SortKey::kArrival}, {"CC", SortKey::kCc}, {"DATE", SortKey::kDate},
      {"FROM", SortKey::kFrom}, {"SIZE", SortKey::kSize}, {"SUBJECT", SortKey::kSubject},
      {"TO", SortKey::kTo}, {"DISPLAYFROM", SortKey::kDisplayFrom}, {"DISPLAYTO", SortKey::kDisplayTo},
  };
  if (!cursor.take(TokenKind::kListOpen)) {
    error = "Expected sort criteria";
    return false;
  }
  do {
    SortCriterion c;
    c.reverse = cursor.take_atom("REVERSE");
    const Token* t = cursor.next();
    bool found = false;
    if (t && t->is_atom()) {
      for (const auto& [word, key] : kKeys) {
        if (ascii::iequals(t->text, word)) {
          c.key = key;
          found = true;
        }
      }
    }
    if (!found) {
      error = "Invalid sort criterion";
      return false;
    }
    out.push_back(c);
  } while (!cursor.take(TokenKind::kListClose));
  return true;
}

}  // namespace taube::imap::wire
