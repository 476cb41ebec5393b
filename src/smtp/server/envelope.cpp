// MAIL and RCPT (RFC 5321 4.1.1.2-3): the envelope, the size check (RFC 1870), the
// recipient limit, recipient lookup and the relay rule. No open relay, ever: mail
// for a domain that is not local is refused unless the client authenticated on a
// submission listener; then it goes to the outbound queue (see README.md).
#include "smtp/server/core.hpp"

namespace taube::smtp::server {

namespace {

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// The address as the directory knows it: quotes removed from the local part.
std::string directory_address(const wire::Mailbox& m) {
  if (m.domain.empty()) return m.unquoted_local_part();
  return m.unquoted_local_part() + "@" + m.domain;
}

}  // namespace

void SessionCore::on_mail(const wire::Command& c) {
  if (state_ != State::kReady) {
    reply(503, "5.5.1", "Nested MAIL command");
    return;
  }
  if (is_submission() && !user_) {
    reply(530, "5.7.0", "Authentication required");
    return;
  }
  const wire::MailParams& params = c.mail_params;
  if (params.body == wire::Body::kBinaryMime) {
    // BINARYMIME is not advertised (RFC 3030 3).
    reply(555, "5.5.4", "BODY=BINARYMIME not supported");
    return;
  }
  if (params.size && *params.size > options_.limits.max_message_bytes) {
    reply(552, "5.3.4", "Message size exceeds fixed maximum message size");
    return;
  }
  pending_ = c;
  // Submission: the envelope sender must be the account's own address, or an alias
  // (not a catch-all) that leads to the account: the caller checks that
  // (kCheckSender). The null sender is allowed (MDNs, vacation replies).
  if (is_submission() && options_.enforce_sender && !c.path.null) {
    lookup_ = lower(directory_address(c.path.mailbox));
    if (lookup_ != lower(user_->address)) {
      need_ = Need::kCheckSender;
      return;
    }
  }
  accept_mail();
}

void SessionCore::sender_checked(bool allowed) {
  need_ = Need::kInput;
  if (checking_header_) {
    checking_header_ = false;
    if (allowed) {
      next_header_from();
    } else {
      event(Event::kInfo, "smtp.header_from_refused",
            {{"account", user_->address}, {"from", lookup_}});
      reset_transaction();
      reply(550, "5.7.1", "From: header address not owned by the authenticated user");
    }
    settle();
    return;
  }
  if (allowed) {
    accept_mail();
  } else {
    event(Event::kInfo, "smtp.sender_refused",
          {{"account", user_->address}, {"sender", pending_.path.mailbox.address()}});
    reply(553, "5.7.1", "Sender address not owned by the authenticated user");
  }
  settle();
}

void SessionCore::accept_mail() {
  tx_ = Transaction{};
  tx_.sender = pending_.path;
  tx_.params = pending_.mail_params;
  state_ = State::kMail;
  reply(250, "2.1.0", "Sender OK");
}

void SessionCore::on_rcpt(const wire::Command& c) {
  if (state_ != State::kMail && state_ != State::kRcpt) {
    reply(503, "5.5.1", "Need MAIL before RCPT");
    return;
  }
  if (tx_.recipients.size() >= options_.limits.max_recipients) {
    reply(452, "4.5.3", "Too many recipients");
    return;
  }
  pending_ = c;
  lookup_ = c.path.postmaster_only ? "postmaster@" + options_.hostname  // RFC 5321 4.1.1.3
                                   : directory_address(c.path.mailbox);
  need_ = Need::kResolveRecipient;
}

void SessionCore::recipient_resolved(const Result<std::vector<store::AccountId>>& accounts) {
  need_ = Need::kInput;
  if (accounts && !accounts->empty()) {
    tx_.recipients.push_back(
        Recipient{pending_.path.postmaster_only ? lookup_ : pending_.path.mailbox.address(),
                  pending_.rcpt_params, *accounts});
    state_ = State::kRcpt;
    reply(250, "2.1.5", "Recipient OK");
  } else if (accounts || accounts.error().code == ErrorCode::kNotFound ||
             accounts.error().code == ErrorCode::kInvalidArgument) {
    // kInvalidArgument: valid SMTP, but no address the directory can hold.
    reply(550, "5.1.1", "Mailbox unavailable");
  } else if (accounts.error().code == ErrorCode::kPermissionDenied) {
    if (user_ && is_submission()) {
      // Authenticated submission: mail for another domain goes to the outbound
      // queue, in the same transaction as the local copies (request_delivery).
      tx_.recipients.push_back(
          Recipient{pending_.path.mailbox.address(), pending_.rcpt_params, {}, true});
      state_ = State::kRcpt;
      reply(250, "2.1.5", "Recipient OK");
    } else {
      event(Event::kInfo, "smtp.relay_denied", {{"recipient", lookup_}});
      reply(550, "5.7.1", "Relaying denied");
    }
  } else {
    event(Event::kWarn, "smtp.rcpt_lookup_failed", {{"reason", accounts.error().detail}});
    reply(451, "4.3.0", "Temporary lookup failure, try again later");
  }
  settle();
}

void SessionCore::recipient_deferred() {
  need_ = Need::kInput;
  tx_.recipients.push_back(
      Recipient{pending_.path.postmaster_only ? lookup_ : pending_.path.mailbox.address(),
                pending_.rcpt_params, {}});
  state_ = State::kRcpt;
  event(Event::kInfo, "smtp.rcpt_deferred", {{"recipient", lookup_}});
  reply(250, "2.1.5", "Recipient OK");
  settle();
}

std::vector<std::string> SessionCore::deferred_addresses() const {
  std::vector<std::string> out;
  for (const Recipient& r : tx_.recipients)
    if (r.accounts.empty() && !r.foreign) out.push_back(r.address);
  return out;
}

std::string SessionCore::sender_address() const {
  return tx_.sender.null ? std::string() : tx_.sender.mailbox.address();
}

}  // namespace taube::smtp::server
