// SessionCore: the SMTP/submission/LMTP state machine without I/O (sans-I/O). Bytes
// in, reply bytes out, and "needs" that the caller fulfils: look up a recipient,
// check a sender, check a password, start TLS, store a message. The coroutine in
// session.cpp drives it over a net::Transport and the store; the fuzz target and
// tests drive it directly. Pure: no Asio, no store, no clock, no logging (events
// to log are handed out). Parses untrusted input before authentication; memory is
// bounded by Limits. One per connection; not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.hpp"
#include "smtp/server/trace.hpp"
#include "smtp/wire/bdat.hpp"
#include "smtp/wire/command.hpp"
#include "smtp/wire/data_receiver.hpp"
#include "smtp/wire/limits.hpp"
#include "smtp/wire/receiver.hpp"
#include "store/types.hpp"

namespace taube::smtp::server {

// kSmtp: the MX role (port 25): accepts mail for local recipients from anyone,
//        never relays, offers no AUTH.
// kSubmission: port 587 (STARTTLS) and 465 (implicit TLS, RFC 8314): MAIL needs
//        AUTH, AUTH needs TLS (or loopback when allowed).
// kLmtp: RFC 2033, LHLO instead of HELO/EHLO, one reply per recipient after DATA.
enum class Mode { kSmtp, kSubmission, kLmtp };

struct CoreOptions {
  Mode mode = Mode::kSmtp;
  std::string hostname = "localhost";  // greeting, EHLO reply, Received: "by"
  wire::Limits limits;                 // max_message_bytes, max_recipients, line lengths
  wire::DataPolicy data_policy;        // what DATA refuses beyond the size limit
  // Every 5xx reply counts as an error; at this count the session ends with
  // 421 4.7.0 once the current command is answered.
  std::uint32_t max_errors = 10;
  // AUTH without TLS is allowed from 127.0.0.0/8 and ::1 when true (local tools).
  bool allow_plaintext_auth_from_loopback = true;
  // Submission: MAIL FROM and every RFC 5322 From: address must be the account's
  // own address or an alias that resolves to it (553 5.7.1 / 550 5.7.1).
  bool enforce_sender = true;
};

// What the core knows about the connection; updated after STARTTLS.
struct Connection {
  std::string remote_address;
  bool loopback = false;
  bool tls = false;
  bool tls_available = false;   // STARTTLS may be offered (a context exists, not yet TLS)
  std::string tls_description;  // for Received:, e.g. "TLSv1.3 with cipher ..."
};

// Where a session is in the protocol (RFC 5321 3.3, RFC 3030 2). Which commands a
// state allows is the command table in core.cpp.
enum class State : std::uint8_t {
  kInit,   // greeting sent (or TLS just started): HELO/EHLO/LHLO first
  kReady,  // greeted, no transaction
  kMail,   // MAIL accepted, no recipient yet
  kRcpt,   // at least one recipient accepted
  kBdat,   // BDAT chunks received, LAST not yet
};

// What the core waits for. Only kInput takes feed(); every other need is answered
// with its method below, after which the core goes on by itself.
enum class Need {
  kInput,             // more client bytes (feed)
  kResolveRecipient,  // lookup_address() -> recipient_resolved()
  kCheckSender,       // lookup_address() may be used by the account -> sender_checked()
                      // (MAIL FROM, then each From: address of the message)
  kAuthenticate,      // take_credentials() -> authenticated()
  kStartTls,          // write the output, handshake -> tls_started()
  kDeliver,           // take_message(), targets() -> delivered()
  kClose,             // write the output and close
};

// An event worth a log line; the caller logs it with its own client name.
struct Event {
  enum Level { kDebug, kInfo, kWarn, kError } level = kInfo;
  std::string name;  // "smtp.relay_denied", ...
  std::vector<std::pair<std::string, std::string>> fields;
};

struct Credentials {  // never log these
  std::string user;
  std::string password;
};

class SessionCore {
 public:
  // Queues the 220 greeting.
  SessionCore(const CoreOptions& options, Connection connection);
  // The receivers' sinks point into the core: it stays where it was made.
  SessionCore(const SessionCore&) = delete;
  SessionCore& operator=(const SessionCore&) = delete;

  // Consumes client input until a need other than kInput arises or the input is
  // used up; returns the octets used (the rest is the client's next input).
  // `now` dates the Received: header of a message that starts here.
  // REQUIRES: need() == kInput.
  std::size_t feed(std::string_view input, std::chrono::system_clock::time_point now);

  Need need() const { return need_; }
  // True while message content (DATA/BDAT) is being read: RFC 5321 4.5.3.2.6
  // (data timeout) applies rather than the command timeout.
  bool reading_content() const;
  // Replies queued so far; the caller writes them before reading or waiting.
  std::string take_output() { return std::exchange(out_, std::string()); }
  bool has_output() const { return !out_.empty(); }
  std::vector<Event> take_events() { return std::exchange(events_, {}); }

  // --- the needs ---
  const std::string& lookup_address() const { return lookup_; }
  void recipient_resolved(const Result<std::vector<store::AccountId>>& accounts);
  // Degraded mode (DESIGN.md promise 3): the lookup failed with kUnavailable but
  // the caller knows the domain is local; the recipient is accepted unresolved
  // (250) and resolved when the spooled message is replayed.
  // REQUIRES: need() == kResolveRecipient.
  void recipient_deferred();
  // The account to check the sender against (REQUIRES: need() == kCheckSender).
  const store::Account& account() const { return *user_; }
  void sender_checked(bool allowed);
  Credentials take_credentials() { return std::exchange(credentials_, {}); }
  void authenticated(Result<store::Account> account);
  void tls_started(bool ok, Connection connection);
  // The message with its trace headers; one target per account.
  std::string take_message() { return std::exchange(tx_.message, std::string()); }
  const std::vector<store::DeliveryTarget>& targets() const { return targets_; }
  // The recipients in other domains (authenticated submission only) with the RFC
  // 3461 parameters, for the store's outbound queue in the same transaction as
  // targets(); nullopt when every recipient is local. REQUIRES: need() == kDeliver.
  std::optional<store::Outbound> outbound() const;
  // The message so far (trace headers + content) is produced in memory; the caller
  // may move it out piecewise while it grows (to a temporary file beyond a memory
  // threshold): copy buffered_message(), then drop_buffered_message() (the buffer
  // keeps its capacity: no allocation churn), and put the pieces back in front of
  // take_message() at delivery. message_serial() changes with every message
  // started (DATA, first BDAT): pieces of an older serial are stale (RSET, refusal).
  std::string_view buffered_message() const { return tx_.message; }
  void drop_buffered_message() { tx_.message.clear(); }
  std::uint64_t message_serial() const { return message_serial_; }
  void delivered(const Result<std::vector<Result<store::Delivered>>>& results);
  // Recipients accepted by recipient_deferred() in this transaction (not in targets()).
  std::vector<std::string> deferred_addresses() const;
  // The reverse-path of the transaction ("" for <>).
  std::string sender_address() const;
  // Instead of delivered(): the message went to the local spool. Ok: 250 (per
  // recipient for LMTP); kQuotaExceeded: 452 4.3.1 (spool full); else 451 4.3.0.
  // REQUIRES: need() == kDeliver.
  void spooled(const Result<void>& result);
  // Instead of delivered(): the message was refused after DATA (the MX message
  // check, e.g. DMARC p=reject); nothing was stored. REQUIRES: need() == kDeliver.
  void refused(int code, std::string_view enhanced, std::string_view text);

  // For logs and tests.
  State state() const { return state_; }
  const std::string& helo() const { return helo_; }
  std::uint32_t errors() const { return errors_; }
  std::uint64_t messages() const { return messages_; }
  // Octets the core holds besides the message itself (partial lines, chunks).
  std::size_t buffered_bytes() const;

 private:
  struct Recipient {
    std::string address;      // as the client wrote it (replies, Received: for)
    wire::RcptParams params;  // RFC 3461 NOTIFY/ORCPT: kept for the outbound queue
    std::vector<store::AccountId> accounts;
    bool foreign = false;     // another domain: the outbound queue (authenticated only)
  };
  struct Transaction {
    wire::Path sender;
    wire::MailParams params;
    std::vector<Recipient> recipients;
    std::string message;  // trace headers + content as received, bounded by the limit
    std::string head;     // the first kHeadBytes of the content, for the From: check
    std::vector<std::string> from_pending;  // From: addresses still to check
    std::optional<wire::BdatReceiver> bdat;
    std::optional<wire::DataReceiver> data;
  };
  // How the next input octets are read.
  enum class Input { kCommand, kSaslLine, kData, kBdat, kDiscard };
  // A pending AUTH exchange (RFC 4954 4).
  enum class Sasl { kNone, kPlain, kLoginUser, kLoginPassword };
  using Handler = void (SessionCore::*)(const wire::Command&);
  struct CommandSpec {
    wire::Verb verb;
    unsigned states;  // bit per State
    Handler handler;
  };
  static const CommandSpec kCommands[];

  // --- core.cpp: dispatch, replies ---
  void dispatch(const wire::Command& command);
  void settle();  // after each step: end the session at max_errors
  void reply(int code, std::string_view enhanced, std::string_view text);
  void reply(const wire::Reply& r);
  void reply_raw(std::string_view line);  // e.g. "354 ..." / "334 ...", CRLF added
  void event(Event::Level level, std::string name,
             std::vector<std::pair<std::string, std::string>> fields = {});
  void reset_transaction();
  bool is_lmtp() const { return options_.mode == Mode::kLmtp; }
  bool is_submission() const { return options_.mode == Mode::kSubmission; }
  bool auth_allowed() const;  // AUTH may be offered and used now
  // --- hello.cpp ---
  void on_helo(const wire::Command& c);
  void on_ehlo(const wire::Command& c);
  std::vector<std::string> capabilities() const;
  // --- misc.cpp ---
  void on_rset(const wire::Command& c);
  void on_noop(const wire::Command& c);
  void on_quit(const wire::Command& c);
  void on_help(const wire::Command& c);
  void on_vrfy(const wire::Command& c);
  void on_expn(const wire::Command& c);
  // --- starttls.cpp ---
  void on_starttls(const wire::Command& c);
  // --- auth.cpp ---
  void on_auth(const wire::Command& c);
  void on_sasl_line(std::string_view line, bool initial);
  // --- envelope.cpp ---
  void on_mail(const wire::Command& c);
  void accept_mail();
  void on_rcpt(const wire::Command& c);
  // --- message.cpp ---
  void on_data(const wire::Command& c);
  void on_bdat(const wire::Command& c);
  void data_done();
  void bdat_chunk_done();
  void discard_done();
  std::string trace_headers() const;
  void append_content(std::string_view chunk);
  // Submission with enforce_sender: queues the From: checks; false when the
  // message was refused at once.
  bool check_header_from();
  void next_header_from();
  void request_delivery();

  CoreOptions options_;
  Connection connection_;
  wire::CommandReceiver receiver_;
  Need need_ = Need::kInput;
  Input input_ = Input::kCommand;
  State state_ = State::kInit;
  bool extended_ = false;  // EHLO/LHLO rather than HELO
  std::string helo_;
  bool helo_is_domain_ = false;
  std::optional<store::Account> user_;  // after AUTH (without its password hash)
  std::uint32_t errors_ = 0;
  std::uint64_t messages_ = 0;
  std::chrono::system_clock::time_point now_{};

  Transaction tx_;
  wire::Command pending_;  // the MAIL/RCPT waiting for its lookup
  bool checking_header_ = false;  // kCheckSender is for a From: address, not MAIL FROM
  std::uint64_t message_serial_ = 0;
  std::string lookup_;
  Credentials credentials_;
  Sasl sasl_ = Sasl::kNone;
  std::string sasl_user_;                // LOGIN: the user name until the password arrives
  std::uint64_t discard_remaining_ = 0;  // a refused BDAT chunk being skipped
  wire::Reply discard_reply_;            // ... and the reply once it is skipped
  std::vector<store::DeliveryTarget> targets_;
  std::vector<std::vector<std::size_t>> targets_of_;  // per recipient, into targets_
  std::string out_;
  std::vector<Event> events_;
};

}  // namespace taube::smtp::server
