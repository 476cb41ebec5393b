// DATA (RFC 5321 4.1.1.4) and BDAT (RFC 3030), and the delivery request. The content
// is held only up to the size limit (the wire receivers stop storing past it while
// reading on to the end), trace headers go in front (RFC 5321 4.4), and the message
// goes to the store once for all recipients (one target per account). The final
// 250 (or, with LMTP, each recipient's 250; RFC 2033 4.2) is queued only when the
// caller reports the store's durable commit; a failed commit gives 451 4.3.0.
#include "smtp/server/core.hpp"

namespace taube::smtp::server {

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
  tx_.message = trace_headers();
  auto sink = [this](std::string_view chunk) { tx_.message.append(chunk); };
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
  request_delivery();
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
    tx_.message = trace_headers();
    auto sink = [this](std::string_view chunk) { tx_.message.append(chunk); };
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
  request_delivery();
}

void SessionCore::discard_done() {
  input_ = Input::kCommand;
  reply(discard_reply_);
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
  } else if (stored == 0) {
    reply(451, "4.3.0", "Temporary failure, message not stored; try again later");
  } else {
    reply(250, "2.0.0", "Message accepted for delivery");
  }
  reset_transaction();
  settle();
}

}  // namespace taube::smtp::server
