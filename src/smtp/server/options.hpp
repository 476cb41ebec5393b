// SessionOptions: everything one SMTP, submission or LMTP session is configured
// with, built once per listener (server/smtp_protocols.cpp) and shared read-only by
// all its sessions: the protocol options of the pure core plus what only the I/O
// shell needs (timeouts, TLS context, clock). The functions must be thread-safe.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>

#include "smtp/server/core.hpp"
#include "spool/spool.hpp"

namespace taube::smtp::server {

// What the MX role's message check (SessionOptions::check_message) is given and
// answers: the message to store instead (e.g. with Authentication-Results added)
// and whether to accept it, file it into Junk or refuse it with 550 5.7.1.
struct MessageCheckRequest {
  std::string remote_address;
  std::string helo;
  std::string mail_from;  // "" for <>
  std::string raw;        // trace headers + content
};
struct MessageCheck {
  enum class Action { kAccept, kJunk, kReject };
  Action action = Action::kAccept;
  std::string raw;         // the message to store
  std::string reply_text;  // for kReject
};

struct SessionOptions : CoreOptions {
  // RFC 5321 4.5.3.2: the server waits this long for a command (4.5.3.2.7) and
  // for each piece of DATA/BDAT content (4.5.3.2.6).
  std::chrono::seconds command_timeout{300};
  std::chrono::seconds data_timeout{600};
  // A message is held in memory up to spill_threshold bytes while it arrives;
  // beyond that it goes to an unlinked temporary file in spill_dir (SpillFile).
  // An empty spill_dir keeps every message in memory (unit tests).
  std::size_t spill_threshold = 1 << 20;
  std::filesystem::path spill_dir;
  // The current TLS server context for STARTTLS; unset or returning null means
  // STARTTLS is not offered. Called when a session starts and when a handshake
  // starts (so a SIGHUP reload applies to later handshakes).
  std::function<std::shared_ptr<boost::asio::ssl::context>()> tls_context;
  // The wall clock for Received: dates and internal dates; tests fix it.
  std::function<std::chrono::system_clock::time_point()> now = [] {
    return std::chrono::system_clock::now();
  };
  // Degraded mode (DESIGN.md promise 3), both unset when the node has no spool.
  // spool_message durably writes a message the store could not take (kUnavailable)
  // and returns once it is fsync'd (blocking: one or two fsyncs); kQuotaExceeded
  // when the spool is full. is_known_local_domain answers from the cache of local
  // domains kept while the store was healthy: a recipient of such a domain is
  // accepted unresolved while the store is unavailable.
  std::function<Result<void>(spool::Entry)> spool_message;
  std::function<bool(std::string_view domain)> is_known_local_domain;
  // Mode::kSmtp only; unset = no check. Runs after DATA/BDAT, before the store
  // (src/mailauth: SPF, DKIM, DMARC). It bounds its own time (well below
  // data_timeout): the client waits for the final reply meanwhile.
  std::function<boost::asio::awaitable<MessageCheck>(MessageCheckRequest)> check_message;
};

}  // namespace taube::smtp::server
