// CREATE (with RFC 6154 USE), DELETE, RENAME (incl. INBOX), SUBSCRIBE,
// UNSUBSCRIBE (RFC 9051 6.3.4-6.3.8).
#include "base/ascii.hpp"
#include "imap/server/commands.hpp"
#include "imap/server/support.hpp"

namespace taube::imap::server {

using boost::asio::awaitable;

namespace {
std::optional<store::SpecialUse> parse_use(const std::vector<std::string>& uses) {
  if (uses.empty()) return store::SpecialUse::kNone;
  if (uses.size() > 1) return std::nullopt;  // one attribute per mailbox in this store
  static constexpr store::SpecialUse kAll[] = {store::SpecialUse::kDrafts, store::SpecialUse::kSent,
                                               store::SpecialUse::kTrash, store::SpecialUse::kJunk,
                                               store::SpecialUse::kArchive};
  for (auto u : kAll)
    if (ascii::iequals(store::to_string(u), uses[0])) return u;
  return std::nullopt;
}

std::string strip_trailing_separator(std::string name) {
  // RFC 9051 6.3.4: "foo/" creates "foo".
  while (name.size() > 1 && name.back() == store::kHierarchySeparator) name.pop_back();
  return name;
}
}  // namespace

awaitable<Completion> cmd_create(Context& ctx, wire::Command& command) {
  auto& create = std::get<wire::Create>(command.body);
  auto use = parse_use(create.special_use);
  if (!use) co_return no("Unsupported special-use attribute", "USEATTR");
  std::string name = strip_trailing_separator(std::move(create.mailbox));
  if (name == store::kInbox) co_return no("INBOX already exists", "ALREADYEXISTS");
  if (!store::is_valid_mailbox_name(name)) co_return no("Invalid mailbox name", "CANNOT");
  auto created = co_await ctx.account->create_mailbox(std::move(name), *use);
  if (!created) co_return from_error(created.error(), "create");
  co_return ok("CREATE completed");
}

awaitable<Completion> cmd_delete(Context& ctx, wire::Command& command) {
  auto& del = std::get<wire::Delete>(command.body);
  if (del.mailbox == store::kInbox) co_return no("INBOX cannot be deleted", "CANNOT");
  if (ctx.selected && ctx.selected->mailbox().name == del.mailbox) {
    ctx.selected.reset();
    ctx.state = State::kAuthenticated;
  }
  auto r = co_await ctx.account->delete_mailbox(std::move(del.mailbox));
  if (!r) co_return from_error(r.error(), "delete");
  co_return ok("DELETE completed");
}

awaitable<Completion> cmd_rename(Context& ctx, wire::Command& command) {
  auto& rename = std::get<wire::Rename>(command.body);
  std::string to = strip_trailing_separator(std::move(rename.to));
  if (to == store::kInbox) co_return no("INBOX already exists", "ALREADYEXISTS");
  if (!store::is_valid_mailbox_name(to)) co_return no("Invalid mailbox name", "CANNOT");
  auto r = co_await ctx.account->rename_mailbox(std::move(rename.from), std::move(to));
  if (!r) co_return from_error(r.error(), "rename");
  co_return ok("RENAME completed");
}

awaitable<Completion> cmd_subscribe(Context& ctx, wire::Command& command) {
  auto& sub = std::get<wire::Subscribe>(command.body);
  auto r = co_await ctx.account->subscribe(std::move(sub.mailbox));
  if (!r) co_return from_error(r.error(), "subscribe");
  co_return ok("SUBSCRIBE completed");
}

awaitable<Completion> cmd_unsubscribe(Context& ctx, wire::Command& command) {
  auto& unsub = std::get<wire::Unsubscribe>(command.body);
  auto r = co_await ctx.account->unsubscribe(std::move(unsub.mailbox));
  // RFC 9051 6.3.8: unsubscribing a name that is not subscribed may succeed.
  if (!r && r.error().code != ErrorCode::kNotFound) co_return from_error(r.error(), "unsubscribe");
  co_return ok("UNSUBSCRIBE completed");
}

}  // namespace taube::imap::server
