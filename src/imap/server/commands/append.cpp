// APPEND and MULTIAPPEND (RFC 9051 6.3.12, RFC 3502) with flags, date,
// literal8 (RFC 3516) and APPENDUID (RFC 4315). Oversize literals never get
// here: the receiver refuses them with NO [TOOBIG] before reading them.
// Metadata is computed once, here, as at SMTP delivery.
#include <chrono>

#include "delivery/describe.hpp"
#include "imap/server/commands.hpp"
#include "imap/server/support.hpp"
#include "imap/wire/writer.hpp"

namespace taube::imap::server {

using boost::asio::awaitable;

awaitable<Completion> cmd_append(Context& ctx, wire::Command& command) {
  auto& append = std::get<wire::Append>(command.body);
  auto mailbox = co_await ctx.account->get_mailbox(append.mailbox);
  if (!mailbox) {
    if (mailbox.error().code == ErrorCode::kNotFound) co_return no("Mailbox does not exist", "TRYCREATE");
    co_return from_error(mailbox.error(), "append");
  }
  // Validate every message first: MULTIAPPEND is all or nothing for syntax.
  std::vector<store::Flags> flags(append.messages.size());
  for (std::size_t i = 0; i < append.messages.size(); ++i) {
    if (!to_store_flags(append.messages[i].flags, flags[i])) co_return bad("Unknown system flag");
    if (append.messages[i].data.empty()) co_return no("Empty message", "CANNOT");
    if (append.messages[i].data.size() > ctx.options().limits.max_literal_bytes)
      co_return no("Message too large", "TOOBIG");
  }
  std::vector<store::Uid> uids;
  std::uint32_t uid_validity = mailbox->uid_validity;
  const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  for (std::size_t i = 0; i < append.messages.size(); ++i) {
    auto& message = append.messages[i];
    store::UnixTime date = now;
    if (message.internal_date) date = store::UnixTime(std::chrono::seconds(message.internal_date->to_unix()));
    store::MessageMeta meta = delivery::describe(message.data);
    std::string raw = std::move(message.data);
    message.data = std::string();
    auto delivered = co_await ctx.account->append(mailbox->id, std::move(raw), std::move(meta), flags[i], date);
    if (!delivered) co_return from_error(delivered.error(), "append");
    uids.push_back(delivered->uid);
    uid_validity = delivered->uid_validity;
  }
  if (ctx.selected && ctx.selected->id() == mailbox->id) ctx.mailbox_changed = true;
  co_return ok("APPEND completed", wire::code::append_uid(uid_validity, uids));
}

}  // namespace taube::imap::server
