// LIST with LIST-EXTENDED selection and return options (RFC 9051 6.3.9,
// RFC 5258), LIST-STATUS (RFC 5819), SPECIAL-USE (RFC 6154), CHILDREN; LSUB
// (RFC 3501 6.3.9); STATUS (RFC 9051 6.3.11, STATUS=SIZE, OBJECTID, APPENDLIMIT).
#include <algorithm>
#include <set>

#include "base/ascii.hpp"
#include "imap/server/commands.hpp"
#include "imap/server/support.hpp"

namespace taube::imap::server {

using boost::asio::awaitable;

namespace {

// "%" matches within one hierarchy level, "*" across levels (RFC 9051 6.3.9).
bool matches(std::string_view pattern, std::string_view name) {
  if (pattern.empty()) return name.empty();
  char c = pattern[0];
  if (c == '*' || c == '%') {
    for (std::size_t i = 0; i <= name.size(); ++i) {
      if (matches(pattern.substr(1), name.substr(i))) return true;
      if (i < name.size() && c == '%' && name[i] == store::kHierarchySeparator) return false;
    }
    return false;
  }
  return !name.empty() && name[0] == c && matches(pattern.substr(1), name.substr(1));
}

bool list_matches(const std::string& reference, const std::string& pattern, const std::string& name) {
  std::string full = reference + pattern;
  // INBOX is case-insensitive (RFC 9051 5.1): compare its first level upper-cased.
  if (full.size() >= 5 && ascii::iequals(std::string_view(full).substr(0, 5), "INBOX") &&
      (full.size() == 5 || full[5] == store::kHierarchySeparator || full[5] == '*' || full[5] == '%'))
    full.replace(0, 5, "INBOX");
  // Patterns are bounded by the line limit, but a hostile pattern of many
  // wildcards must not cost exponential time: cap the number of them.
  if (std::count_if(full.begin(), full.end(), [](char ch) { return ch == '*' || ch == '%'; }) > 8) return false;
  return matches(full, name);
}

bool has_children(const std::vector<store::Mailbox>& all, const std::string& name) {
  std::string prefix = name + store::kHierarchySeparator;
  return std::any_of(all.begin(), all.end(),
                     [&](const store::Mailbox& m) { return m.name.compare(0, prefix.size(), prefix) == 0; });
}

std::string status_items(const Context& ctx, const store::Mailbox& m, const std::vector<wire::StatusItem>& items) {
  std::string out;
  for (auto item : items) {
    if (!out.empty()) out += ' ';
    switch (item) {
      case wire::StatusItem::kMessages: out += "MESSAGES " + std::to_string(m.counts.messages); break;
      case wire::StatusItem::kUidNext: out += "UIDNEXT " + std::to_string(m.uid_next); break;
      case wire::StatusItem::kUidValidity: out += "UIDVALIDITY " + std::to_string(m.uid_validity); break;
      case wire::StatusItem::kUnseen: out += "UNSEEN " + std::to_string(m.counts.unseen); break;
      case wire::StatusItem::kDeleted: out += "DELETED " + std::to_string(m.counts.deleted); break;
      case wire::StatusItem::kSize: out += "SIZE " + std::to_string(m.counts.size_bytes); break;
      case wire::StatusItem::kRecent: out += "RECENT 0"; break;
      case wire::StatusItem::kHighestModSeq: out += "HIGHESTMODSEQ " + std::to_string(m.highest_modseq); break;
      case wire::StatusItem::kAppendLimit:
        out += "APPENDLIMIT " + std::to_string(ctx.options().limits.max_literal_bytes);
        break;
      case wire::StatusItem::kMailboxId: out += "MAILBOXID (M" + std::to_string(m.id.value) + ")"; break;
    }
  }
  return out;
}

}  // namespace

awaitable<Completion> cmd_list(Context& ctx, wire::Command& command) {
  auto& list = std::get<wire::List>(command.body);
  const char* verb = list.lsub ? "LSUB" : "LIST";
  if (!list.lsub && list.patterns.size() == 1 && list.patterns[0].empty() && !list.extended) {
    // RFC 9051 6.3.9: the hierarchy delimiter and root.
    ctx.send_untagged("LIST (\\Noselect) \"/\" \"\"");
    co_return ok("LIST completed");
  }
  auto mailboxes = co_await ctx.account->list_mailboxes();
  if (!mailboxes) co_return from_error(mailboxes.error(), "list");
  auto subscriptions = co_await ctx.account->list_subscriptions();
  if (!subscriptions) co_return from_error(subscriptions.error(), "list");
  std::set<std::string> subscribed(subscriptions->begin(), subscriptions->end());
  const bool only_subscribed = list.lsub || list.select_subscribed;
  const bool show_subscribed = list.return_subscribed || list.select_subscribed;

  auto matches_any = [&](const std::string& name) {
    return std::any_of(list.patterns.begin(), list.patterns.end(),
                       [&](const std::string& p) { return list_matches(list.reference, p, name); });
  };
  std::set<std::string> listed;
  for (const auto& m : *mailboxes) {
    if (!matches_any(m.name)) continue;
    const bool is_subscribed = subscribed.count(m.name) > 0;
    if (only_subscribed && !is_subscribed) continue;
    if (list.select_special_use && m.special_use == store::SpecialUse::kNone) continue;
    std::vector<std::string> attrs;
    if (!list.lsub) attrs.push_back(has_children(*mailboxes, m.name) ? "\\HasChildren" : "\\HasNoChildren");
    if (show_subscribed && is_subscribed) attrs.push_back("\\Subscribed");
    if (m.special_use != store::SpecialUse::kNone && !list.lsub)
      attrs.emplace_back(store::to_string(m.special_use));
    ctx.send_untagged(std::string(verb) + " " + wire::format_flag_list(attrs) + " \"/\" " + mailbox_name(ctx, m.name));
    listed.insert(m.name);
    if (list.return_status) ctx.send_untagged("STATUS " + mailbox_name(ctx, m.name) + " (" +
                                              status_items(ctx, m, *list.return_status) + ")");
  }
  if (list.select_subscribed && list.select_recursive_match) {
    // RFC 5258 3.5: a name that is not itself subscribed but has subscribed
    // inferiors is listed with CHILDINFO ("SUBSCRIBED").
    std::set<std::string> parents;
    for (const auto& name : subscribed)
      for (auto slash = name.find(store::kHierarchySeparator); slash != std::string::npos;
           slash = name.find(store::kHierarchySeparator, slash + 1))
        parents.insert(name.substr(0, slash));
    for (const auto& parent : parents) {
      if (subscribed.count(parent) || !matches_any(parent)) continue;
      const bool exists = std::any_of(mailboxes->begin(), mailboxes->end(),
                                      [&](const store::Mailbox& m) { return m.name == parent; });
      ctx.send_untagged("LIST (" + std::string(exists ? "" : "\\NonExistent") + ") \"/\" " +
                        mailbox_name(ctx, parent) + " (\"CHILDINFO\" (\"SUBSCRIBED\"))");
    }
  }
  if (only_subscribed && !list.select_special_use) {
    // Subscribed names without a mailbox (RFC 5258 3.1: \NonExistent).
    for (const auto& name : subscribed) {
      if (listed.count(name) || !matches_any(name)) continue;
      std::string attrs = list.lsub ? "(\\Noselect)" : "(\\Subscribed \\NonExistent)";
      ctx.send_untagged(std::string(verb) + " " + attrs + " \"/\" " + mailbox_name(ctx, name));
    }
  }
  co_return ok(std::string(verb) + " completed");
}

awaitable<Completion> cmd_status(Context& ctx, wire::Command& command) {
  auto& status = std::get<wire::StatusCommand>(command.body);
  auto m = co_await ctx.account->get_mailbox(status.mailbox);
  if (!m) co_return from_error(m.error(), "status");
  ctx.send_untagged("STATUS " + mailbox_name(ctx, m->name) + " (" + status_items(ctx, *m, status.items) + ")");
  co_return ok("STATUS completed");
}

}  // namespace taube::imap::server
