// IDLE load generator of bench/imap_bench.sh (issue 4): one process, epoll,
// non-blocking sockets, OpenSSL for IMAPS. Replaces `imapbench.py idle`, whose
// asyncio/ssl stack kept ~256 KiB per TLS connection and opened ~11 TLS
// connections/s on the two shared cores the server also needs.
//
//   idle_load idle HOST PORT N USERFMT NUSERS TLS OFFSET [PARALLEL [TIMEOUT_S]]
//   idle_load wake HOST PORT LMTPPORT NUSERS USERFMT [HIB_WAIT [CHUNK]]
//
// Opens N connections; each reads the greeting, LOGIN "USERFMT%K" "bench"
// (K = (i + OFFSET) % NUSERS + 1, "%d" in USERFMT replaced by K), SELECT INBOX,
// IDLE, and waits for the `+` continuation. At most PARALLEL (default 200)
// connections are between connect and `+` at any time, so the server is not
// flooded with handshakes and logins. Loopback sources are spread over
// 127.0.0.2, .3, ... (10,000 connections each, as the Python generator did).
// When every connection is open or failed it prints one JSON line
//   {"opened": N, "failed": F, "seconds": S, "errors": {"kind": count}}
// holds the connections until stdin closes, then prints
//   {"still_open": N}   (connections the server had not closed)
// and exits. The same protocol as `imapbench.py idle`.
//
// wake (the same measurement as `imapbench.py wake`): NUSERS users log in and
// SELECT INBOX (50 at a time), all IDLE; round "live": 1 s later one message is
// delivered to every user over LMTP (NUSERS/CHUNK parallel sessions, CHUNK
// recipients each, default 100); round "settled": the same after HIB_WAIT s
// (default 12; Dovecot hibernates idle sessions). Latency per client = delivery
// start -> its `* N EXISTS`. Prints one JSON line
//   {"live": {"clients", "woken", "closed_by_server", "lmtp_ms", "p50_ms",
//             "p99_ms", "max_ms"}, "settled": {...}}
//
// Per connection it keeps an fd, an SSL* (buffers released while idle:
// SSL_MODE_RELEASE_BUFFERS) and a few bytes of state; the line buffers are
// freed once the connection is idling.
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <netinet/in.h>
#include <string>
#include <string_view>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace {

constexpr uint32_t kStdin = UINT32_MAX;
constexpr const char* kPassword = "bench";

enum class St : uint8_t {
  Free, Connecting, Handshake, Greeting, Login, Select, Selected, Idle, Held, Closed
};

const char* state_name(St s) {
  switch (s) {
    case St::Free: return "not started";
    case St::Connecting: return "connect";
    case St::Handshake: return "TLS handshake";
    case St::Greeting: return "greeting";
    case St::Login: return "LOGIN";
    case St::Select: return "SELECT";
    case St::Selected: return "selected";
    case St::Idle: return "IDLE";
    case St::Held: return "held";
    case St::Closed: return "closed";
  }
  return "?";
}

struct Conn {
  int fd = -1;
  SSL* ssl = nullptr;
  St st = St::Free;
  bool out_armed = false;  // EPOLLOUT in the registered events
  bool open = false;       // got through the opening sequence
  uint32_t exists = 0;     // wake: messages in INBOX as last told
  double woke = 0;         // wake: when this round's EXISTS arrived (0: not yet)
  double deadline = 0;
  std::string in;   // bytes of an incomplete line
  std::string out;  // bytes not yet written
};

// wake: one LMTP session delivering to recipients [first, first + count).
struct Lmtp {
  int fd = -1;
  int step = 0;  // 0 connect, 1 greeting, 2 LHLO, 3 MAIL, 4 RCPT, 5 DATA, 6 dot, 7 done
  uint32_t first = 0, count = 0, next_rcpt = 0, replies_left = 0;
  bool out_armed = false;
  std::string in, out;
};

// The delivered message: ~3 KiB of text (the Python generator sent its
// generated messages of 1-6 KiB).
std::string wake_message(uint32_t k) {
  std::string m = "From: Bench Sender <sender@example.com>\r\nTo: Bench <bench@example.org>\r\n"
                  "Subject: wake-up " + std::to_string(k) + "\r\nDate: Fri, 27 Nov 2026 03:00:00 +0000\r\n"
                  "Message-ID: <wake." + std::to_string(k) + "@taube.example>\r\nMIME-Version: 1.0\r\n"
                  "Content-Type: text/plain; charset=utf-8\r\n\r\n";
  for (int l = 0; l < 40; ++l)
    m += "line " + std::to_string(l) + " of the wake-up message, padding text to make it a few kilobytes\r\n";
  return m;
}

double now() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

std::string json_escape(std::string_view s) {
  std::string o;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      o += '\\';
      o += ch;
    } else if (c < 0x20 || c >= 0x7f) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", c);
      o += b;
    } else {
      o += ch;
    }
  }
  return o;
}

// A short printable excerpt of a server line, for the error counts.
std::string excerpt(std::string_view line) {
  if (line.size() > 80) line = line.substr(0, 80);
  return std::string(line);
}

class IdleLoad {
 public:
  IdleLoad(std::string host, int port, int n, std::string userfmt, int nusers, bool tls,
           int offset, int parallel, double timeout_s)
      : host_(std::move(host)), port_(port), userfmt_(std::move(userfmt)), nusers_(nusers),
        tls_(tls), offset_(offset), parallel_(parallel), timeout_s_(timeout_s),
        conns_(static_cast<size_t>(n)) {}
  ~IdleLoad() {
    for (auto& c : conns_) close_conn(c);
    for (auto& l : lmtps_)
      if (l.fd >= 0) close(l.fd);
    if (ctx_) SSL_CTX_free(ctx_);
    if (ep_ >= 0) close(ep_);
  }
  IdleLoad(const IdleLoad&) = delete;
  IdleLoad& operator=(const IdleLoad&) = delete;

  int run();
  int run_wake(int lmtp_port, double hib_wait, int chunk);

 private:
  static constexpr uint32_t kLmtpBit = 0x80000000u;
  bool setup();
  void open_all();
  void dispatch(uint32_t i, uint32_t ev);
  template <class Done> void pump(double until, Done done);
  void lmtp_start(uint32_t j);
  void lmtp_event(uint32_t j, uint32_t ev);
  bool lmtp_reply(Lmtp& l, std::string_view line);
  void lmtp_send(Lmtp& l, uint32_t j, std::string_view data);
  void lmtp_fail(Lmtp& l, std::string why);
  void start(uint32_t i);
  void on_event(uint32_t i, uint32_t ev);
  bool after_connect(Conn& c, uint32_t i);
  bool handshake(Conn& c, uint32_t i);
  bool read_lines(Conn& c, uint32_t i);
  bool on_line(Conn& c, uint32_t i, std::string_view line);
  bool send(Conn& c, uint32_t i, std::string_view data);
  bool flush(Conn& c, uint32_t i);
  void arm(Conn& c, uint32_t i, bool out);
  void fail(Conn& c, std::string kind);
  void close_conn(Conn& c);
  void check_deadlines();
  std::string user(uint32_t i) const;
  std::string tls_error(int ret, int err) const;

  std::string host_;
  int port_;
  std::string userfmt_;
  int nusers_;
  bool tls_;
  int offset_;
  int parallel_;
  double timeout_s_;
  std::vector<Conn> conns_;
  sockaddr_in dst_{};
  bool spread_ = false;
  int ep_ = -1;
  SSL_CTX* ctx_ = nullptr;
  int inflight_ = 0;
  int opened_ = 0;
  int failed_ = 0;
  int still_open_ = 0;
  std::map<std::string, int> errors_;
  // wake
  bool wake_ = false;
  int idling_ = 0;            // connections that got the IDLE continuation
  int closed_ = 0;            // open connections the server closed
  int woken_ = 0;             // connections that saw this round's EXISTS
  sockaddr_in lmtp_dst_{};
  std::vector<Lmtp> lmtps_;
  std::vector<std::string> rcpts_;
  std::string message_;
  int lmtp_done_ = 0;
  std::string lmtp_error_;
};

std::string IdleLoad::user(uint32_t i) const {
  long k = (long(i) + offset_) % nusers_ + 1;
  std::string u = userfmt_;
  auto p = u.find("%d");
  if (p != std::string::npos) u.replace(p, 2, std::to_string(k));
  return u;
}

bool IdleLoad::setup() {
  if (inet_pton(AF_INET, host_.c_str(), &dst_.sin_addr) != 1) {
    std::fprintf(stderr, "idle_load: HOST must be an IPv4 address: %s\n", host_.c_str());
    return false;
  }
  dst_.sin_family = AF_INET;
  dst_.sin_port = htons(static_cast<uint16_t>(port_));
  spread_ = (ntohl(dst_.sin_addr.s_addr) >> 24) == 127;
  ep_ = epoll_create1(EPOLL_CLOEXEC);
  if (ep_ < 0) {
    std::perror("idle_load: epoll_create1");
    return false;
  }
  if (tls_) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (!ctx_) return false;
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
    // Idle connections give their read/write buffers back (34 KiB+ each otherwise).
    SSL_CTX_set_mode(ctx_, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_OFF);
  }
  return true;
}

void IdleLoad::close_conn(Conn& c) {
  if (c.ssl) SSL_free(c.ssl);
  c.ssl = nullptr;
  if (c.fd >= 0) close(c.fd);  // also removes it from the epoll set
  c.fd = -1;
  std::string().swap(c.in);
  std::string().swap(c.out);
}

void IdleLoad::fail(Conn& c, std::string kind) {
  if (c.open) {
    // The server closed a connection that had been open.
    --still_open_;
    ++closed_;
  } else {
    --inflight_;
    ++failed_;
    ++errors_[std::move(kind)];
  }
  c.st = St::Closed;
  close_conn(c);
}

void IdleLoad::arm(Conn& c, uint32_t i, bool out) {
  if (c.out_armed == out) return;
  epoll_event e{};
  e.events = EPOLLIN | EPOLLRDHUP | (out ? uint32_t(EPOLLOUT) : 0u);
  e.data.u32 = i;
  epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &e);
  c.out_armed = out;
}

void IdleLoad::start(uint32_t i) {
  Conn& c = conns_[i];
  ++inflight_;
  c.st = St::Connecting;
  c.deadline = now() + timeout_s_;
  c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c.fd < 0) return fail(c, std::string("socket: ") + std::strerror(errno));
  if (spread_) {
    // 127.0.0.2, .3, ...: 10,000 connections per source address. The port is
    // chosen at connect() (IP_BIND_ADDRESS_NO_PORT), so each source address
    // has the whole ephemeral range per destination.
    int one = 1;
    setsockopt(c.fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    sockaddr_in src{};
    src.sin_family = AF_INET;
    src.sin_addr.s_addr = htonl((127u << 24) | (2u + uint32_t((long(i) + offset_) / 10000) % 253));
    if (bind(c.fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0)
      return fail(c, std::string("bind: ") + std::strerror(errno));
  }
  if (connect(c.fd, reinterpret_cast<const sockaddr*>(&dst_), sizeof dst_) != 0 &&
      errno != EINPROGRESS)
    return fail(c, std::string("connect: ") + std::strerror(errno));
  epoll_event e{};
  e.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
  e.data.u32 = i;
  if (epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &e) != 0)
    return fail(c, std::string("epoll_ctl: ") + std::strerror(errno));
  c.out_armed = true;
}

std::string IdleLoad::tls_error(int ret, int err) const {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e) {
    char b[256];
    ERR_error_string_n(e, b, sizeof b);
    return b;
  }
  if (err == SSL_ERROR_SYSCALL) return ret == 0 ? "EOF" : std::strerror(errno);
  return "SSL error " + std::to_string(err);
}

bool IdleLoad::after_connect(Conn& c, uint32_t i) {
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    fail(c, std::string("connect: ") + std::strerror(err));
    return false;
  }
  if (!tls_) {
    c.st = St::Greeting;
    arm(c, i, false);
    return true;
  }
  c.ssl = SSL_new(ctx_);
  if (!c.ssl || SSL_set_fd(c.ssl, c.fd) != 1) {
    fail(c, "SSL_new failed");
    return false;
  }
  SSL_set_connect_state(c.ssl);
  c.st = St::Handshake;
  return handshake(c, i);
}

bool IdleLoad::handshake(Conn& c, uint32_t i) {
  int r = SSL_do_handshake(c.ssl);
  if (r == 1) {
    c.st = St::Greeting;
    arm(c, i, false);
    return true;
  }
  int err = SSL_get_error(c.ssl, r);
  if (err == SSL_ERROR_WANT_READ) {
    arm(c, i, false);
    return false;
  }
  if (err == SSL_ERROR_WANT_WRITE) {
    arm(c, i, true);
    return false;
  }
  fail(c, "TLS handshake: " + tls_error(r, err));
  return false;
}

bool IdleLoad::flush(Conn& c, uint32_t i) {
  while (!c.out.empty()) {
    long w;
    if (c.ssl) {
      int r = SSL_write(c.ssl, c.out.data(), int(c.out.size()));
      if (r <= 0) {
        int err = SSL_get_error(c.ssl, r);
        if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) {
          arm(c, i, err == SSL_ERROR_WANT_WRITE);
          return true;
        }
        fail(c, std::string("write in ") + state_name(c.st) + ": " + tls_error(r, err));
        return false;
      }
      w = r;
    } else {
      w = write(c.fd, c.out.data(), c.out.size());
      if (w < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          arm(c, i, true);
          return true;
        }
        fail(c, std::string("write in ") + state_name(c.st) + ": " + std::strerror(errno));
        return false;
      }
    }
    c.out.erase(0, size_t(w));
  }
  arm(c, i, false);
  return true;
}

bool IdleLoad::send(Conn& c, uint32_t i, std::string_view data) {
  c.out.append(data);
  return flush(c, i);
}

bool IdleLoad::on_line(Conn& c, uint32_t i, std::string_view line) {
  auto starts = [&](std::string_view p) { return line.substr(0, p.size()) == p; };
  switch (c.st) {
    case St::Greeting:
      if (!starts("* OK")) {
        fail(c, "greeting: " + excerpt(line));
        return false;
      }
      c.st = St::Login;
      return send(c, i, "a LOGIN \"" + user(i) + "\" \"" + kPassword + "\"\r\n");
    case St::Login:
      if (!starts("a ")) return true;  // untagged (CAPABILITY)
      if (!starts("a OK")) {
        fail(c, "LOGIN: " + excerpt(line));
        return false;
      }
      c.st = St::Select;
      return send(c, i, "b SELECT INBOX\r\n");
    case St::Select:
      if (!starts("b ")) {
        if (starts("* ") && line.ends_with(" EXISTS"))
          c.exists = uint32_t(std::strtoul(line.data() + 2, nullptr, 10));
        return true;
      }
      if (!starts("b OK")) {
        fail(c, "SELECT: " + excerpt(line));
        return false;
      }
      if (wake_) {  // IDLE comes later, for all at once
        c.st = St::Selected;
        c.open = true;
        --inflight_;
        ++opened_;
        ++still_open_;
        return true;
      }
      c.st = St::Idle;
      return send(c, i, "c IDLE\r\n");
    case St::Idle:
      if (starts("+")) {
        c.st = St::Held;
        ++idling_;
        if (!c.open) {
          c.open = true;
          --inflight_;
          ++opened_;
          ++still_open_;
        }
        return true;
      }
      if (starts("c ")) {
        fail(c, "IDLE: " + excerpt(line));
        return false;
      }
      return true;
    case St::Held:
      // wake: the first `* N EXISTS` that counts the delivered message.
      if (wake_ && c.woke == 0 && starts("* ") && line.ends_with(" EXISTS") &&
          std::strtoul(line.data() + 2, nullptr, 10) >= c.exists + 1) {
        c.woke = now();
        ++woken_;
      }
      return true;
    default:
      return true;  // idle mode: EXISTS and the like are of no interest
  }
}

// Reads what is there; false when the connection is gone.
bool IdleLoad::read_lines(Conn& c, uint32_t i) {
  char buf[16384];
  for (;;) {
    long r;
    if (c.ssl) {
      int n = SSL_read(c.ssl, buf, sizeof buf);
      if (n <= 0) {
        int err = SSL_get_error(c.ssl, n);
        if (err == SSL_ERROR_WANT_READ) break;
        if (err == SSL_ERROR_WANT_WRITE) {
          arm(c, i, true);
          break;
        }
        if (err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && n == 0 && ERR_peek_error() == 0)) {
          ERR_clear_error();
          fail(c, std::string("closed by server in ") + state_name(c.st));
        } else {
          fail(c, std::string("read in ") + state_name(c.st) + ": " + tls_error(n, err));
        }
        return false;
      }
      r = n;
    } else {
      r = read(c.fd, buf, sizeof buf);
      if (r < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        fail(c, std::string("read in ") + state_name(c.st) + ": " + std::strerror(errno));
        return false;
      }
      if (r == 0) {
        fail(c, std::string("closed by server in ") + state_name(c.st));
        return false;
      }
    }
    if (c.st == St::Held && !wake_) continue;  // drain and ignore
    c.in.append(buf, size_t(r));
    size_t pos = 0, nl;
    while ((nl = c.in.find('\n', pos)) != std::string::npos) {
      std::string_view line(c.in.data() + pos, nl - pos);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      pos = nl + 1;
      if (!on_line(c, i, line)) return false;
      if (c.st == St::Held && !wake_) {
        std::string().swap(c.in);  // nothing more to parse: give the memory back
        pos = 0;
        break;
      }
    }
    if (pos) c.in.erase(0, pos);
  }
  return true;
}

void IdleLoad::on_event(uint32_t i, uint32_t ev) {
  Conn& c = conns_[i];
  if (c.fd < 0) return;
  if (c.st == St::Connecting) {
    if (!after_connect(c, i)) return;
    if (c.st == St::Greeting && !(ev & (EPOLLIN | EPOLLHUP | EPOLLRDHUP))) return;
  }
  if (c.st == St::Handshake) {
    if (!handshake(c, i)) return;
  }
  if ((ev & EPOLLOUT) && !c.out.empty() && !flush(c, i)) return;
  // Always try to read: a TLS record may already be buffered in the SSL object.
  read_lines(c, i);
}

void IdleLoad::check_deadlines() {
  double t = now();
  for (auto& c : conns_) {
    if (c.st > St::Free && c.st < St::Closed && !c.open && t > c.deadline)
      fail(c, std::string("timeout in ") + state_name(c.st));
  }
}

void IdleLoad::open_all() {
  const uint32_t n = uint32_t(conns_.size());
  uint32_t next = 0;
  double last_check = now();
  std::vector<epoll_event> evs(1024);
  while (uint32_t(opened_ + failed_) < n) {
    while (inflight_ < parallel_ && next < n) start(next++);
    int k = epoll_wait(ep_, evs.data(), int(evs.size()), 200);
    for (int j = 0; j < k; ++j) on_event(evs[size_t(j)].data.u32, evs[size_t(j)].events);
    if (now() - last_check > 1.0) {
      check_deadlines();
      last_check = now();
    }
  }
}

int IdleLoad::run() {
  if (!setup()) return 2;
  const double t0 = now();
  std::vector<epoll_event> evs(1024);
  open_all();
  std::string msg = "{\"opened\": " + std::to_string(opened_) +
                    ", \"failed\": " + std::to_string(failed_);
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.1f", now() - t0);
  msg += std::string(", \"seconds\": ") + secs;
  if (!errors_.empty()) {
    msg += ", \"errors\": {";
    bool first = true;
    for (auto& [kind, count] : errors_) {
      msg += (first ? "\"" : ", \"") + json_escape(kind) + "\": " + std::to_string(count);
      first = false;
    }
    msg += "}";
  }
  msg += "}\n";
  std::fputs(msg.c_str(), stdout);
  std::fflush(stdout);

  // Hold until stdin closes; note every connection the server closes meanwhile.
  epoll_event e{};
  e.events = EPOLLIN | EPOLLHUP;
  e.data.u32 = kStdin;
  bool watch_stdin = epoll_ctl(ep_, EPOLL_CTL_ADD, 0, &e) == 0;
  bool done = false;
  while (!done) {
    if (!watch_stdin) {
      // stdin is a regular file or /dev/null: read it to the end, blocking.
      char b[4096];
      while (read(0, b, sizeof b) > 0) {
      }
      break;
    }
    int k = epoll_wait(ep_, evs.data(), int(evs.size()), -1);
    for (int j = 0; j < k; ++j) {
      uint32_t i = evs[size_t(j)].data.u32;
      if (i == kStdin) {
        char b[4096];
        long r = read(0, b, sizeof b);
        if (r <= 0 && !(r < 0 && errno == EINTR)) done = true;
      } else {
        on_event(i, evs[size_t(j)].events);
      }
    }
  }
  // A last look at what the server closed just now.
  int k = epoll_wait(ep_, evs.data(), int(evs.size()), 0);
  while (k > 0) {
    for (int j = 0; j < k; ++j)
      if (evs[size_t(j)].data.u32 != kStdin) on_event(evs[size_t(j)].data.u32, evs[size_t(j)].events);
    k = k == int(evs.size()) ? epoll_wait(ep_, evs.data(), int(evs.size()), 0) : 0;
  }
  std::printf("{\"still_open\": %d}\n", still_open_);
  std::fflush(stdout);
  return 0;  // the destructor closes every connection
}

void IdleLoad::dispatch(uint32_t i, uint32_t ev) {
  if (i == kStdin) return;
  if (i & kLmtpBit)
    lmtp_event(i & ~kLmtpBit, ev);
  else
    on_event(i, ev);
}

// Handles events until done() or the monotonic time `until`.
template <class Done>
void IdleLoad::pump(double until, Done done) {
  std::vector<epoll_event> evs(1024);
  while (!done()) {
    double left = until - now();
    if (left <= 0) break;
    int k = epoll_wait(ep_, evs.data(), int(evs.size()), int(left * 1000) + 1);
    for (int j = 0; j < k; ++j) dispatch(evs[size_t(j)].data.u32, evs[size_t(j)].events);
  }
}

void IdleLoad::lmtp_fail(Lmtp& l, std::string why) {
  if (lmtp_error_.empty()) lmtp_error_ = std::move(why);
  if (l.fd >= 0) close(l.fd);
  l.fd = -1;
  l.step = 7;
  ++lmtp_done_;
}

void IdleLoad::lmtp_start(uint32_t j) {
  Lmtp& l = lmtps_[j];
  l.step = 0;
  l.next_rcpt = 0;
  l.in.clear();
  l.out.clear();
  l.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (l.fd < 0) return lmtp_fail(l, std::string("LMTP socket: ") + std::strerror(errno));
  if (connect(l.fd, reinterpret_cast<const sockaddr*>(&lmtp_dst_), sizeof lmtp_dst_) != 0 &&
      errno != EINPROGRESS)
    return lmtp_fail(l, std::string("LMTP connect: ") + std::strerror(errno));
  epoll_event e{};
  e.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
  e.data.u32 = j | kLmtpBit;
  epoll_ctl(ep_, EPOLL_CTL_ADD, l.fd, &e);
  l.out_armed = true;
}

void IdleLoad::lmtp_send(Lmtp& l, uint32_t j, std::string_view data) {
  l.out.append(data);
  while (!l.out.empty()) {
    long w = write(l.fd, l.out.data(), l.out.size());
    if (w < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        return lmtp_fail(l, std::string("LMTP write: ") + std::strerror(errno));
      break;
    }
    l.out.erase(0, size_t(w));
  }
  bool want_out = !l.out.empty();
  if (want_out != l.out_armed) {
    epoll_event e{};
    e.events = EPOLLIN | EPOLLRDHUP | (want_out ? uint32_t(EPOLLOUT) : 0u);
    e.data.u32 = j | kLmtpBit;
    epoll_ctl(ep_, EPOLL_CTL_MOD, l.fd, &e);
    l.out_armed = want_out;
  }
}

// One complete reply (its last line); false when the session ended.
bool IdleLoad::lmtp_reply(Lmtp& l, std::string_view line) {
  if (line.empty() || (line[0] != '2' && line[0] != '3')) {
    lmtp_fail(l, "LMTP: " + excerpt(line));
    return false;
  }
  uint32_t j = uint32_t(&l - lmtps_.data());
  switch (l.step) {
    case 1:
      l.step = 2;
      lmtp_send(l, j, "LHLO bench\r\n");
      break;
    case 2:
      l.step = 3;
      lmtp_send(l, j, "MAIL FROM:<bench@example.com>\r\n");
      break;
    case 3:
    case 4:
      if (l.step == 4) ++l.next_rcpt;
      l.step = 4;
      if (l.next_rcpt < l.count) {
        lmtp_send(l, j, "RCPT TO:<" + rcpts_[l.first + l.next_rcpt] + ">\r\n");
      } else {
        l.step = 5;
        lmtp_send(l, j, "DATA\r\n");
      }
      break;
    case 5:
      l.step = 6;
      l.replies_left = l.count;
      lmtp_send(l, j, message_ + ".\r\n");
      break;
    case 6:
      if (--l.replies_left == 0) {
        lmtp_send(l, j, "QUIT\r\n");
        close(l.fd);
        l.fd = -1;
        l.step = 7;
        ++lmtp_done_;
        return false;
      }
      break;
    default:
      break;
  }
  return l.fd >= 0;
}

void IdleLoad::lmtp_event(uint32_t j, uint32_t ev) {
  Lmtp& l = lmtps_[j];
  if (l.fd < 0) return;
  if (l.step == 0) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(l.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return lmtp_fail(l, std::string("LMTP connect: ") + std::strerror(err));
    l.step = 1;
    lmtp_send(l, j, "");
    if (l.fd < 0) return;
  }
  if ((ev & EPOLLOUT) && !l.out.empty()) {
    lmtp_send(l, j, "");
    if (l.fd < 0) return;
  }
  char buf[4096];
  for (;;) {
    long r = read(l.fd, buf, sizeof buf);
    if (r < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      return lmtp_fail(l, std::string("LMTP read: ") + std::strerror(errno));
    }
    if (r == 0) return lmtp_fail(l, "LMTP closed by server at step " + std::to_string(l.step));
    l.in.append(buf, size_t(r));
    size_t pos = 0, nl;
    while ((nl = l.in.find('\n', pos)) != std::string::npos) {
      std::string_view line(l.in.data() + pos, nl - pos);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      pos = nl + 1;
      if (line.size() >= 4 && line[3] == '-') continue;  // continuation of a reply
      if (!lmtp_reply(l, line)) return;
    }
    l.in.erase(0, pos);
  }
}

int IdleLoad::run_wake(int lmtp_port, double hib_wait, int chunk) {
  wake_ = true;
  if (!setup()) return 2;
  lmtp_dst_ = dst_;
  lmtp_dst_.sin_port = htons(static_cast<uint16_t>(lmtp_port));
  const uint32_t n = uint32_t(conns_.size());
  for (uint32_t i = 0; i < n; ++i) rcpts_.push_back(user(i));
  open_all();
  if (failed_) {
    std::string first = errors_.begin()->first;
    std::fprintf(stderr, "idle_load wake: %d logins failed, e.g. %s\n", failed_, first.c_str());
    return 1;
  }
  // Everyone IDLE at once.
  for (uint32_t i = 0; i < n; ++i) {
    Conn& c = conns_[i];
    if (c.st != St::Selected) continue;
    c.st = St::Idle;
    send(c, i, "c IDLE\r\n");
  }
  pump(now() + 120, [&] { return idling_ + closed_ >= int(n); });
  if (idling_ < int(n)) {
    std::fprintf(stderr, "idle_load wake: only %d of %u sessions in IDLE\n", idling_, n);
    return 1;
  }
  std::string out = "{";
  const std::pair<const char*, double> rounds[] = {{"live", 1.0}, {"settled", hib_wait}};
  uint32_t round = 0;
  for (auto& [name, wait] : rounds) {
    message_ = wake_message(round++);
    pump(now() + wait, [] { return false; });
    int open_now = 0;
    for (auto& c : conns_) {
      c.woke = 0;
      if (c.st == St::Held) ++open_now;
    }
    const int closed_before = closed_;
    woken_ = 0;
    lmtp_done_ = 0;
    lmtps_.assign((n + uint32_t(chunk) - 1) / uint32_t(chunk), Lmtp{});
    const double t0 = now();
    for (uint32_t j = 0; j < lmtps_.size(); ++j) {
      lmtps_[j].first = j * uint32_t(chunk);
      lmtps_[j].count = std::min(uint32_t(chunk), n - j * uint32_t(chunk));
      lmtp_start(j);
    }
    pump(t0 + 120, [&] { return lmtp_done_ >= int(lmtps_.size()); });
    const double acked = now() - t0;
    if (!lmtp_error_.empty() || lmtp_done_ < int(lmtps_.size())) {
      std::fprintf(stderr, "idle_load wake: delivery failed: %s\n",
                   lmtp_error_.empty() ? "timeout" : lmtp_error_.c_str());
      return 1;
    }
    pump(t0 + 120, [&] { return woken_ + (closed_ - closed_before) >= open_now; });
    std::vector<double> lat;
    for (auto& c : conns_) {
      if (c.woke > 0) lat.push_back((c.woke - t0) * 1000);
      c.exists += 1;
    }
    std::sort(lat.begin(), lat.end());
    auto q = [&](double p) {
      return lat[std::min(lat.size() - 1, size_t(p * double(lat.size())))];
    };
    char b[512];
    if (lat.empty())
      std::snprintf(b, sizeof b,
                    "\"%s\": {\"clients\": %u, \"woken\": 0, \"closed_by_server\": %d, "
                    "\"lmtp_ms\": %.1f, \"p50_ms\": null, \"p99_ms\": null, \"max_ms\": null}",
                    name, n, closed_ - closed_before, acked * 1000);
    else
      std::snprintf(b, sizeof b,
                    "\"%s\": {\"clients\": %u, \"woken\": %zu, \"closed_by_server\": %d, "
                    "\"lmtp_ms\": %.1f, \"p50_ms\": %.1f, \"p99_ms\": %.1f, \"max_ms\": %.1f}",
                    name, n, lat.size(), closed_ - closed_before, acked * 1000, q(0.50), q(0.99),
                    lat.back());
    out += (out.size() > 1 ? ", " : "") + std::string(b);
  }
  out += "}\n";
  std::fputs(out.c_str(), stdout);
  std::fflush(stdout);
  return 0;
}

int usage() {
  std::fputs(
      "usage: idle_load idle HOST PORT N USERFMT NUSERS TLS(0|1) OFFSET [PARALLEL [TIMEOUT_S]]\n"
      "       idle_load wake HOST PORT LMTPPORT NUSERS USERFMT [HIB_WAIT [CHUNK]]\n",
      stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string_view mode = argc > 1 ? argv[1] : "";
  if (!((mode == "idle" && argc >= 9) || (mode == "wake" && argc >= 7))) return usage();
  std::signal(SIGPIPE, SIG_IGN);
  // One descriptor per connection: take the hard limit.
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (mode == "wake") {
    int nusers = std::atoi(argv[5]);
    double hib_wait = argc > 7 ? std::atof(argv[7]) : 12;
    int chunk = argc > 8 ? std::atoi(argv[8]) : 100;
    if (nusers < 1 || hib_wait < 0 || chunk < 1) return usage();
    // As imapbench.py: user1..userN, 50 logins at a time, plain IMAP.
    IdleLoad load(argv[2], std::atoi(argv[3]), nusers, argv[6], nusers, false, 0, 50, 300);
    return load.run_wake(std::atoi(argv[4]), hib_wait, chunk);
  }
  int n = std::atoi(argv[4]);
  int nusers = std::atoi(argv[6]);
  int parallel = argc > 9 ? std::atoi(argv[9]) : 200;
  double timeout_s = argc > 10 ? std::atof(argv[10]) : 300;
  if (n < 0 || nusers < 1 || parallel < 1 || timeout_s <= 0) return usage();
  IdleLoad load(argv[2], std::atoi(argv[3]), n, argv[5], nusers, std::string_view(argv[7]) == "1",
                std::atoi(argv[8]), parallel, timeout_s);
  return load.run();
}
