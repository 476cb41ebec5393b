// SessionOptions: everything one SMTP, submission or LMTP session is configured
// with, built once per listener (server/smtp_protocols.cpp) and shared read-only by
// all its sessions. Plain value type; the functions in it must be thread-safe.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "smtp/wire/data_receiver.hpp"
#include "smtp/wire/limits.hpp"

namespace taube::smtp::server {

// kSmtp: the MX role (port 25): accepts mail for local recipients from anyone,
//        never relays, offers no AUTH.
// kSubmission: port 587 (STARTTLS) and 465 (implicit TLS, RFC 8314): MAIL needs
//        AUTH, AUTH needs TLS (or loopback when allowed).
// kLmtp: RFC 2033, LHLO instead of HELO/EHLO, one reply per recipient after DATA.
enum class Mode { kSmtp, kSubmission, kLmtp };

struct SessionOptions {
  Mode mode = Mode::kSmtp;
  std::string hostname = "localhost";  // greeting, EHLO reply, Received: "by"
  wire::Limits limits;                 // max_message_bytes, max_recipients, line lengths
  wire::DataPolicy data_policy;        // what DATA refuses beyond the size limit
  // RFC 5321 4.5.3.2: the server waits this long for a command (4.5.3.2.7) and
  // for each piece of DATA/BDAT content (4.5.3.2.6 and friends).
  std::chrono::seconds command_timeout{300};
  std::chrono::seconds data_timeout{600};
  // Every 5xx reply counts as an error; at this count the session is ended with
  // 421 4.7.0 (abusive or broken clients).
  std::uint32_t max_errors = 10;
  // AUTH without TLS is allowed from 127.0.0.0/8 and ::1 when true (local tools).
  bool allow_plaintext_auth_from_loopback = true;
  // The current TLS server context for STARTTLS; unset or returning null means
  // STARTTLS is not offered. Called when a handshake starts (SIGHUP reloads apply).
  std::function<std::shared_ptr<boost::asio::ssl::context>()> tls_context;
  // The wall clock for Received: dates and internal dates; tests fix it.
  std::function<std::chrono::system_clock::time_point()> now = [] {
    return std::chrono::system_clock::now();
  };
};

}  // namespace taube::smtp::server
