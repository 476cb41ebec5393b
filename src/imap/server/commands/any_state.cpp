// CAPABILITY, NOOP, LOGOUT, ID, ENABLE, NAMESPACE, STARTTLS (RFC 9051 6.1,
// 6.2.1, 6.3.1, 6.3.10; RFC 2971 ID; RFC 5161 ENABLE).
#include "base/ascii.hpp"
#include "imap/server/commands.hpp"
#include "imap/server/support.hpp"
#include "imap/wire/writer.hpp"

namespace taube::imap::server {

using boost::asio::awaitable;

std::string capabilities(const Context& ctx) {
  std::string caps = "IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ID ENABLE IDLE";
  if (ctx.state == State::kNotAuthenticated) {
    if (!ctx.is_tls() && ctx.options().starttls_available) caps += " STARTTLS";
    caps += ctx.plaintext_auth_disabled() ? " LOGINDISABLED" : " AUTH=PLAIN";
    return caps;
  }
  caps +=
      " NAMESPACE UNSELECT CHILDREN UIDPLUS MOVE CONDSTORE QRESYNC ESEARCH SEARCHRES WITHIN"
      " LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE MULTIAPPEND BINARY"
      " STATUS=SIZE SAVEDATE OBJECTID UTF8=ACCEPT QUOTA QUOTA=RES-STORAGE PREVIEW SORT SORT=DISPLAY THREAD=ORDEREDSUBJECT THREAD=REFERENCES";
  if (!ctx.compress_active) caps += " COMPRESS=DEFLATE";
  caps += " APPENDLIMIT=" + std::to_string(ctx.options().limits.max_literal_bytes);
  return caps;
}

awaitable<Completion> cmd_capability(Context& ctx, wire::Command&) {
  ctx.send_untagged("CAPABILITY " + capabilities(ctx));
  co_return ok("CAPABILITY completed");
}

awaitable<Completion> cmd_noop(Context& ctx, wire::Command&) {
  ctx.mailbox_changed = true;  // poll: RFC 9051 6.1.2
  co_return ok("NOOP completed");
}

awaitable<Completion> cmd_logout(Context& ctx, wire::Command&) {
  ctx.send(wire::format_untagged(wire::Status::kBye, "", "Logging out"));
  ctx.logout_requested = true;
  ctx.state = State::kLogout;
  co_return ok("LOGOUT completed");
}

awaitable<Completion> cmd_id(Context& ctx, wire::Command&) {
  ctx.send_untagged("ID (\"name\" \"Taube\" \"vendor\" \"Taube\")");
  co_return ok("ID completed");
}

awaitable<Completion> cmd_enable(Context& ctx, wire::Command& command) {
  const auto& enable = std::get<wire::Enable>(command.body);
  std::string enabled;
  for (const auto& cap : enable.capabilities) {
    bool* flag = nullptr;
    if (cap == "IMAP4REV2") flag = &ctx.enabled.rev2;
    if (cap == "UTF8=ACCEPT") flag = &ctx.enabled.utf8;
    if (cap == "CONDSTORE") flag = &ctx.enabled.condstore;
    if (cap == "QRESYNC") flag = &ctx.enabled.qresync;
    if (!flag || *flag) continue;  // RFC 5161 3.1: only newly enabled ones are listed
    *flag = true;
    if (cap == "QRESYNC") ctx.enabled.condstore = true;  // RFC 7162 3.2.3
    enabled += " " + cap;
  }
  ctx.send_untagged("ENABLED" + enabled);
  co_return ok("ENABLE completed");
}

awaitable<Completion> cmd_namespace(Context& ctx, wire::Command&) {
  ctx.send_untagged("NAMESPACE ((\"\" \"/\")) NIL NIL");
  co_return ok("NAMESPACE completed");
}

awaitable<Completion> cmd_starttls(Context& ctx, wire::Command&) {
  if (ctx.is_tls() || !ctx.options().starttls_available) co_return bad("TLS is already active or not available");
  ctx.starttls_requested = true;
  co_return ok("Begin TLS negotiation now");
}

}  // namespace taube::imap::server
