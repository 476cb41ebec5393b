// Session: one SMTP, submission or LMTP connection from greeting to QUIT, as a
// coroutine over net::Transport. Frames input with smtp/wire, checks each command
// against an explicit state and a small command table, and hands recipients and
// messages to the store; auth goes through auth::Authenticator. The handlers live
// in one file per command group (hello.cpp, envelope.cpp, message.cpp, auth.cpp,
// starttls.cpp, misc.cpp). Parses untrusted input before authentication.
// Threading: one coroutine on one strand; the transport, store and authenticator
// must outlive run(). Cancellation: destroying the suspended coroutine is safe; a
// delivery already started commits anyway (store contract) but is not acknowledged.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/authenticator.hpp"
#include "net/transport.hpp"
#include "smtp/server/options.hpp"
#include "smtp/wire/bdat.hpp"
#include "smtp/wire/command.hpp"
#include "smtp/wire/receiver.hpp"
#include "store/store.hpp"

namespace taube::smtp::server {

// Runs one session to its end and closes the transport. Never throws for client or
// store behaviour; a store failure becomes 451 4.3.0 (never a false 250).
boost::asio::awaitable<void> run_session(net::Transport& transport, store::Store& store,
                                         auth::Authenticator& authenticator,
                                         const SessionOptions& options);

// Where a session is in the protocol (RFC 5321 3.3, RFC 3030 2). Which commands a
// state allows is in the command table (session.cpp).
enum class State : std::uint8_t {
  kInit,   // greeting sent (or TLS just started): HELO/EHLO/LHLO first
  kReady,  // greeted, no transaction
  kMail,   // MAIL accepted, no recipient yet
  kRcpt,   // at least one recipient accepted
  kBdat,   // BDAT chunks received, LAST not yet
};

class Session {
 public:
  Session(net::Transport& transport, store::Store& store, auth::Authenticator& authenticator,
          const SessionOptions& options);
  boost::asio::awaitable<void> run();

 private:
  struct Recipient {
    std::string address;      // as the client wrote it (for replies, Received: for)
    wire::RcptParams params;  // RFC 3461 NOTIFY/ORCPT: kept for the outbound queue
    std::vector<store::AccountId> accounts;
  };
  struct Transaction {
    wire::Path sender;
    wire::MailParams params;
    std::vector<Recipient> recipients;
    std::string message;  // trace headers + content as received, bounded by the limit
    std::optional<wire::BdatReceiver> bdat;
    bool bdat_failed = false;  // BDAT content overflowed: keep discarding until LAST
  };
  using Handler = boost::asio::awaitable<void> (Session::*)(const wire::Command&);
  struct CommandSpec {
    wire::Verb verb;
    unsigned states;  // bit per State
    Handler handler;
  };
  static const CommandSpec kCommands[];

  // --- session.cpp: loop, I/O, replies ---
  boost::asio::awaitable<void> dispatch(const wire::Command& command);
  boost::asio::awaitable<bool> fill();   // flush replies, then read more; false: gone
  boost::asio::awaitable<bool> flush();  // false: the write failed
  std::string_view pending() const { return std::string_view(in_).substr(in_pos_); }
  void consume(std::size_t n) { in_pos_ += n; }
  // Queues a reply. Every 5xx counts as an error; at max_errors the session ends
  // with 421 4.7.0 once the current command is answered.
  void reply(int code, std::string_view enhanced, std::string_view text);
  void reply(const wire::Reply& r);
  void reply_raw(std::string_view line);  // e.g. "354 ..." / "334 ...", CRLF added
  void reset_transaction();
  bool is_lmtp() const { return options_.mode == Mode::kLmtp; }
  bool is_submission() const { return options_.mode == Mode::kSubmission; }
  bool tls_available() const;
  bool auth_allowed() const;  // AUTH may be offered and used now
  std::string client_log_name() const;

  // --- hello.cpp ---
  boost::asio::awaitable<void> on_helo(const wire::Command& c);
  boost::asio::awaitable<void> on_ehlo(const wire::Command& c);
  std::vector<std::string> capabilities() const;
  // --- misc.cpp ---
  boost::asio::awaitable<void> on_rset(const wire::Command& c);
  boost::asio::awaitable<void> on_noop(const wire::Command& c);
  boost::asio::awaitable<void> on_quit(const wire::Command& c);
  boost::asio::awaitable<void> on_help(const wire::Command& c);
  boost::asio::awaitable<void> on_vrfy(const wire::Command& c);
  boost::asio::awaitable<void> on_expn(const wire::Command& c);
  // --- starttls.cpp ---
  boost::asio::awaitable<void> on_starttls(const wire::Command& c);
  // --- auth.cpp ---
  boost::asio::awaitable<void> on_auth(const wire::Command& c);
  // Reads one SASL continuation line; nullopt when the client is gone.
  boost::asio::awaitable<std::optional<wire::LineStep>> read_sasl_line();
  boost::asio::awaitable<void> finish_auth(std::string user, std::string password);
  // --- envelope.cpp ---
  boost::asio::awaitable<void> on_mail(const wire::Command& c);
  boost::asio::awaitable<void> on_rcpt(const wire::Command& c);
  boost::asio::awaitable<bool> sender_allowed(const wire::Path& sender);
  // --- message.cpp ---
  boost::asio::awaitable<void> on_data(const wire::Command& c);
  boost::asio::awaitable<void> on_bdat(const wire::Command& c);
  // Reads and drops `size` octets of a refused BDAT chunk; false when gone.
  boost::asio::awaitable<bool> discard_octets(std::uint64_t size);
  std::string trace_headers() const;
  // Stores tx_.message for every recipient and sends the final reply (SMTP) or
  // one reply per recipient (LMTP); then resets the transaction.
  boost::asio::awaitable<void> deliver();

  net::Transport& transport_;
  store::Store& store_;
  auth::Authenticator& authenticator_;
  const SessionOptions& options_;
  wire::CommandReceiver receiver_;

  State state_ = State::kInit;
  bool closing_ = false;
  bool extended_ = false;  // EHLO/LHLO rather than HELO
  std::string helo_;
  bool helo_is_domain_ = false;
  std::optional<store::Account> user_;  // after AUTH
  std::uint32_t errors_ = 0;
  Transaction tx_;
  std::uint64_t messages_ = 0;

  std::string in_;  // received, not yet consumed from in_pos_
  std::size_t in_pos_ = 0;
  std::string out_;  // replies not yet written
  std::string read_buf_;
};

}  // namespace taube::smtp::server
