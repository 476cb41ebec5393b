// The client side of SMTP (RFC 5321) for outbound delivery, over a net::Transport:
// greeting, EHLO (HELO when EHLO is refused), STARTTLS when offered and allowed,
// then any number of transactions on the same connection. Extensions used when
// the peer offers them: PIPELINING (RFC 2920: MAIL and every RCPT in one write),
// SIZE (RFC 1870), 8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531), CHUNKING (RFC 3030:
// one BDAT LAST instead of a dot-stuffed DATA), DSN (RFC 3461 parameters passed
// on). A message that needs 8BITMIME or SMTPUTF8 is not sent to a peer without
// it: its recipients fail permanently with 5.6.3 / 5.6.7 (no downgrade).
// One coroutine at a time uses a client (it owns the transport).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/transport.hpp"
#include "store/types.hpp"

namespace taube::outbound {

struct SmtpReply {
  int code = 0;  // 0: no reply (connection lost, timeout, garbage)
  std::vector<std::string> lines;
  std::string text() const;  // "code line1 / line2" for logs and DSNs
  bool positive() const { return code >= 200 && code < 400; }
  bool transient() const { return code == 0 || (code >= 400 && code < 500); }
  bool permanent() const { return code >= 500; }
};

struct Extensions {
  bool esmtp = false;  // EHLO accepted
  bool pipelining = false, eightbitmime = false, smtputf8 = false, chunking = false, starttls = false,
       dsn = false;
  uint64_t size = 0;  // 0: not announced or no limit
};

// What a message needs from the peer.
struct MessageTraits {
  bool eight_bit = false;  // an octet >= 0x80 anywhere (BODY=8BITMIME)
  bool utf8_envelope = false;  // a non-ASCII address (SMTPUTF8 required)
};
MessageTraits analyze(std::string_view raw, std::string_view sender,
                      const std::vector<store::OutboundRecipient>& recipients);

struct Envelope {
  std::string sender;  // "" = null reverse-path
  std::string envid;
  store::DsnRet ret = store::DsnRet::kUnspecified;
  std::vector<store::OutboundRecipient> recipients;
};

struct RecipientOutcome {
  std::string address;
  SmtpReply reply;  // the RCPT reply, or the end-of-data reply for accepted ones
};

struct SendResult {
  std::vector<RecipientOutcome> recipients;  // one per envelope recipient, in order
  bool connection_usable = false;            // may carry another transaction
};

struct ClientOptions {
  std::string helo_name = "localhost";
  std::chrono::seconds greeting_timeout{300};  // RFC 5321 4.5.3.2.1
  std::chrono::seconds command_timeout{300};   // MAIL, RCPT (4.5.3.2.2/3)
  std::chrono::seconds data_timeout{600};      // end of data (4.5.3.2.6)
  bool use_starttls = true;                    // when offered
  bool require_tls = false;                    // fail unless STARTTLS succeeds
};

class SmtpClient {
 public:
  SmtpClient(std::unique_ptr<net::Transport> transport, ClientOptions options);

  // Greeting, EHLO/HELO and STARTTLS (with `tls` as the client context; null: no
  // TLS). A failure returns the reply that ended it (code 0 without one);
  // `tls_failed` is set when the TLS handshake itself failed (the caller may
  // retry without TLS where policy allows).
  boost::asio::awaitable<SmtpReply> open(std::shared_ptr<boost::asio::ssl::context> tls);
  bool tls_failed() const { return tls_failed_; }

  // One transaction. Recipients refused at RCPT keep their RCPT reply; the others
  // get the end-of-data reply. A reply with code 0 means the connection was lost.
  boost::asio::awaitable<SendResult> send(const Envelope& envelope, std::string_view raw);

  // RSET to check that a reused connection is alive; false when it is not.
  boost::asio::awaitable<bool> reset();
  // QUIT and close.
  boost::asio::awaitable<void> quit();

  const Extensions& extensions() const { return ext_; }
  bool is_tls() const { return transport_->is_tls(); }

 private:
  boost::asio::awaitable<SmtpReply> read_reply();
  boost::asio::awaitable<SmtpReply> command(std::string line);  // writes line + CRLF, reads reply
  boost::asio::awaitable<SmtpReply> ehlo();
  std::string mail_command(const Envelope& e, const MessageTraits& t, size_t size) const;
  std::string rcpt_command(const store::OutboundRecipient& r) const;

  std::unique_ptr<net::Transport> transport_;
  ClientOptions options_;
  Extensions ext_;
  std::string buffer_;  // read but not yet parsed
  bool tls_failed_ = false;
  bool broken_ = false;
};

// Dot-stuffed DATA payload with CRLF line ends and the final ".\r\n" (RFC 5321 4.5.2).
std::string dot_stuff(std::string_view raw);
// Bare LF line ends become CRLF (the store keeps what arrived; the wire needs CRLF).
std::string to_crlf(std::string_view raw);
// RFC 3461 4 xtext.
std::string xtext(std::string_view s);

}  // namespace taube::outbound
