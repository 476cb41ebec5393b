// AUTH PLAIN and LOGIN with SASL-IR (RFC 4954, RFC 4616). Offered on submission only,
// and only over TLS (or from loopback when the configuration allows it). Handles
// credentials: nothing decoded here is ever logged.
#include "auth/sasl/plain.hpp"
#include "log/log.hpp"
#include "smtp/server/session.hpp"
#include "smtp/wire/auth_response.hpp"

namespace taube::smtp::server {

using boost::asio::awaitable;

namespace {

bool same_ascii_case_insensitive(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

awaitable<std::optional<wire::LineStep>> Session::read_sasl_line() {
  for (;;) {
    if (pending().empty()) {
      transport_.set_deadline(options_.command_timeout);
      if (!co_await fill()) co_return std::nullopt;
    }
    wire::LineStep step = receiver_.feed_line(pending());
    consume(step.consumed);
    if (!std::holds_alternative<wire::NeedMore>(step.result)) co_return step;
  }
}

awaitable<void> Session::on_auth(const wire::Command& c) {
  if (!is_submission()) {
    reply(502, "5.5.1", "AUTH not available on this port");
    co_return;
  }
  if (user_) {
    reply(503, "5.5.1", "Already authenticated");
    co_return;
  }
  if (!auth_allowed()) {
    reply(538, "5.7.11", "Encryption required for requested authentication mechanism");
    co_return;
  }
  if (c.auth_mechanism != "PLAIN" && c.auth_mechanism != "LOGIN") {
    reply(504, "5.5.4", "Unrecognized authentication mechanism");
    co_return;
  }
  const bool plain = c.auth_mechanism == "PLAIN";

  // Collects one client response: the initial response when given (SASL-IR), else
  // a 334 challenge and a continuation line. false: the exchange ended (replied).
  std::string response;
  bool have_initial = c.auth_initial_response.has_value();
  for (int round = 0; round < (plain ? 1 : 2); ++round) {
    std::string line;
    bool initial = round == 0 && have_initial;
    if (initial) {
      line = *c.auth_initial_response;
    } else {
      if (plain)
        reply_raw("334 ");
      else
        reply_raw(std::string("334 ") + std::string(round == 0
                                                        ? auth::sasl::kLoginUserChallenge
                                                        : auth::sasl::kLoginPasswordChallenge));
      std::optional<wire::LineStep> step = co_await read_sasl_line();
      if (!step) co_return;
      if (auto* invalid = std::get_if<wire::Invalid>(&step->result)) {
        reply(invalid->reply);
        co_return;
      }
      line = std::get<std::string>(step->result);
    }
    auto decoded = wire::decode_sasl_response(line, initial);
    if (std::holds_alternative<wire::SaslCancel>(decoded)) {
      reply(501, "5.7.0", "Authentication cancelled");
      co_return;
    }
    if (auto* invalid = std::get_if<wire::Invalid>(&decoded)) {
      reply(invalid->reply);
      co_return;
    }
    if (plain) {
      response = std::move(std::get<std::string>(decoded));
    } else if (round == 0) {
      response = std::move(std::get<std::string>(decoded));  // the user name
    } else {
      std::string password = std::move(std::get<std::string>(decoded));
      if (response.empty() || password.empty()) {
        reply(501, "5.5.2", "Malformed authentication response");
        co_return;
      }
      co_await finish_auth(std::move(response), std::move(password));
      co_return;
    }
  }
  std::optional<auth::sasl::PlainCredentials> credentials = auth::sasl::parse_plain(response);
  if (!credentials) {
    reply(501, "5.5.2", "Malformed authentication response");
    co_return;
  }
  // RFC 4616 2: an authzid other than the user itself would be a proxy login,
  // which Taube does not offer.
  if (!credentials->authzid.empty() &&
      !same_ascii_case_insensitive(credentials->authzid, credentials->authcid)) {
    reply(535, "5.7.8", "Authentication credentials invalid");
    co_return;
  }
  co_await finish_auth(std::move(credentials->authcid), std::move(credentials->password));
}

awaitable<void> Session::finish_auth(std::string user, std::string password) {
  Result<store::Account> account = co_await authenticator_.authenticate(
      std::move(user), std::move(password), transport_.remote_address());
  if (account) {
    log::info("smtp.auth",
              {log::kv("client", client_log_name()), log::kv("account", account->address)});
    user_ = std::move(*account);
    user_->password_hash.clear();  // not needed after login; keep secrets short-lived
    reply(235, "2.7.0", "Authentication successful");
    co_return;
  }
  switch (account.error().code) {
    case ErrorCode::kPermissionDenied:
      log::info("smtp.auth_failed", {log::kv("client", client_log_name())});
      reply(535, "5.7.8", "Authentication credentials invalid");
      break;
    case ErrorCode::kBusy:
      log::info("smtp.auth_throttled", {log::kv("client", client_log_name())});
      reply(454, "4.7.0", "Too many failed attempts, try again later");
      break;
    default:
      log::warn("smtp.auth_error",
                {log::kv("client", client_log_name()), log::kv("reason", account.error().detail)});
      reply(454, "4.7.0", "Temporary authentication failure");
      break;
  }
}

}  // namespace taube::smtp::server
