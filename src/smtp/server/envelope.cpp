// MAIL and RCPT (RFC 5321 4.1.1.2-3): the envelope, the size check (RFC 1870), the
// recipient limit, recipient lookup and the relay rule. No open relay, ever: mail
// for a domain that is not local is refused unless the client authenticated, and
// then it is answered 451 until the outbound queue exists (see README.md).
#include "log/log.hpp"
#include "smtp/server/session.hpp"

namespace taube::smtp::server {

using boost::asio::awaitable;

namespace {

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// The address as the directory knows it: quotes removed from the local part.
std::string lookup_address(const wire::Mailbox& m) {
  if (m.domain.empty()) return m.unquoted_local_part();
  return m.unquoted_local_part() + "@" + m.domain;
}

}  // namespace

awaitable<void> Session::on_mail(const wire::Command& c) {
  if (state_ != State::kReady) {
    reply(503, "5.5.1", "Nested MAIL command");
    co_return;
  }
  if (is_submission() && !user_) {
    reply(530, "5.7.0", "Authentication required");
    co_return;
  }
  const wire::MailParams& params = c.mail_params;
  if (params.body == wire::Body::kBinaryMime) {
    // BINARYMIME is not advertised (RFC 3030 3).
    reply(555, "5.5.4", "BODY=BINARYMIME not supported");
    co_return;
  }
  if (params.size && *params.size > options_.limits.max_message_bytes) {
    reply(552, "5.3.4", "Message size exceeds fixed maximum message size");
    co_return;
  }
  if (is_submission() && !co_await sender_allowed(c.path)) {
    log::info("smtp.sender_refused",
              {log::kv("client", client_log_name()), log::kv("account", user_->address),
               log::kv("sender", c.path.mailbox.address())});
    reply(553, "5.7.1", "Sender address not owned by the authenticated user");
    co_return;
  }
  tx_ = Transaction{};
  tx_.sender = c.path;
  tx_.params = params;
  state_ = State::kMail;
  reply(250, "2.1.0", "Sender OK");
}

// Submission: the envelope sender must be the account's own address or an alias
// (not a catch-all) that resolves to the account. The null sender is allowed
// (MDNs, vacation replies).
awaitable<bool> Session::sender_allowed(const wire::Path& sender) {
  if (!user_) co_return false;
  if (sender.null) co_return true;
  const std::string address = lower(lookup_address(sender.mailbox));
  if (address == lower(user_->address)) co_return true;
  const auto at = address.rfind('@');
  if (at == std::string::npos) co_return false;
  std::optional<std::string> domain = address.substr(at + 1);  // named: see DEVELOPMENT.md
  Result<std::vector<store::Alias>> aliases = co_await store_.list_aliases(std::move(domain));
  if (!aliases) co_return false;
  bool is_alias = false;
  for (const store::Alias& a : *aliases)
    if (lower(a.source) == address) is_alias = true;
  if (!is_alias) co_return false;
  Result<std::vector<store::AccountId>> targets = co_await store_.resolve_recipient(address);
  if (!targets) co_return false;
  for (store::AccountId id : *targets)
    if (id == user_->id) co_return true;
  co_return false;
}

awaitable<void> Session::on_rcpt(const wire::Command& c) {
  if (state_ != State::kMail && state_ != State::kRcpt) {
    reply(503, "5.5.1", "Need MAIL before RCPT");
    co_return;
  }
  if (tx_.recipients.size() >= options_.limits.max_recipients) {
    reply(452, "4.5.3", "Too many recipients");
    co_return;
  }
  std::string address;
  if (c.path.postmaster_only) {
    address = "postmaster@" + options_.hostname;  // RFC 5321 4.1.1.3
  } else {
    address = lookup_address(c.path.mailbox);
  }
  Result<std::vector<store::AccountId>> accounts = co_await store_.resolve_recipient(address);
  if (!accounts) {
    switch (accounts.error().code) {
      case ErrorCode::kNotFound:
        reply(550, "5.1.1", "Mailbox unavailable");
        break;
      case ErrorCode::kPermissionDenied:
        if (user_) {
          // Authenticated submission to a foreign domain belongs in the outbound
          // queue, which does not exist yet: a temporary failure, never a false 250.
          reply(451, "4.3.0", "Outbound delivery not yet available");
        } else {
          log::info("smtp.relay_denied",
                    {log::kv("client", client_log_name()), log::kv("recipient", address)});
          reply(550, "5.7.1", "Relaying denied");
        }
        break;
      case ErrorCode::kInvalidArgument:  // valid SMTP, but no address the directory can hold
        reply(550, "5.1.1", "Mailbox unavailable");
        break;
      default:
        log::warn("smtp.rcpt_lookup_failed", {log::kv("client", client_log_name()),
                                              log::kv("reason", accounts.error().detail)});
        reply(451, "4.3.0", "Temporary lookup failure, try again later");
        break;
    }
    co_return;
  }
  if (accounts->empty()) {
    reply(550, "5.1.1", "Mailbox unavailable");
    co_return;
  }
  tx_.recipients.push_back(Recipient{c.path.postmaster_only ? address : c.path.mailbox.address(),
                                     c.rcpt_params, std::move(*accounts)});
  state_ = State::kRcpt;
  reply(250, "2.1.5", "Recipient OK");
}

}  // namespace taube::smtp::server
