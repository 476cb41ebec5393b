// IDLE load generator of bench/imap_bench.sh (issue 4): one process, epoll,
// non-blocking sockets, OpenSSL for IMAPS. Replaces `imapbench.py idle`, whose
// asyncio/ssl stack kept ~256 KiB per TLS connection and opened ~11 TLS
// connections/s on the two shared cores the server also needs.
//
//   idle_load idle HOST PORT N USERFMT NUSERS TLS OFFSET [PARALLEL [TIMEOUT_S]]
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
// Per connection it keeps an fd, an SSL* (buffers released while idle:
// SSL_MODE_RELEASE_BUFFERS) and a few bytes of state; the line buffers are
// freed once the connection is idling.
#include <openssl/err.h>
#include <openssl/ssl.h>

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

enum class St : uint8_t { Free, Connecting, Handshake, Greeting, Login, Select, Idle, Held, Closed };

const char* state_name(St s) {
  switch (s) {
    case St::Free: return "not started";
    case St::Connecting: return "connect";
    case St::Handshake: return "TLS handshake";
    case St::Greeting: return "greeting";
    case St::Login: return "LOGIN";
    case St::Select: return "SELECT";
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
  double deadline = 0;
  std::string in;   // bytes of an incomplete line
  std::string out;  // bytes not yet written
};

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
    if (ctx_) SSL_CTX_free(ctx_);
    if (ep_ >= 0) close(ep_);
  }
  IdleLoad(const IdleLoad&) = delete;
  IdleLoad& operator=(const IdleLoad&) = delete;

  int run();

 private:
  bool setup();
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
  if (c.st == St::Held) {
    // The server closed a connection that had been open.
    --still_open_;
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
      if (!starts("b ")) return true;
      if (!starts("b OK")) {
        fail(c, "SELECT: " + excerpt(line));
        return false;
      }
      c.st = St::Idle;
      return send(c, i, "c IDLE\r\n");
    case St::Idle:
      if (starts("+")) {
        c.st = St::Held;
        --inflight_;
        ++opened_;
        ++still_open_;
        return true;
      }
      if (starts("c ")) {
        fail(c, "IDLE: " + excerpt(line));
        return false;
      }
      return true;
    default:
      return true;  // held: EXISTS and the like are of no interest here
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
    if (c.st == St::Held) continue;  // drain and ignore
    c.in.append(buf, size_t(r));
    size_t pos = 0, nl;
    while ((nl = c.in.find('\n', pos)) != std::string::npos) {
      std::string_view line(c.in.data() + pos, nl - pos);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      pos = nl + 1;
      if (!on_line(c, i, line)) return false;
      if (c.st == St::Held) {
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
    if (c.st > St::Free && c.st < St::Held && t > c.deadline)
      fail(c, std::string("timeout in ") + state_name(c.st));
  }
}

int IdleLoad::run() {
  if (!setup()) return 2;
  const uint32_t n = uint32_t(conns_.size());
  const double t0 = now();
  uint32_t next = 0;
  double last_check = t0;
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

int usage() {
  std::fputs(
      "usage: idle_load idle HOST PORT N USERFMT NUSERS TLS(0|1) OFFSET [PARALLEL [TIMEOUT_S]]\n",
      stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 9 || std::string_view(argv[1]) != "idle") return usage();
  std::signal(SIGPIPE, SIG_IGN);
  // One descriptor per connection: take the hard limit.
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
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
