// AUTH PLAIN and LOGIN with SASL-IR (RFC 4954, RFC 4616). Offered on submission only,
// and only over TLS (or from loopback when the configuration allows it). The
// password check itself is a need (kAuthenticate) the caller fulfils with the
// Authenticator (throttling, hashing off the I/O threads). Handles credentials:
// nothing decoded here is ever put into an event.
#include "auth/sasl/plain.hpp"
#include "smtp/server/core.hpp"
#include "smtp/wire/auth_response.hpp"

namespace taube::smtp::server {

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

void SessionCore::on_auth(const wire::Command& c) {
  if (!is_submission()) {
    reply(502, "5.5.1", "AUTH not available on this port");
    return;
  }
  if (user_) {
    reply(503, "5.5.1", "Already authenticated");
    return;
  }
  if (!auth_allowed()) {
    reply(538, "5.7.11", "Encryption required for requested authentication mechanism");
    return;
  }
  if (c.auth_mechanism != "PLAIN" && c.auth_mechanism != "LOGIN") {
    reply(504, "5.5.4", "Unrecognized authentication mechanism");
    return;
  }
  sasl_ = c.auth_mechanism == "PLAIN" ? Sasl::kPlain : Sasl::kLoginUser;
  if (c.auth_initial_response) {
    on_sasl_line(*c.auth_initial_response, true);  // RFC 4954 4: SASL-IR
  } else {
    reply_raw(sasl_ == Sasl::kPlain ? std::string("334 ")
                                    : "334 " + std::string(auth::sasl::kLoginUserChallenge));
    input_ = Input::kSaslLine;
  }
}

// One client response of the exchange: the initial response or a continuation line.
void SessionCore::on_sasl_line(std::string_view line, bool initial) {
  auto decoded = wire::decode_sasl_response(line, initial);
  const Sasl step = sasl_;
  sasl_ = Sasl::kNone;
  input_ = Input::kCommand;
  if (std::holds_alternative<wire::SaslCancel>(decoded)) {
    sasl_user_.clear();
    reply(501, "5.7.0", "Authentication cancelled");
    return;
  }
  if (auto* invalid = std::get_if<wire::Invalid>(&decoded)) {
    sasl_user_.clear();
    reply(invalid->reply);
    return;
  }
  std::string& response = std::get<std::string>(decoded);
  if (step == Sasl::kLoginUser) {
    sasl_user_ = std::move(response);
    sasl_ = Sasl::kLoginPassword;
    input_ = Input::kSaslLine;
    reply_raw("334 " + std::string(auth::sasl::kLoginPasswordChallenge));
    return;
  }
  if (step == Sasl::kLoginPassword) {
    Credentials credentials{std::exchange(sasl_user_, std::string()), std::move(response)};
    if (credentials.user.empty() || credentials.password.empty()) {
      reply(501, "5.5.2", "Malformed authentication response");
      return;
    }
    credentials_ = std::move(credentials);
    need_ = Need::kAuthenticate;
    return;
  }
  std::optional<auth::sasl::PlainCredentials> plain = auth::sasl::parse_plain(response);
  if (!plain) {
    reply(501, "5.5.2", "Malformed authentication response");
    return;
  }
  // RFC 4616 2: an authzid other than the user itself would be a proxy login,
  // which Taube does not offer.
  if (!plain->authzid.empty() && !same_ascii_case_insensitive(plain->authzid, plain->authcid)) {
    reply(535, "5.7.8", "Authentication credentials invalid");
    return;
  }
  credentials_ = Credentials{std::move(plain->authcid), std::move(plain->password)};
  need_ = Need::kAuthenticate;
}

void SessionCore::authenticated(Result<store::Account> account) {
  need_ = Need::kInput;
  if (account) {
    event(Event::kInfo, "smtp.auth", {{"account", account->address}});
    user_ = std::move(*account);
    user_->password_hash.clear();  // not needed after login; keep secrets short-lived
    reply(235, "2.7.0", "Authentication successful");
  } else {
    switch (account.error().code) {
      case ErrorCode::kPermissionDenied:
        event(Event::kInfo, "smtp.auth_failed");
        reply(535, "5.7.8", "Authentication credentials invalid");
        break;
      case ErrorCode::kBusy:
        event(Event::kInfo, "smtp.auth_throttled");
        reply(454, "4.7.0", "Too many failed attempts, try again later");
        break;
      default:
        event(Event::kWarn, "smtp.auth_error", {{"reason", account.error().detail}});
        reply(454, "4.7.0", "Temporary authentication failure");
        break;
    }
  }
  settle();
}

}  // namespace taube::smtp::server
