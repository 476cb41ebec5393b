// DATA (RFC 5321 4.1.1.4) and BDAT (RFC 3030), and the delivery request. The content
// is held only up to the size limit (the wire receivers stop storing past it while
// reading on to the end), trace headers go in front (RFC 5321 4.4), and the message
// goes to the store once for all recipients (one target per account). The final
// 250 (or, with LMTP, each recipient's 250; RFC 2033 4.2) is queued only when the
// caller reports the store's durable commit; a failed commit gives 451 4.3.0.
#include "smtp/server/core.hpp"

#include <algorithm>

#include "mime/address.hpp"
#include "mime/header.hpp"

namespace taube::smtp::server {

namespace {

// How much of the content is kept aside for the From: check: the header section
// must end within it, else the message is refused when the check applies.
constexpr std::size_t kHeadBytes = 256 * 1024;

std::string lower_ascii(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

std::uint8_t notify_bits(const std::optional<wire::Notify>& n) {
  if (!n) return 0;
  if (n->never) return store::kNotifyNever;
  return static_cast<std::uint8_t>((n->success ? store::kNotifySuccess : 0) |
                                   (n->failure ? store::kNotifyFailure : 0) |
                                   (n->delay ? store::kNotifyDelay : 0));
}

}  // namespace

std::string SessionCore::trace_headers() const {
  TraceInfo info;
  info.reverse_path = tx_.sender.null ? std::string() : tx_.sender.mailbox.address();
  info.helo = helo_;
  info.helo_is_domain = helo_is_domain_;
  info.remote_address = connection_.remote_address;
  info.by_host = options_.hostname;
  info.protocol = with_protocol(is_lmtp(), extended_, connection_.tls, user_.has_value());
  if (connection_.tls) info.tls = connection_.tls_description;
  if (tx_.recipients.size() == 1) info.for_recipient = tx_.recipients.front().address;
  info.when = now_;
  return format_trace_headers(info);
}

void SessionCore::on_data(const wire::Command&) {
  if (state_ == State::kMail) {
    reply(554, "5.5.1", "No valid recipients");
    return;
  }
  if (state_ != State::kRcpt) {
    reply(503, "5.5.1", "Need RCPT before DATA");
    return;
  }
  reply_raw("354 End data with <CR><LF>.<CR><LF>");
  ++message_serial_;
  tx_.message = trace_headers();
  auto sink = [this](std::string_view chunk) { append_content(chunk); };
  tx_.data.emplace(options_.limits, sink);
  input_ = Input::kData;
}

void SessionCore::data_done() {
  input_ = Input::kCommand;
  const wire::DataOutcome outcome = tx_.data->outcome();
  if (outcome.bare_lf || outcome.bare_cr) {
    event(Event::kInfo, "smtp.bare_line_endings",
          {{"bare_lf", std::to_string(outcome.bare_lf)},
           {"bare_cr", std::to_string(outcome.bare_cr)}});
  }
  if (std::optional<wire::Reply> rejection = wire::data_rejection(outcome, options_.data_policy)) {
    event(Event::kInfo, "smtp.message_refused",
          {{"code", std::to_string(rejection->code)},
           {"bytes", std::to_string(outcome.message_bytes)}});
    reset_transaction();
    reply(*rejection);
    return;
  }
  tx_.data.reset();
  if (check_header_from()) next_header_from();
}

void SessionCore::on_bdat(const wire::Command& c) {
  if (state_ != State::kRcpt && state_ != State::kBdat) {
    // RFC 3030 2: the chunk's octets follow anyway; they are skipped, not parsed.
    discard_reply_ = state_ == State::kMail
                         ? wire::make_reply(554, "5.5.1", "No valid recipients")
                         : wire::make_reply(503, "5.5.1", "Need RCPT before BDAT");
    discard_remaining_ = c.bdat_size;
    if (discard_remaining_ == 0)
      discard_done();
    else
      input_ = Input::kDiscard;
    return;
  }
  if (!tx_.bdat) {
    ++message_serial_;
    tx_.message = trace_headers();
    auto sink = [this](std::string_view chunk) { append_content(chunk); };
    tx_.bdat.emplace(options_.limits, sink);
  }
  pending_ = c;
  tx_.bdat->start_chunk(c.bdat_size, c.bdat_last);
  if (tx_.bdat->chunk_done())
    bdat_chunk_done();
  else
    input_ = Input::kBdat;
}

void SessionCore::bdat_chunk_done() {
  input_ = Input::kCommand;
  if (tx_.bdat->too_large()) {
    // The rest of this message's chunks meet state kReady: skipped, 503.
    event(Event::kInfo, "smtp.message_refused",
          {{"code", "552"}, {"bytes", std::to_string(tx_.bdat->message_bytes())}});
    reset_transaction();
    reply(552, "5.3.4", "Message size exceeds fixed maximum message size");
    return;
  }
  if (!pending_.bdat_last) {
    state_ = State::kBdat;
    reply(250, "2.0.0", std::to_string(pending_.bdat_size) + " octets received");
    return;
  }
  tx_.bdat.reset();
  if (check_header_from()) next_header_from();
}

void SessionCore::discard_done() {
  input_ = Input::kCommand;
  reply(discard_reply_);
}

void SessionCore::append_content(std::string_view chunk) {
  if (tx_.head.size() < kHeadBytes)
    tx_.head.append(chunk.substr(0, std::min(chunk.size(), kHeadBytes - tx_.head.size())));
  tx_.message.append(chunk);
}

// RFC 5322 3.6.2: every From: field (a message may carry several, and some
// clients show the last) and every mailbox in it must belong to the account.
// A message without From: passes: there is nothing to forge.
bool SessionCore::check_header_from() {
  tx_.from_pending.clear();
  if (!is_submission() || !options_.enforce_sender || !user_) return true;
  const std::string_view head = tx_.head;
  mime::Limits limits;
  limits.max_header_fields = 100000;  // a From: hidden behind many fields is still seen
  const mime::HeaderBlock block = mime::parse_header(head, 0, head.size(), limits);
  const bool header_ended = block.end < head.size() ||
                            (head.size() < kHeadBytes && head.size() == block.end);
  std::string refusal;
  if (!header_ended) refusal = "Header section too long to check the From: address";
  const std::string own = lower_ascii(user_->address);
  const std::string envelope =
      tx_.sender.null ? std::string() : lower_ascii(tx_.sender.mailbox.unquoted_local_part() + "@" +
                                                    tx_.sender.mailbox.domain);
  for (const mime::HeaderField& field : block.fields) {
    if (!refusal.empty()) break;
    if (lower_ascii(std::string(field.name(head))) != "from") continue;
    const std::vector<mime::Address> list =
        mime::parse_address_list(mime::unfold(field.raw_value(head)));
    std::size_t mailboxes = 0;
    for (const mime::Address& a : list) {
      if (a.kind != mime::Address::Kind::kMailbox) continue;
      ++mailboxes;
      if (!a.mailbox || !a.host) {
        refusal = "From: header address without a domain";
        break;
      }
      const std::string address = lower_ascii(*a.mailbox + "@" + *a.host);
      // The account's own address needs no lookup; nor does the MAIL FROM
      // address, which was checked the same way at MAIL.
      if (address == own || address == envelope) continue;
      if (std::find(tx_.from_pending.begin(), tx_.from_pending.end(), address) ==
          tx_.from_pending.end())
        tx_.from_pending.push_back(address);
    }
    if (refusal.empty() && mailboxes == 0) refusal = "From: header without an address";
  }
  if (refusal.empty()) return true;
  event(Event::kInfo, "smtp.header_from_refused", {{"account", user_->address}, {"reason", refusal}});
  reset_transaction();
  reply(550, "5.7.1", refusal);
  return false;
}

// One kCheckSender round per From: address not yet known to be the account's;
// the delivery once all passed.
void SessionCore::next_header_from() {
  if (tx_.from_pending.empty()) {
    request_delivery();
    return;
  }
  lookup_ = std::move(tx_.from_pending.back());
  tx_.from_pending.pop_back();
  checking_header_ = true;
  need_ = Need::kCheckSender;
}

std::optional<store::Outbound> SessionCore::outbound() const {
  std::optional<store::Outbound> out;
  for (const Recipient& r : tx_.recipients) {
    if (!r.foreign) continue;
    if (!out) {
      out.emplace();
      out->sender = sender_address();
      if (tx_.params.envid) out->envid = *tx_.params.envid;
      if (tx_.params.ret)
        out->ret = *tx_.params.ret == wire::Ret::kFull ? store::DsnRet::kFull : store::DsnRet::kHeaders;
      if (user_) out->submitted_by = user_->id;
    }
    store::OutboundRecipient rcpt;
    rcpt.address = r.address;
    // Kept as "addr-type;address", the form of the DSN Original-Recipient field
    // (RFC 3464 2.3.1).
    if (r.params.orcpt) rcpt.orcpt = r.params.orcpt->addr_type + ";" + r.params.orcpt->address;
    rcpt.notify = notify_bits(r.params.notify);
    out->recipients.push_back(std::move(rcpt));
  }
  return out;
}

void SessionCore::request_delivery() {
  // One copy per account however many recipients lead to it (aliases, duplicates).
  targets_.clear();
  targets_of_.assign(tx_.recipients.size(), {});
  for (std::size_t r = 0; r < tx_.recipients.size(); ++r) {
    for (store::AccountId account : tx_.recipients[r].accounts) {
      std::size_t index = 0;
      while (index < targets_.size() && targets_[index].account != account) ++index;
      if (index == targets_.size()) {
        store::DeliveryTarget target;
        target.account = account;
        targets_.push_back(std::move(target));
      }
      targets_of_[r].push_back(index);
    }
  }
  need_ = Need::kDeliver;
}

void SessionCore::spooled(const Result<void>& result) {
  need_ = Need::kInput;
  int code = 250;
  std::string_view enhanced = "2.0.0";
  std::string text = "Message accepted for delivery";
  if (!result) {
    event(Event::kError, "smtp.spool_failed", {{"reason", result.error().detail}});
    if (result.error().code == ErrorCode::kQuotaExceeded) {
      code = 452;  // RFC 3463 4.3.1: mail system full
      enhanced = "4.3.1";
      text = "Insufficient system storage, try again later";
    } else {
      code = 451;
      enhanced = "4.3.0";
      text = "Temporary failure, message not stored; try again later";
    }
  } else {
    ++messages_;
  }
  if (is_lmtp()) {
    for (const Recipient& r : tx_.recipients) reply(code, enhanced, "<" + r.address + "> " + text);
  } else {
    reply(code, enhanced, text);
  }
  reset_transaction();
  settle();
}

void SessionCore::refused(int code, std::string_view enhanced, std::string_view text) {
  need_ = Need::kInput;
  event(Event::kInfo, "smtp.message_refused", {{"code", std::to_string(code)}});
  reply(code, enhanced, text);
  reset_transaction();
  settle();
}

void SessionCore::delivered(const Result<std::vector<Result<store::Delivered>>>& results) {
  need_ = Need::kInput;
  if (!results || results->size() != targets_.size()) {
    event(Event::kError, "smtp.store_failed",
          {{"reason", results ? "result count mismatch" : results.error().detail}});
    if (is_lmtp()) {
      for (const Recipient& r : tx_.recipients)
        reply(451, "4.3.0", "<" + r.address + "> Temporary failure, message not stored");
    } else {
      reply(451, "4.3.0", "Temporary failure, message not stored; try again later");
    }
    reset_transaction();
    settle();
    return;
  }
  std::size_t stored = 0;
  for (const Result<store::Delivered>& r : *results) {
    if (r)
      ++stored;
    else
      event(Event::kWarn, "smtp.target_failed", {{"reason", r.error().detail}});
  }
  ++messages_;
  if (is_lmtp()) {
    for (std::size_t r = 0; r < tx_.recipients.size(); ++r) {
      const Result<store::Delivered>* failed = nullptr;
      for (std::size_t index : targets_of_[r])
        if (!(*results)[index]) failed = &(*results)[index];
      const std::string who = "<" + tx_.recipients[r].address + "> ";
      if (!failed)
        reply(250, "2.0.0", who + "Delivered");
      else if (failed->error().code == ErrorCode::kNotFound)
        reply(550, "5.1.1", who + "Mailbox unavailable");
      else
        reply(451, "4.3.0", who + "Temporary failure, try again later");
    }
  } else if (stored == 0 && !outbound()) {
    reply(451, "4.3.0", "Temporary failure, message not stored; try again later");
  } else {
    reply(250, "2.0.0", "Message accepted for delivery");
  }
  reset_transaction();
  settle();
}

}  // namespace taube::smtp::server
