// Selected-state message commands (RFC 9051 6.4) and their UID forms:
// EXPUNGE (UID EXPUNGE, RFC 4315), SEARCH with ESEARCH (RFC 4731), FETCH and
// STORE with CONDSTORE/QRESYNC modifiers (RFC 7162), COPY, MOVE (RFC 6851),
// SORT and THREAD (RFC 5256, ESORT RFC 5267).
#include "base/ascii.hpp"
#include "imap/wire/parse_internal.hpp"

namespace taube::imap::wire::detail {
namespace {

bool parse_charset_and_keys(Parser& p, bool charset_required, std::optional<std::string>& charset,
                            SearchKey& key) {
  if (charset_required || p.cursor.take_atom("CHARSET")) {
    std::string cs;
    if (!p.astring(cs)) return false;
    charset = ascii::upper(cs);
  }
  return parse_search_keys(p.cursor, p.context.limits, key, p.error);
}

bool parse_search(Parser& p, Search& s) {
  if (p.cursor.take_atom("RETURN")) {
    s.result_options.emplace();
    if (!parse_search_return(p.cursor, *s.result_options, p.error)) return false;
  }
  return parse_charset_and_keys(p, false, s.charset, s.key);
}

bool parse_fetch(Parser& p, Fetch& f) {
  if (!p.sequence_set(f.set)) return false;
  if (!parse_fetch_items(p.cursor, p.context.limits, f.items, p.error)) return false;
  if (p.cursor.take(TokenKind::kListOpen)) {
    // RFC 7162 3.1.4, 3.2.6: fetch-modifier = "CHANGEDSINCE" SP mod-sequence-valzer / "VANISHED"
    while (!p.cursor.take(TokenKind::kListClose)) {
      if (p.cursor.take_atom("CHANGEDSINCE") && !f.changed_since) {
        std::uint64_t v = 0;
        if (!p.mod_sequence(v, true)) return false;
        f.changed_since = v;
      } else if (p.cursor.take_atom("VANISHED") && !f.vanished) {
        f.vanished = true;
      } else {
        return p.fail("Unknown FETCH modifier");
      }
    }
    if (f.vanished && (!f.uid || !f.changed_since)) return p.fail("VANISHED requires UID FETCH and CHANGEDSINCE");
  }
  return p.expect_end();
}

bool parse_store(Parser& p, Store& s) {
  if (!p.sequence_set(s.set)) return false;
  if (p.cursor.take(TokenKind::kListOpen)) {
    // RFC 7162 3.1.3: store-modifier = "UNCHANGEDSINCE" SP mod-sequence-valzer
    while (!p.cursor.take(TokenKind::kListClose)) {
      if (!p.cursor.take_atom("UNCHANGEDSINCE") || s.unchanged_since) return p.fail("Unknown STORE modifier");
      std::uint64_t v = 0;
      if (!p.mod_sequence(v, true)) return false;
      s.unchanged_since = v;
    }
  }
  std::string item;
  if (!p.atom(item)) return false;
  std::string_view word = item;
  if (!word.empty() && (word[0] == '+' || word[0] == '-')) {
    s.mode = word[0] == '+' ? StoreMode::kAdd : StoreMode::kRemove;
    word.remove_prefix(1);
  }
  if (ascii::iequals(word, "FLAGS.SILENT")) s.silent = true;
  else if (!ascii::iequals(word, "FLAGS")) return p.fail("Unknown STORE item");
  if (p.cursor.peek_kind(TokenKind::kListOpen)) {
    if (!p.flag_list(s.flags)) return false;
    return p.expect_end();
  }
  if (p.at_end()) return p.fail("Missing flags");
  while (!p.at_end()) {
    Flag f;
    if (!p.flag(f)) return false;
    s.flags.push_back(std::move(f));
  }
  return true;
}

template <class T>
bool parse_copy(Parser& p, T& c) {
  return p.sequence_set(c.set) && p.mailbox(c.mailbox) && p.expect_end();
}

}  // namespace

bool parse_message_command(const std::string& name, bool uid, Parser& p, CommandBody& out, bool& known) {
  known = true;
  if (name == "EXPUNGE") {
    Expunge e;
    if (uid) {
      e.uids.emplace();
      if (!p.sequence_set(*e.uids)) return false;
    }
    out = std::move(e);
    return p.expect_end();
  }
  if (name == "SEARCH") {
    Search s;
    s.uid = uid;
    const bool ok = parse_search(p, s);
    out = std::move(s);
    return ok;
  }
  if (name == "FETCH") {
    Fetch f;
    f.uid = uid;
    const bool ok = parse_fetch(p, f);
    out = std::move(f);
    return ok;
  }
  if (name == "STORE") {
    Store s;
    s.uid = uid;
    const bool ok = parse_store(p, s);
    out = std::move(s);
    return ok;
  }
  if (name == "COPY") {
    Copy c;
    c.uid = uid;
    const bool ok = parse_copy(p, c);
    out = std::move(c);
    return ok;
  }
  if (name == "MOVE") {
    Move m;
    m.uid = uid;
    const bool ok = parse_copy(p, m);
    out = std::move(m);
    return ok;
  }
  if (name == "SORT") {
    // RFC 5256 / RFC 5267: "SORT" [search-return-opts] SP sort-criteria SP search-criteria
    Sort s;
    s.uid = uid;
    if (p.cursor.take_atom("RETURN")) {
      s.result_options.emplace();
      if (!parse_search_return(p.cursor, *s.result_options, p.error)) return false;
    }
    std::optional<std::string> charset;
    const bool ok = parse_sort_criteria(p.cursor, s.criteria, p.error) &&
                    parse_charset_and_keys(p, true, charset, s.key);
    s.charset = charset.value_or("");
    out = std::move(s);
    return ok;
  }
  if (name == "THREAD") {
    // RFC 5256: "THREAD" SP thread-alg SP search-criteria
    Thread t;
    t.uid = uid;
    std::string alg;
    if (!p.atom(alg)) return false;
    if (ascii::iequals(alg, "ORDEREDSUBJECT")) t.algorithm = ThreadAlgorithm::kOrderedSubject;
    else if (ascii::iequals(alg, "REFERENCES")) t.algorithm = ThreadAlgorithm::kReferences;
    else return p.fail("Unknown THREAD algorithm");
    std::optional<std::string> charset;
    const bool ok = parse_charset_and_keys(p, true, charset, t.key);
    t.charset = charset.value_or("");
    out = std::move(t);
    return ok;
  }
  known = false;
  return false;
}

}  // namespace taube::imap::wire::detail
