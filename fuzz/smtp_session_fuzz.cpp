// libFuzzer target for the SMTP/submission/LMTP session state machine
// (smtp/server/core.hpp): arbitrary client bytes, cut at arbitrary places, in every
// mode, with every outcome of the store, the authenticator and the TLS handshake
// chosen by the input. Invariants: the core always makes progress or states a
// need, every byte it writes is a well-formed reply line, its buffers stay within
// the limits, a message handed to the store is within the size limit and starts
// with the trace headers, and credentials are handed out once. A violation aborts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/server/core.hpp"

namespace {

using namespace taube;
using namespace taube::smtp::server;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

// Whole protocol steps, so that the fuzzer reaches deep states (a delivered
// message needs EHLO, MAIL, RCPT, DATA and the end marker) without a seed corpus:
// an input octet 0xC0 + i stands for kFragments[i]; 0xBF escapes the next octet;
// every other octet is itself.
const std::string_view kFragments[] = {
    "EHLO client.example\r\n",
    "HELO client.example\r\n",
    "LHLO client.example\r\n",
    "MAIL FROM:<a@example.net>\r\n",
    "MAIL FROM:<>\r\n",
    "MAIL FROM:<user@example.org> SIZE=100\r\n",
    "MAIL FROM:<j\xc3\xb6rg@example.net> SMTPUTF8 BODY=8BITMIME\r\n",
    "MAIL FROM:<a@example.net> BODY=BINARYMIME\r\n",
    "MAIL FROM:<a@example.net> SIZE=999999\r\n",
    "RCPT TO:<b@example.org>\r\n",
    "RCPT TO:<Postmaster>\r\n",
    "RCPT TO:<c@example.org> NOTIFY=SUCCESS ORCPT=rfc822;c@example.org\r\n",
    "DATA\r\n",
    "Subject: hi\r\n\r\nbody\r\n",
    "\r\n.\r\n",
    ".\r\n",
    "\n.\n",
    "\r.\r",
    "..x\r\n",
    "BDAT 5\r\n",
    "BDAT 5 LAST\r\n",
    "BDAT 0 LAST\r\n",
    "BDAT 600\r\n",
    "12345",
    "RSET\r\n",
    "NOOP\r\n",
    "QUIT\r\n",
    "HELP\r\n",
    "VRFY b\r\n",
    "EXPN b\r\n",
    "STARTTLS\r\n",
    "AUTH PLAIN\r\n",
    "AUTH PLAIN AGFAYi5jAHNlY3JldA==\r\n",
    "AGFAYi5jAHNlY3JldA==\r\n",
    "AUTH LOGIN\r\n",
    "AUTH LOGIN YUBiLmM=\r\n",
    "YUBiLmM=\r\n",
    "c2VjcmV0\r\n",
    "*\r\n",
    "=\r\n",
    "AUTH CRAM-MD5\r\n",
    "\r\n",
    std::string_view("\0", 1),
    "\r",
    "\n",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    "xxxxxx",
};

std::string expand(std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const auto u = static_cast<unsigned char>(in[i]);
    if (u == 0xBF && i + 1 < in.size()) {
      out += in[++i];
    } else if (u >= 0xC0 && u - 0xC0u < std::size(kFragments)) {
      out += kFragments[u - 0xC0];
    } else {
      out += in[i];
    }
  }
  return out;
}

// Deterministic choices from the input's first bytes.
struct Rng {
  std::uint32_t x;
  std::uint32_t next() {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return x;
  }
};

void check_output(const std::string& out) {
  std::size_t start = 0;
  while (start < out.size()) {
    const std::size_t end = out.find("\r\n", start);
    check(end != std::string::npos, "output ends with CRLF");
    const std::string_view line(out.data() + start, end - start);
    check(line.size() >= 4 && line.size() <= 510, "reply line length");
    check(line[0] >= '2' && line[0] <= '5', "reply code class");
    check(line[1] >= '0' && line[1] <= '9' && line[2] >= '0' && line[2] <= '9',
          "reply code digits");
    check(line[3] == ' ' || line[3] == '-', "reply separator");
    for (char c : line) check(c >= 0x20 && c <= 0x7e, "printable reply");
    start = end + 2;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  const std::uint8_t flags = data[0];
  Rng rng{(std::uint32_t(data[1]) << 16 | std::uint32_t(data[2]) << 8 | data[3]) | 1};
  const std::string expanded =
      expand(std::string_view(reinterpret_cast<const char*>(data) + 4, size - 4));
  std::string_view input = expanded;

  CoreOptions options;
  options.mode = static_cast<Mode>(flags % 3);
  options.hostname = "mx.example.org";
  options.limits.max_command_line_bytes = 256;
  options.limits.max_auth_line_bytes = 512;
  options.limits.max_message_bytes = 512;
  options.limits.max_recipients = 4;
  options.limits.sink_chunk_bytes = 32;
  options.max_errors = 40;
  options.allow_plaintext_auth_from_loopback = (flags & 0x40) != 0;
  Connection connection;
  connection.remote_address = "192.0.2.1";
  connection.loopback = (flags & 0x04) != 0;
  connection.tls = (flags & 0x08) != 0;
  connection.tls_available = (flags & 0x10) != 0;
  connection.tls_description = "TLSv1.3 with cipher FUZZ";

  SessionCore core(options, connection);
  check_output(core.take_output());
  const std::size_t buffer_bound =
      options.limits.max_auth_line_bytes + 4 * options.limits.sink_chunk_bytes;
  int steps = 0;
  while (core.need() != Need::kClose) {
    check(++steps < 1000000, "bounded number of steps");
    switch (core.need()) {
      case Need::kInput: {
        if (input.empty()) return 0;
        const std::size_t n = std::min<std::size_t>(input.size(), 1 + rng.next() % 64);
        const std::size_t used = core.feed(input.substr(0, n), {});
        check(used <= n, "feed uses at most its input");
        check(used == n || core.need() != Need::kInput, "feed stops early only for a need");
        input.remove_prefix(used);
        break;
      }
      case Need::kResolveRecipient: {
        check(!core.lookup_address().empty(), "lookup address");
        switch (rng.next() % 6) {
          case 0:
            core.recipient_resolved(std::vector<store::AccountId>{{1}, {2}});
            break;
          case 1:
            core.recipient_resolved(std::vector<store::AccountId>{{2}});
            break;
          case 2:
            core.recipient_resolved(fail(ErrorCode::kNotFound));
            break;
          case 3:
            core.recipient_resolved(fail(ErrorCode::kPermissionDenied));
            break;
          case 4:
            core.recipient_resolved(fail(ErrorCode::kInvalidArgument));
            break;
          default:
            core.recipient_resolved(fail(ErrorCode::kUnavailable, "db down"));
            break;
        }
        break;
      }
      case Need::kCheckSender:
        check(options.mode == Mode::kSubmission, "sender checks only on submission");
        core.sender_checked(rng.next() % 2 == 0);
        break;
      case Need::kAuthenticate: {
        check(options.mode == Mode::kSubmission, "AUTH only on submission");
        check(connection.tls || core.state() == State::kReady, "AUTH in a greeted session");
        Credentials c = core.take_credentials();
        check(!c.user.empty() && !c.password.empty(), "credentials complete");
        check(core.take_credentials().password.empty(), "credentials handed out once");
        switch (rng.next() % 4) {
          case 0: {
            store::Account a;
            a.id = store::AccountId{1};
            a.address = "user@example.org";
            a.password_hash = "$argon2id$secret";
            core.authenticated(a);
            break;
          }
          case 1:
            core.authenticated(fail(ErrorCode::kPermissionDenied));
            break;
          case 2:
            core.authenticated(fail(ErrorCode::kBusy));
            break;
          default:
            core.authenticated(fail(ErrorCode::kUnavailable));
            break;
        }
        break;
      }
      case Need::kStartTls: {
        check(!connection.tls, "STARTTLS only in clear text");
        check_output(core.take_output());  // the 220 goes out before the handshake
        const bool ok = rng.next() % 4 != 0;
        if (ok) {
          connection.tls = true;
          connection.tls_available = false;
        }
        core.tls_started(ok, connection);
        break;
      }
      case Need::kDeliver: {
        const std::vector<store::DeliveryTarget> targets = core.targets();
        const std::optional<store::Outbound> outbound = core.outbound();
        check(!targets.empty() || outbound.has_value(), "a delivery has targets or outbound");
        check(!outbound || options.mode == Mode::kSubmission, "only submission relays");
        const std::string message = core.take_message();
        check(message.rfind("Return-Path: <", 0) == 0, "trace headers first");
        check(message.size() <= options.limits.max_message_bytes + 4096,
              "message within the limit");
        switch (rng.next() % 3) {
          case 0: {
            std::vector<Result<store::Delivered>> results(targets.size(), store::Delivered{});
            core.delivered(results);
            break;
          }
          case 1: {
            std::vector<Result<store::Delivered>> results;
            for (std::size_t i = 0; i < targets.size(); ++i)
              results.push_back(i % 2 ? Result<store::Delivered>(fail(ErrorCode::kNotFound))
                                      : Result<store::Delivered>(store::Delivered{}));
            core.delivered(results);
            break;
          }
          default:
            core.delivered(fail(ErrorCode::kUnavailable, "commit failed"));
            break;
        }
        break;
      }
      case Need::kClose:
        break;
    }
    check(core.buffered_bytes() <= buffer_bound, "bounded buffers");
    // The password reaches the session only base64-encoded in AUTH; a client that
    // typed it in the clear elsewhere (say, in MAIL FROM) may see it logged.
    const bool typed_in_clear = expanded.find("secret") != std::string::npos;
    for (const Event& e : core.take_events())
      for (const auto& field : e.fields)
        check(typed_in_clear || field.second.find("secret") == std::string::npos,
              "no secrets in events");
    check_output(core.take_output());
  }
  return 0;
}
