// DATA (RFC 5321 4.1.1.4) and BDAT (RFC 3030), and delivery into the store. The
// content is held in memory only up to the size limit (the receivers stop storing
// past it while still reading to the end), trace headers go in front (RFC 5321 4.4),
// and the message is described once and stored once for all recipients. The final
// 250 (or, with LMTP, each recipient's 250; RFC 2033 4.2) is sent only after the
// store's durable commit returned; a failed commit gives 451 4.3.0.
#include "delivery/describe.hpp"
#include "log/log.hpp"
#include "smtp/server/session.hpp"
#include "smtp/server/trace.hpp"
#include "smtp/wire/data_receiver.hpp"

namespace taube::smtp::server {

using boost::asio::awaitable;

std::string Session::trace_headers() const {
  TraceInfo info;
  info.reverse_path = tx_.sender.null ? std::string() : tx_.sender.mailbox.address();
  info.helo = helo_;
  info.helo_is_domain = helo_is_domain_;
  info.remote_address = transport_.remote_address();
  info.by_host = options_.hostname;
  info.protocol = with_protocol(is_lmtp(), extended_, transport_.is_tls(), user_.has_value());
  if (transport_.is_tls()) info.tls = transport_.tls_description();
  if (tx_.recipients.size() == 1) info.for_recipient = tx_.recipients.front().address;
  info.when = options_.now();
  return format_trace_headers(info);
}

awaitable<void> Session::on_data(const wire::Command&) {
  if (state_ == State::kMail) {
    reply(554, "5.5.1", "No valid recipients");
    co_return;
  }
  if (state_ != State::kRcpt) {
    reply(503, "5.5.1", "Need RCPT before DATA");
    co_return;
  }
  reply_raw("354 End data with <CR><LF>.<CR><LF>");
  tx_.message = trace_headers();
  auto sink = [this](std::string_view chunk) { tx_.message.append(chunk); };
  wire::DataReceiver data(options_.limits, sink);
  for (;;) {
    if (pending().empty()) {
      transport_.set_deadline(options_.data_timeout);
      if (!co_await fill()) co_return;
    }
    const wire::DataStep step = data.feed(pending());
    consume(step.consumed);
    if (step.done) break;
  }
  const wire::DataOutcome& outcome = data.outcome();
  if (outcome.bare_lf || outcome.bare_cr) {
    log::info("smtp.bare_line_endings",
              {log::kv("client", client_log_name()), log::kv("bare_lf", outcome.bare_lf),
               log::kv("bare_cr", outcome.bare_cr)});
  }
  if (std::optional<wire::Reply> rejection = wire::data_rejection(outcome, options_.data_policy)) {
    log::info("smtp.message_refused",
              {log::kv("client", client_log_name()), log::kv("code", rejection->code),
               log::kv("bytes", outcome.message_bytes)});
    reset_transaction();
    reply(*rejection);
    co_return;
  }
  co_await deliver();
}

awaitable<bool> Session::discard_octets(std::uint64_t size) {
  while (size > 0) {
    if (pending().empty()) {
      transport_.set_deadline(options_.data_timeout);
      if (!co_await fill()) co_return false;
    }
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(size, pending().size()));
    consume(n);
    size -= n;
  }
  co_return true;
}

awaitable<void> Session::on_bdat(const wire::Command& c) {
  if (state_ != State::kRcpt && state_ != State::kBdat) {
    // RFC 3030 2: the chunk's octets follow anyway and must be read, not parsed.
    if (!co_await discard_octets(c.bdat_size)) co_return;
    if (state_ == State::kMail)
      reply(554, "5.5.1", "No valid recipients");
    else
      reply(503, "5.5.1", "Need RCPT before BDAT");
    co_return;
  }
  if (!tx_.bdat) {
    tx_.message = trace_headers();
    auto sink = [this](std::string_view chunk) { tx_.message.append(chunk); };
    tx_.bdat.emplace(options_.limits, sink);
  }
  tx_.bdat->start_chunk(c.bdat_size, c.bdat_last);
  while (!tx_.bdat->chunk_done()) {
    if (pending().empty()) {
      transport_.set_deadline(options_.data_timeout);
      if (!co_await fill()) co_return;
    }
    const wire::BdatStep step = tx_.bdat->feed(pending());
    consume(step.consumed);
  }
  if (tx_.bdat->too_large()) {
    // The rest of this message's chunks meet state kReady: read, dropped, 503.
    log::info("smtp.message_refused", {log::kv("client", client_log_name()), log::kv("code", 552),
                                       log::kv("bytes", tx_.bdat->message_bytes())});
    reset_transaction();
    reply(552, "5.3.4", "Message size exceeds fixed maximum message size");
    co_return;
  }
  if (!c.bdat_last) {
    state_ = State::kBdat;
    reply(250, "2.0.0", std::to_string(c.bdat_size) + " octets received");
    co_return;
  }
  tx_.bdat.reset();
  co_await deliver();
}

awaitable<void> Session::deliver() {
  // One copy per account however many recipients lead to it (aliases, duplicates).
  std::vector<store::DeliveryTarget> targets;
  std::vector<std::vector<std::size_t>> targets_of(tx_.recipients.size());
  for (std::size_t r = 0; r < tx_.recipients.size(); ++r) {
    for (store::AccountId account : tx_.recipients[r].accounts) {
      std::size_t index = 0;
      while (index < targets.size() && targets[index].account != account) ++index;
      if (index == targets.size()) {
        store::DeliveryTarget target;
        target.account = account;
        targets.push_back(std::move(target));
      }
      targets_of[r].push_back(index);
    }
  }
  store::Delivery job;
  job.meta = delivery::describe(tx_.message);
  job.raw = std::move(tx_.message);
  job.internal_date = std::chrono::floor<std::chrono::seconds>(options_.now());
  job.targets = std::move(targets);
  const std::size_t bytes = job.raw.size();
  const std::string message_id = job.meta.message_id;
  Result<std::vector<Result<store::Delivered>>> results = co_await store_.deliver(std::move(job));

  if (!results) {
    log::error("smtp.store_failed",
               {log::kv("client", client_log_name()), log::kv("reason", results.error().detail)});
    if (is_lmtp()) {
      for (const Recipient& r : tx_.recipients)
        reply(451, "4.3.0", "<" + r.address + "> Temporary failure, message not stored");
    } else {
      reply(451, "4.3.0", "Temporary failure, message not stored; try again later");
    }
    reset_transaction();
    co_return;
  }
  std::size_t stored = 0;
  for (const Result<store::Delivered>& r : *results)
    if (r) ++stored;
  for (std::size_t i = 0; i < results->size(); ++i) {
    if (!(*results)[i])
      log::warn("smtp.target_failed", {log::kv("client", client_log_name()),
                                       log::kv("reason", (*results)[i].error().detail)});
  }
  ++messages_;
  log::info("smtp.delivered", {log::kv("client", client_log_name()), log::kv("bytes", bytes),
                               log::kv("recipients", tx_.recipients.size()),
                               log::kv("stored", stored), log::kv("message_id", message_id)});
  if (is_lmtp()) {
    for (std::size_t r = 0; r < tx_.recipients.size(); ++r) {
      const Result<store::Delivered>* failed = nullptr;
      for (std::size_t index : targets_of[r])
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
}

}  // namespace taube::smtp::server
