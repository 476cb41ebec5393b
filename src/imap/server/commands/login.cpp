// LOGIN and AUTHENTICATE PLAIN with SASL-IR (RFC 9051 6.2.2, 6.2.3; RFC 4959).
// Plaintext credentials are refused before TLS except from loopback when the
// configuration allows it (LOGINDISABLED, [PRIVACYREQUIRED]). Credentials are
// never logged.
#include <boost/asio/use_awaitable.hpp>

#include "auth/authenticator.hpp"
#include "auth/sasl/plain.hpp"
#include "base/ascii.hpp"
#include "imap/server/commands.hpp"
#include "imap/server/support.hpp"
#include "log/log.hpp"

namespace taube::imap::server {

using boost::asio::awaitable;

namespace {

std::optional<std::string> decode_base64(std::string_view in) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  std::size_t pad = 0;
  if (in.size() % 4 != 0) return std::nullopt;
  for (char c : in) {
    if (c == '=') {
      ++pad;
      continue;
    }
    if (pad) return std::nullopt;
    auto pos = kAlphabet.find(c);
    if (pos == std::string_view::npos) return std::nullopt;
    buffer = (buffer << 6) | unsigned(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(char((buffer >> bits) & 0xFF));
    }
  }
  if (pad > 2) return std::nullopt;
  return out;
}

awaitable<Completion> authenticate(Context& ctx, std::string user, std::string password) {
  std::string address = ctx.remote_address();
  auto account = co_await ctx.authenticator().authenticate(std::move(user), std::move(password), std::move(address));
  if (!account) {
    if (account.error().code == ErrorCode::kPermissionDenied)
      co_return no("Authentication failed", "AUTHENTICATIONFAILED");
    if (account.error().code == ErrorCode::kBusy)
      co_return no("Too many failed attempts, try again later", "UNAVAILABLE");
    co_return from_error(account.error(), "login");
  }
  ctx.account = ctx.store().account(account->id);
  ctx.user = account->address;
  ctx.state = State::kAuthenticated;
  ctx.on_login();
  log::info("imap.login", {log::kv("user", ctx.user), log::kv("client", ctx.remote_address())});
  co_return ok("Logged in", wire::code::capability({capabilities(ctx)}));
}

}  // namespace

awaitable<Completion> cmd_login(Context& ctx, wire::Command& command) {
  if (ctx.plaintext_auth_disabled()) co_return no("Use STARTTLS first", "PRIVACYREQUIRED");
  auto& login = std::get<wire::Login>(command.body);
  co_return co_await authenticate(ctx, std::move(login.user), std::move(login.password));
}

awaitable<Completion> cmd_authenticate(Context& ctx, wire::Command& command) {
  auto& auth = std::get<wire::Authenticate>(command.body);
  if (auth.mechanism != "PLAIN") co_return no("Unsupported authentication mechanism", "CANNOT");
  if (ctx.plaintext_auth_disabled()) co_return no("Use STARTTLS first", "PRIVACYREQUIRED");
  std::string response;
  if (auth.initial_response) {
    response = *auth.initial_response;
  } else {
    ctx.send("+ \r\n");
    if (!co_await ctx.flush()) co_return bad("Connection lost");
    auto line = co_await ctx.read_line();
    if (!line) co_return bad("Connection lost");
    response = std::move(*line);
  }
  if (response == "*") co_return bad("Authentication cancelled");  // RFC 9051 6.2.2
  if (response == "=") response.clear();
  auto decoded = decode_base64(response);
  if (!decoded) co_return bad("Invalid base64 in authentication response");
  auto credentials = auth::sasl::parse_plain(*decoded);
  if (!credentials) co_return bad("Malformed PLAIN response");
  if (!credentials->authzid.empty() && !ascii::iequals(credentials->authzid, credentials->authcid))
    co_return no("Proxy authorisation is not allowed", "AUTHORIZATIONFAILED");
  co_return co_await authenticate(ctx, std::move(credentials->authcid), std::move(credentials->password));
}

}  // namespace taube::imap::server
