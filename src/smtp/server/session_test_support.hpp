// Test support for the SMTP session (test-only; not part of the library): an
// in-memory net::Transport with scripted client bytes, captured server output and
// injectable failures, and the golden transcript format (C:/S: lines) that the
// session tests read from testdata/*.txt. No sockets, no sleeps.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "net/transport.hpp"

namespace taube::smtp::server::test {

inline constexpr std::size_t kNever = std::numeric_limits<std::size_t>::max();

// What passed over the connection, in order: a client piece or server bytes.
struct Event {
  bool client = false;
  std::string bytes;
};

// Each script piece is what one client "send" put on the wire; read_some returns
// from the current piece only (at most `size` octets), so the session sees the
// client's pieces as separate arrivals. When the script is used up the client
// has closed the connection (read_some returns 0).
class FakeTransport final : public net::Transport {
 public:
  std::vector<std::string> script;
  std::size_t fail_read_at = kNever;     // the read_some call with this index fails
  std::size_t timeout_read_at = kNever;  // ... or times out (timed_out() becomes true)
  std::size_t fail_write_at = kNever;    // the write call with this index fails
  // Runs before the piece with this index is first handed out (e.g. to change the
  // store between two client sends).
  std::function<boost::asio::awaitable<void>(std::size_t piece)> before_piece;
  std::string remote = "192.0.2.10";
  bool loopback = false;
  bool tls = false;

  std::vector<Event> events;
  std::vector<std::chrono::steady_clock::duration> deadlines;
  int tls_handshakes = 0;
  bool closed = false;

  boost::asio::awaitable<std::size_t> read_some(char* buf, std::size_t size) override {
    const std::size_t call = reads_++;
    if (closed || timed_out_) co_return 0;
    if (call == fail_read_at) co_return 0;
    if (call == timeout_read_at) {
      timed_out_ = true;
      co_return 0;
    }
    if (piece_ >= script.size()) co_return 0;
    if (offset_ == 0 && before_piece) co_await before_piece(piece_);
    const std::string& p = script[piece_];
    const std::size_t n = std::min(size, p.size() - offset_);
    std::copy_n(p.data() + offset_, n, buf);
    if (events.empty() || !events.back().client || offset_ == 0)
      events.push_back(Event{true, std::string()});
    events.back().bytes.append(p, offset_, n);
    offset_ += n;
    if (offset_ == p.size()) {
      ++piece_;
      offset_ = 0;
    }
    co_return n;
  }

  boost::asio::awaitable<bool> write(std::string_view bytes) override {
    const std::size_t call = writes_++;
    if (closed || timed_out_ || call == fail_write_at) co_return false;
    if (events.empty() || events.back().client) events.push_back(Event{false, std::string()});
    events.back().bytes.append(bytes);
    co_return true;
  }

  boost::asio::awaitable<bool> start_tls(std::shared_ptr<boost::asio::ssl::context>) override {
    ++tls_handshakes;
    tls = true;
    co_return true;
  }

  void set_deadline(std::chrono::steady_clock::duration timeout) override {
    deadlines.push_back(timeout);
  }
  bool timed_out() const override { return timed_out_; }
  bool is_tls() const override { return tls; }
  const std::string& remote_address() const override { return remote; }
  bool is_loopback() const override { return loopback; }
  std::string tls_description() const override {
    return tls ? "TLSv1.3 with cipher TEST_CIPHER" : "";
  }
  void close() override { closed = true; }

  std::string server_output() const {
    std::string out;
    for (const Event& e : events)
      if (!e.client) out += e.bytes;
    return out;
  }
  // Pieces not handed out when the session ended (e.g. after QUIT or 421).
  std::size_t unread_pieces() const { return script.size() - piece_; }

 private:
  std::size_t reads_ = 0;
  std::size_t writes_ = 0;
  std::size_t piece_ = 0;
  std::size_t offset_ = 0;
  bool timed_out_ = false;
};

// --- The transcript format ---------------------------------------------------
// "C: text"  client line, sent with CRLF     "C< text"  client bytes without CRLF
// "S: text"  one server reply line (CRLF)    "# ..."    comment; "@..." directive
// Consecutive C lines are one client send (pipelined); an S line ends it. In text,
// \r \n \\ and \xHH stand for those octets; a trailing space is written \x20.

inline std::string escape(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto u = static_cast<unsigned char>(s[i]);
    if (s[i] == '\r') {
      out += "\\r";
    } else if (s[i] == '\n') {
      out += "\\n";
    } else if (s[i] == '\\') {
      out += "\\\\";
    } else if (u < 0x20 || u >= 0x7f || (s[i] == ' ' && i + 1 == s.size())) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += s[i];
    }
  }
  return out;
}

inline std::string unescape(std::string_view s) {
  auto hex = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    const char c = s[++i];
    if (c == 'r')
      out += '\r';
    else if (c == 'n')
      out += '\n';
    else if (c == 't')
      out += '\t';
    else if (c == 'x' && i + 2 < s.size() + 1) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else
      out += c;
  }
  return out;
}

// Renders events as transcript lines: client pieces split at CRLF (a tail without
// CRLF becomes "C<"), server output one "S:" per line.
inline std::vector<std::string> render(const std::vector<Event>& events) {
  std::vector<std::string> lines;
  for (const Event& e : events) {
    std::string_view rest = e.bytes;
    while (!rest.empty()) {
      const std::size_t crlf = rest.find("\r\n");
      if (crlf == std::string_view::npos) {
        lines.push_back(std::string(e.client ? "C< " : "S< ") + escape(rest));
        break;
      }
      lines.push_back(std::string(e.client ? "C: " : "S: ") + escape(rest.substr(0, crlf)));
      rest.remove_prefix(crlf + 2);
    }
  }
  return lines;
}

// A transcript file: directives, the client's script and the expected events.
struct Transcript {
  std::vector<std::string> directives;  // "@key value" lines, without "@"
  std::vector<std::string> script;      // one piece per client send
  std::vector<Event> expected;
  std::string raw;  // "R:" lines: an expected stored message
};

inline Transcript parse_transcript(std::string_view text) {
  Transcript t;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '@') {
      t.directives.emplace_back(line.substr(1));
      continue;
    }
    if (line.size() < 2) continue;
    const std::string_view tag = line.substr(0, 2);
    const std::string bytes = unescape(line.substr(std::min<std::size_t>(3, line.size()))) +
                              (tag[1] == ':' ? "\r\n" : "");
    if (tag[0] == 'R') {
      t.raw += bytes;
      continue;
    }
    const bool client = tag[0] == 'C';
    if (t.expected.empty() || t.expected.back().client != client) {
      t.expected.push_back(Event{client, std::string()});
      if (client) t.script.emplace_back();
    }
    t.expected.back().bytes += bytes;
    if (client) t.script.back() += bytes;
  }
  return t;
}

}  // namespace taube::smtp::server::test
