// Mailbox commands (RFC 9051 6.3): SELECT/EXAMINE with CONDSTORE and QRESYNC
// parameters (RFC 7162), CREATE with USE (RFC 6154), DELETE, RENAME,
// (UN)SUBSCRIBE, LIST with LIST-EXTENDED/LIST-STATUS (RFC 5258, 5819), LSUB,
// STATUS, and APPEND with MULTIAPPEND (RFC 3502), literal8 and UTF8 (RFC 6855).
#include "base/ascii.hpp"
#include "imap/wire/parse_internal.hpp"

namespace taube::imap::wire::detail {
namespace {

bool parse_qresync(Parser& p, QresyncParams& q) {
  // RFC 7162 7: "QRESYNC" SP "(" uidvalidity SP mod-sequence-value [SP known-uids]
  //             [SP seq-match-data] ")"
  if (!p.expect(TokenKind::kListOpen, "QRESYNC parameters")) return false;
  if (!p.nz_number(q.uid_validity) || !p.mod_sequence(q.mod_seq, false)) return false;
  if (p.cursor.peek_kind(TokenKind::kAtom)) {
    const auto set = parse_sequence_set(p.cursor.next()->text, p.context.limits, false, false);
    if (!set) return p.fail("Invalid known-uids");
    q.known_uids = *set;
  }
  if (p.cursor.take(TokenKind::kListOpen)) {
    const Token* a = p.cursor.next();
    const Token* b = p.cursor.next();
    if (!a || !b || !a->is_atom() || !b->is_atom()) return p.fail("Invalid seq-match-data");
    const auto seqs = parse_sequence_set(a->text, p.context.limits, false, false);
    const auto uids = parse_sequence_set(b->text, p.context.limits, false, false);
    if (!seqs || !uids) return p.fail("Invalid seq-match-data");
    q.seq_match.emplace(*seqs, *uids);
    if (!p.expect(TokenKind::kListClose, "\")\"")) return false;
  }
  return p.expect(TokenKind::kListClose, "\")\"");
}

bool parse_select(Parser& p, Select& s) {
  if (!p.mailbox(s.mailbox)) return false;
  if (p.cursor.take(TokenKind::kListOpen)) {
    // RFC 4466 2.1: select-params = SP "(" select-param *(SP select-param) ")"
    while (!p.cursor.take(TokenKind::kListClose)) {
      std::string name;
      if (!p.atom(name)) return false;
      if (ascii::iequals(name, "CONDSTORE") && !s.condstore) {
        s.condstore = true;
      } else if (ascii::iequals(name, "QRESYNC") && !s.qresync) {
        s.qresync.emplace();
        if (!parse_qresync(p, *s.qresync)) return false;
      } else {
        return p.fail("Unknown SELECT parameter");
      }
    }
  }
  return p.expect_end();
}

bool parse_status_items(Parser& p, std::vector<StatusItem>& items) {
  // RFC 9051 6.3.11 + RFC 7162 (HIGHESTMODSEQ), RFC 7889 (APPENDLIMIT), RFC 8474 (MAILBOXID)
  static constexpr std::pair<const char*, StatusItem> kItems[] = {
      {"MESSAGES", StatusItem::kMessages}, {"UIDNEXT", StatusItem::kUidNext},
      {"UIDVALIDITY", StatusItem::kUidValidity}, {"UNSEEN", StatusItem::kUnseen},
      {"DELETED", StatusItem::kDeleted}, {"SIZE", StatusItem::kSize},
      {"RECENT", StatusItem::kRecent}, {"HIGHESTMODSEQ", StatusItem::kHighestModSeq},
      {"APPENDLIMIT", StatusItem::kAppendLimit}, {"MAILBOXID", StatusItem::kMailboxId},
  };
  if (!p.expect(TokenKind::kListOpen, "status attribute list")) return false;
  do {
    std::string word;
    if (!p.atom(word)) return false;
    bool found = false;
    for (const auto& [text, item] : kItems) {
      if (ascii::iequals(word, text)) {
        items.push_back(item);
        found = true;
      }
    }
    if (!found) return p.fail("Unknown status attribute");
  } while (!p.cursor.take(TokenKind::kListClose));
  return true;
}

bool parse_list(Parser& p, List& l) {
  // RFC 5258 6: "LIST" [SP list-select-opts] SP mailbox SP mbox-or-pat [SP list-return-opts]
  if (p.cursor.take(TokenKind::kListOpen)) {
    l.extended = true;
    while (!p.cursor.take(TokenKind::kListClose)) {
      std::string opt;
      if (!p.atom(opt)) return false;
      if (ascii::iequals(opt, "SUBSCRIBED")) l.select_subscribed = true;
      else if (ascii::iequals(opt, "REMOTE")) l.select_remote = true;
      else if (ascii::iequals(opt, "RECURSIVEMATCH")) l.select_recursive_match = true;
      else if (ascii::iequals(opt, "SPECIAL-USE")) l.select_special_use = true;  // RFC 6154 6
      else return p.fail("Unknown LIST selection option");
    }
    // RFC 5258 3.1: RECURSIVEMATCH needs a base option to modify.
    if (l.select_recursive_match && !l.select_subscribed && !l.select_special_use)
      return p.fail("RECURSIVEMATCH requires another selection option");
  }
  std::string reference;
  if (!p.astring(reference)) return false;
  if (!reference.empty() && !decode_mailbox_name(reference, p.context, l.reference))
    return p.fail("Invalid reference name encoding");
  if (p.cursor.take(TokenKind::kListOpen)) {
    l.extended = true;
    do {
      std::string pattern;
      if (!p.list_mailbox(pattern)) return false;
      l.patterns.push_back(std::move(pattern));
    } while (!p.cursor.take(TokenKind::kListClose));
  } else {
    std::string pattern;
    if (!p.list_mailbox(pattern)) return false;
    l.patterns.push_back(std::move(pattern));
  }
  if (p.cursor.take_atom("RETURN")) {
    l.extended = true;
    if (!p.expect(TokenKind::kListOpen, "return options")) return false;
    while (!p.cursor.take(TokenKind::kListClose)) {
      std::string opt;
      if (!p.atom(opt)) return false;
      if (ascii::iequals(opt, "SUBSCRIBED")) {
        l.return_subscribed = true;
      } else if (ascii::iequals(opt, "CHILDREN")) {
        l.return_children = true;
      } else if (ascii::iequals(opt, "SPECIAL-USE")) {
        l.return_special_use = true;
      } else if (ascii::iequals(opt, "STATUS") && !l.return_status) {  // RFC 5819
        l.return_status.emplace();
        if (!parse_status_items(p, *l.return_status)) return false;
      } else {
        return p.fail("Unknown LIST return option");
      }
    }
  }
  return p.expect_end();
}

bool parse_append(Parser& p, Append& a) {
  // RFC 3502 / RFC 4466 2.1: "APPEND" SP mailbox 1*append-message
  // append-message = append-opts SP append-data; append-opts = [SP flag-list] [SP date-time]
  // append-data = literal / literal8 / "UTF8" SP "(" literal8 ")"   (RFC 3516, RFC 6855 4)
  if (!p.mailbox(a.mailbox)) return false;
  do {
    if (a.messages.size() >= p.context.limits.max_append_messages) return p.fail("Too many messages");
    AppendMessage m;
    if (p.cursor.peek_kind(TokenKind::kListOpen) && !p.flag_list(m.flags)) return false;
    if (p.cursor.peek_kind(TokenKind::kQuoted)) {
      m.internal_date = parse_date_time(p.cursor.next()->text);
      if (!m.internal_date) return p.fail("Invalid date-time");
    }
    if (p.cursor.take_atom("UTF8")) {
      if (!p.expect(TokenKind::kListOpen, "\"(\"")) return false;
      if (!p.cursor.peek_kind(TokenKind::kLiteral8)) return p.fail("UTF8 requires a literal8");
      m.data = p.cursor.next()->text;
      m.utf8 = true;
      m.binary = true;
      if (!p.expect(TokenKind::kListClose, "\")\"")) return false;
    } else if (p.cursor.peek_kind(TokenKind::kLiteral) || p.cursor.peek_kind(TokenKind::kLiteral8)) {
      const Token* t = p.cursor.next();
      m.binary = t->kind == TokenKind::kLiteral8;
      m.data = t->text;
    } else {
      return p.fail("Expected message literal");
    }
    a.messages.push_back(std::move(m));
  } while (!p.at_end());
  return true;
}

template <class T>
bool one_mailbox(Parser& p, CommandBody& out) {
  T t;
  const bool ok = p.mailbox(t.mailbox) && p.expect_end();
  out = std::move(t);
  return ok;
}

}  // namespace

bool parse_mailbox_command(const std::string& name, Parser& p, CommandBody& out, bool& known) {
  known = true;
  if (name == "SELECT" || name == "EXAMINE") {
    Select s;
    s.read_only = name == "EXAMINE";
    const bool ok = parse_select(p, s);
    out = std::move(s);
    return ok;
  }
  if (name == "CREATE") {
    // RFC 6154 5.2 / RFC 4466: "CREATE" SP mailbox [SP "(" create-param *(SP create-param) ")"]
    Create c;
    if (!p.mailbox(c.mailbox)) return false;
    if (p.cursor.take(TokenKind::kListOpen)) {
      while (!p.cursor.take(TokenKind::kListClose)) {
        if (!p.cursor.take_atom("USE")) return p.fail("Unknown CREATE parameter");
        if (!p.expect(TokenKind::kListOpen, "use attributes")) return false;
        while (!p.cursor.take(TokenKind::kListClose)) {
          const Token* t = p.cursor.next();
          if (!t || !t->is_atom() || t->text.size() < 2 || t->text[0] != '\\') return p.fail("Invalid use-attr");
          c.special_use.push_back(t->text);
        }
      }
    }
    out = std::move(c);
    return p.expect_end();
  }
  if (name == "DELETE") return one_mailbox<Delete>(p, out);
  if (name == "SUBSCRIBE") return one_mailbox<Subscribe>(p, out);
  if (name == "UNSUBSCRIBE") return one_mailbox<Unsubscribe>(p, out);
  if (name == "RENAME") {
    Rename r;
    const bool ok = p.mailbox(r.from) && p.mailbox(r.to) && p.expect_end();
    out = std::move(r);
    return ok;
  }
  if (name == "LIST") {
    List l;
    const bool ok = parse_list(p, l);
    out = std::move(l);
    return ok;
  }
  if (name == "LSUB") {
    List l;
    l.lsub = true;
    std::string reference, pattern;
    if (!p.astring(reference)) return false;
    if (!reference.empty() && !decode_mailbox_name(reference, p.context, l.reference))
      return p.fail("Invalid reference name encoding");
    if (!p.list_mailbox(pattern)) return false;
    l.patterns.push_back(std::move(pattern));
    out = std::move(l);
    return p.expect_end();
  }
  if (name == "STATUS") {
    StatusCommand s;
    const bool ok = p.mailbox(s.mailbox) && parse_status_items(p, s.items) && p.expect_end();
    out = std::move(s);
    return ok;
  }
  if (name == "APPEND") {
    Append a;
    const bool ok = parse_append(p, a);
    out = std::move(a);
    return ok;
  }
  known = false;
  return false;
}

}  // namespace taube::imap::wire::detail
