#include "imap/server/thread.hpp"

#include <algorithm>
#include <map>
#include <memory>

#include "base/ascii.hpp"

namespace taube::imap::server {

namespace {

struct Node {
  const ThreadMessage* message = nullptr;  // null for a dummy (RFC 5256 REFERENCES)
  Node* parent = nullptr;
  std::vector<Node*> children;
};

// RFC 5256 2.2: a dummy's date is that of its first child (after sorting).
std::pair<std::int64_t, std::uint32_t> sort_key(const Node* n) {
  while (!n->message && !n->children.empty()) n = n->children.front();
  if (!n->message) return {0, 0};
  return {n->message->date, n->message->seq};
}

void sort_tree(std::vector<Node*>& nodes) {
  for (Node* n : nodes) sort_tree(n->children);
  std::stable_sort(nodes.begin(), nodes.end(), [](const Node* a, const Node* b) { return sort_key(a) < sort_key(b); });
}

// "n", "n m", "n (a)(b)" for one subtree; dummies show only their children.
void format_node(const Node* n, std::string& out) {
  if (n->message) {
    out += std::to_string(n->message->number);
    if (n->children.empty()) return;
    out += ' ';
  }
  if (n->children.size() == 1 && n->message) {
    format_node(n->children.front(), out);
    return;
  }
  for (const Node* c : n->children) {
    out += '(';
    format_node(c, out);
    out += ')';
  }
}

std::string format_roots(const std::vector<Node*>& roots) {
  std::string out;
  for (const Node* r : roots) {
    out += '(';
    format_node(r, out);
    out += ')';
  }
  return out;
}

std::vector<std::string> message_ids(std::string_view text) {
  std::vector<std::string> ids;
  std::size_t pos = 0;
  while ((pos = text.find('<', pos)) != std::string_view::npos) {
    std::size_t end = text.find('>', pos);
    if (end == std::string_view::npos) break;
    ids.emplace_back(text.substr(pos, end - pos + 1));
    pos = end + 1;
  }
  return ids;
}

bool is_ancestor(const Node* maybe_ancestor, const Node* n) {
  for (const Node* p = n; p; p = p->parent)
    if (p == maybe_ancestor) return true;
  return false;
}

void unlink(Node* n) {
  if (!n->parent) return;
  auto& siblings = n->parent->children;
  siblings.erase(std::remove(siblings.begin(), siblings.end(), n), siblings.end());
  n->parent = nullptr;
}

void link(Node* parent, Node* child) {
  unlink(child);
  child->parent = parent;
  parent->children.push_back(child);
}

// RFC 5256 2.2 step 3: drop empty dummies, promote dummies' children.
std::vector<Node*> prune(std::vector<Node*> nodes, bool at_root) {
  std::vector<Node*> out;
  for (Node* n : nodes) {
    n->children = prune(n->children, false);
    if (!n->message && n->children.empty()) continue;
    if (!n->message && (!at_root || n->children.size() == 1)) {
      for (Node* c : n->children) {
        c->parent = at_root ? nullptr : n->parent;
        out.push_back(c);
      }
      continue;
    }
    out.push_back(n);
  }
  return out;
}

}  // namespace

bool is_reply_subject(std::string_view subject) {
  std::string_view s = ascii::trim(subject);
  while (!s.empty() && s.front() == '[') {  // [list] tags
    auto close = s.find(']');
    if (close == std::string_view::npos) break;
    s = ascii::trim(s.substr(close + 1));
  }
  return ascii::istarts_with(s, "re:") || ascii::istarts_with(s, "re ") || ascii::istarts_with(s, "fw:") ||
         ascii::istarts_with(s, "fwd:") || ascii::istarts_with(s, "re[");
}

std::string thread_ordered_subject(std::vector<ThreadMessage> messages) {
  // RFC 5256 2.1 ORDEREDSUBJECT: group by base subject, order each group and
  // the groups by sent date; the first message is the parent of the others.
  std::stable_sort(messages.begin(), messages.end(),
                   [](const auto& a, const auto& b) { return std::tie(a.date, a.seq) < std::tie(b.date, b.seq); });
  std::map<std::string, std::vector<const ThreadMessage*>> groups;
  std::vector<std::string> order;
  for (const auto& m : messages) {
    auto& g = groups[m.base_subject];
    if (g.empty()) order.push_back(m.base_subject);
    g.push_back(&m);
  }
  std::string out;
  for (const auto& subject : order) {
    const auto& g = groups[subject];
    out += '(' + std::to_string(g[0]->number);
    if (g.size() == 2) out += ' ' + std::to_string(g[1]->number);
    if (g.size() > 2)
      for (std::size_t i = 1; i < g.size(); ++i) out += (i == 1 ? " (" : "(") + std::to_string(g[i]->number) + ')';
    out += ')';
  }
  return out;
}

std::string thread_references(std::vector<ThreadMessage> messages) {
  std::vector<std::unique_ptr<Node>> storage;
  std::map<std::string, Node*> by_id;
  auto node_for = [&](const std::string& id) -> Node* {
    auto& slot = by_id[id];
    if (!slot) {
      storage.push_back(std::make_unique<Node>());
      slot = storage.back().get();
    }
    return slot;
  };
  std::size_t unique = 0;
  for (const auto& m : messages) {
    // Step 1A: a message without (or with a duplicate) Message-ID gets a unique one.
    std::string id = m.message_id;
    if (id.empty() || (by_id.count(id) && by_id[id]->message)) id = "<taube-unique-" + std::to_string(++unique) + ">";
    Node* self = node_for(id);
    self->message = &m;
    std::vector<std::string> refs = message_ids(m.references);
    if (refs.empty()) {
      auto irt = message_ids(m.in_reply_to);
      if (!irt.empty()) refs.push_back(irt.front());
    }
    // Step 1B: link the references in order, never creating a loop.
    Node* previous = nullptr;
    for (const auto& ref : refs) {
      Node* n = node_for(ref);
      if (previous && !n->parent && n != previous && !is_ancestor(n, previous)) link(previous, n);
      previous = n;
    }
    // Step 1C: the message's parent is its last reference.
    if (previous && previous != self && !is_ancestor(self, previous)) {
      link(previous, self);
    } else if (!previous) {
      unlink(self);
    }
  }
  std::vector<Node*> roots;
  for (const auto& n : storage)
    if (!n->parent) roots.push_back(n.get());
  roots = prune(roots, true);
  // Step 5 (simplified): a root whose subject is a reply joins the earlier
  // root thread of the same base subject.
  sort_tree(roots);
  std::map<std::string, Node*> by_subject;
  std::vector<Node*> merged;
  for (Node* r : roots) {
    const ThreadMessage* m = r->message;
    if (!m) {
      merged.push_back(r);
      continue;
    }
    if (m->base_subject.empty()) {
      merged.push_back(r);
      continue;
    }
    auto it = by_subject.find(m->base_subject);
    if (it != by_subject.end() && m->is_reply) {
      link(it->second, r);
      continue;
    }
    if (it == by_subject.end()) by_subject[m->base_subject] = r;
    merged.push_back(r);
  }
  sort_tree(merged);
  return format_roots(merged);
}

}  // namespace taube::imap::server
