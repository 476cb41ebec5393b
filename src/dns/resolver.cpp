#include "dns/resolver.hpp"

#include <unbound.h>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "base/ascii.hpp"

namespace taube::dns {
namespace asio = boost::asio;

const char* to_string(Status s) {
  switch (s) {
    case Status::kOk: return "ok";
    case Status::kNoData: return "nodata";
    case Status::kNxDomain: return "nxdomain";
    case Status::kServFail: return "servfail";
    case Status::kTimeout: return "timeout";
  }
  return "?";
}

namespace {

constexpr int kTypeA = 1, kTypePtr = 12, kTypeMx = 15, kTypeTxt = 16, kTypeAaaa = 28;

// One finished lookup: rdata in wire form, copied out of the ub_result.
struct RawAnswer {
  Status status = Status::kServFail;
  std::vector<std::string> rdata;
  bool secure = false, bogus = false;
  std::string why_bogus;
};

// A name in uncompressed wire form (libunbound hands rdata names uncompressed) to
// "a.b.c" in lower case; the root to "". Returns false when malformed.
bool wire_name(std::string_view in, size_t& pos, std::string& out) {
  out.clear();
  for (int guard = 0; guard < 128; ++guard) {
    if (pos >= in.size()) return false;
    uint8_t len = uint8_t(in[pos++]);
    if (len == 0) return true;
    if (len > 63 || pos + len > in.size()) return false;
    if (!out.empty()) out += '.';
    for (size_t i = 0; i < len; ++i) out += ascii::to_lower(in[pos + i]);
    pos += len;
  }
  return false;
}

std::string strip_dot(std::string name) {
  if (!name.empty() && name.back() == '.') name.pop_back();
  return name;
}

class UnboundResolver final : public Resolver {
 public:
  UnboundResolver(asio::any_io_executor executor, ResolverOptions options, ub_ctx* ctx)
      : strand_(asio::make_strand(executor)), options_(std::move(options)), ctx_(ctx),
        fd_(strand_, ub_fd(ctx)) {}

  ~UnboundResolver() override {
    boost::system::error_code ec;
    fd_.cancel(ec);
    fd_.release();  // the descriptor is libunbound's
    for (auto& [id, p] : pending_) ub_cancel(ctx_, id);
    ub_ctx_delete(ctx_);
  }

  asio::awaitable<Answer<MxRecord>> mx(std::string domain) override {
    auto op = raw(strip_dot(std::move(domain)), kTypeMx);
    RawAnswer r = co_await std::move(op);
    Answer<MxRecord> a = convert<MxRecord>(r);
    for (auto& d : r.rdata) {
      if (d.size() < 3) continue;
      MxRecord m;
      m.preference = uint16_t((uint8_t(d[0]) << 8) | uint8_t(d[1]));
      size_t pos = 2;
      if (!wire_name(d, pos, m.exchange)) continue;
      a.records.push_back(std::move(m));
    }
    co_return a;
  }

  asio::awaitable<Answer<asio::ip::address>> a(std::string name) override {
    auto op = raw(strip_dot(std::move(name)), kTypeA);
    RawAnswer r = co_await std::move(op);
    Answer<asio::ip::address> a = convert<asio::ip::address>(r);
    for (auto& d : r.rdata) {
      if (d.size() != 4) continue;
      asio::ip::address_v4::bytes_type b;
      std::memcpy(b.data(), d.data(), 4);
      a.records.push_back(asio::ip::address_v4(b));
    }
    co_return a;
  }

  asio::awaitable<Answer<asio::ip::address>> aaaa(std::string name) override {
    auto op = raw(strip_dot(std::move(name)), kTypeAaaa);
    RawAnswer r = co_await std::move(op);
    Answer<asio::ip::address> a = convert<asio::ip::address>(r);
    for (auto& d : r.rdata) {
      if (d.size() != 16) continue;
      asio::ip::address_v6::bytes_type b;
      std::memcpy(b.data(), d.data(), 16);
      a.records.push_back(asio::ip::address_v6(b));
    }
    co_return a;
  }

  asio::awaitable<Answer<std::string>> txt(std::string name) override {
    auto op = raw(strip_dot(std::move(name)), kTypeTxt);
    RawAnswer r = co_await std::move(op);
    Answer<std::string> a = convert<std::string>(r);
    for (auto& d : r.rdata) {
      std::string text;
      size_t pos = 0;
      bool ok = true;
      while (pos < d.size()) {
        size_t len = uint8_t(d[pos++]);
        if (pos + len > d.size()) { ok = false; break; }
        text.append(d, pos, len);
        pos += len;
      }
      if (ok) a.records.push_back(std::move(text));
    }
    co_return a;
  }

  asio::awaitable<Answer<std::string>> ptr(asio::ip::address address) override {
    std::string name;
    static constexpr char kHex[] = "0123456789abcdef";
    if (address.is_v4()) {
      auto b = address.to_v4().to_bytes();
      for (int i = 3; i >= 0; --i) name += std::to_string(b[size_t(i)]) + ".";
      name += "in-addr.arpa";
    } else {
      auto b = address.to_v6().to_bytes();
      for (int i = 15; i >= 0; --i) {
        name += kHex[b[size_t(i)] & 15];
        name += '.';
        name += kHex[b[size_t(i)] >> 4];
        name += '.';
      }
      name += "ip6.arpa";
    }
    auto op = raw(std::move(name), kTypePtr);
    RawAnswer r = co_await std::move(op);
    Answer<std::string> a = convert<std::string>(r);
    for (auto& d : r.rdata) {
      size_t pos = 0;
      std::string host;
      if (wire_name(d, pos, host)) a.records.push_back(std::move(host));
    }
    co_return a;
  }

 private:
  // The caller's completion and where to run it (the coroutine's executor).
  struct Handler {
    asio::any_io_executor executor;
    asio::any_completion_handler<void(RawAnswer)> fn;
  };
  using HandlerPtr = std::shared_ptr<Handler>;

  struct Pending {
    HandlerPtr handler;
    std::unique_ptr<asio::steady_timer> timer;
  };
  // What libunbound's callback gets: the resolver and the query's key. The key is
  // only looked up in pending_ (never dereferenced), so a cancelled query is harmless.
  struct CallbackData {
    UnboundResolver* self;
    uint64_t key;
  };

  template <class T>
  static Answer<T> convert(const RawAnswer& r) {
    Answer<T> a;
    a.status = r.status;
    a.secure = r.secure;
    a.bogus = r.bogus;
    a.why_bogus = r.why_bogus;
    return a;
  }

  asio::awaitable<RawAnswer> raw(std::string name, int type) {
    auto init = [this](auto handler, std::string n, int t) {
      // Held by shared_ptr: any_completion_handler's converting constructor would
      // wrap itself recursively if a lambda holding it by value were ever copied.
      auto h = std::make_shared<Handler>(
          Handler{asio::any_io_executor(asio::get_associated_executor(handler, strand_)), std::move(handler)});
      asio::dispatch(strand_, [this, h, n = std::move(n), t]() mutable {
        start(std::move(n), t, std::move(h));
      });
    };
    return asio::async_initiate<const asio::use_awaitable_t<>&, void(RawAnswer)>(
        std::move(init), asio::use_awaitable, std::move(name), type);
  }

  // On the strand.
  void start(std::string name, int type, HandlerPtr handler) {
    uint64_t key = next_key_++;
    auto* data = new CallbackData{this, key};
    int id = 0;
    int rc = ub_resolve_async(ctx_, name.c_str(), type, 1 /* IN */, data, &UnboundResolver::on_result, &id);
    if (rc != 0) {
      delete data;
      complete(std::move(handler), RawAnswer{});
      return;
    }
    Pending p;
    p.handler = std::move(handler);
    p.timer = std::make_unique<asio::steady_timer>(strand_, options_.timeout);
    p.timer->async_wait([this, id, key, data](boost::system::error_code ec) {
      if (ec) return;  // the answer came first
      auto it = pending_.find(id);
      if (it == pending_.end() || it->second.key != key) return;
      ub_cancel(ctx_, id);  // libunbound will not call back
      delete data;
      HandlerPtr h = std::move(it->second.p.handler);
      pending_.erase(it);
      if (pending_.empty()) {
        boost::system::error_code ignored;
        fd_.cancel(ignored);  // nothing in flight: no wait keeps the io_context busy
      }
      RawAnswer r;
      r.status = Status::kTimeout;
      complete(std::move(h), std::move(r));
    });
    pending_.emplace(id, Entry{key, std::move(p)});
    arm();
  }

  // Keeps one wait on libunbound's pipe while lookups are in flight.
  void arm() {
    if (waiting_ || pending_.empty()) return;
    waiting_ = true;
    fd_.async_wait(asio::posix::stream_descriptor::wait_read, [this](boost::system::error_code ec) {
      waiting_ = false;
      if (!ec) ub_process(ctx_);  // runs on_result for each finished lookup
      arm();  // also after a cancel: a lookup may have started meanwhile
    });
  }

  static void on_result(void* mydata, int err, ub_result* result) {
    auto* data = static_cast<CallbackData*>(mydata);
    UnboundResolver* self = data->self;
    uint64_t key = data->key;
    delete data;
    RawAnswer r;
    if (err == 0 && result) {
      if (result->bogus) {
        r.status = Status::kServFail;
        r.bogus = true;
        if (result->why_bogus) r.why_bogus = result->why_bogus;
      } else if (result->havedata) {
        r.status = Status::kOk;
      } else if (result->nxdomain) {
        r.status = Status::kNxDomain;
      } else if (result->rcode == 0) {
        r.status = Status::kNoData;
      } else {
        r.status = Status::kServFail;
      }
      r.secure = result->secure != 0;
      if (r.status == Status::kOk)
        for (int i = 0; result->data[i]; ++i) r.rdata.emplace_back(result->data[i], size_t(result->len[i]));
    }
    if (result) ub_resolve_free(result);
    // Find the entry by key (the async id is not passed to the callback).
    for (auto it = self->pending_.begin(); it != self->pending_.end(); ++it) {
      if (it->second.key != key) continue;
      HandlerPtr h = std::move(it->second.p.handler);
      it->second.p.timer->cancel();
      self->pending_.erase(it);
      complete(std::move(h), std::move(r));
      return;
    }
  }

  static void complete(HandlerPtr h, RawAnswer r) {
    auto ex = h->executor;
    asio::post(ex, [h, r = std::move(r)]() mutable { std::move(h->fn)(std::move(r)); });
  }

  struct Entry {
    uint64_t key;
    Pending p;
  };

  asio::strand<asio::any_io_executor> strand_;
  ResolverOptions options_;
  ub_ctx* ctx_;
  asio::posix::stream_descriptor fd_;
  std::unordered_map<int, Entry> pending_;  // by libunbound's async id
  uint64_t next_key_ = 1;
  bool waiting_ = false;
};

// "ip", "ip:port", "[v6]:port", "v6" -> libunbound's "ip@port".
Result<std::string> forwarder(std::string_view text) {
  std::string host(text), port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return fail(ErrorCode::kInvalidArgument, "bad resolver address");
    host = std::string(text.substr(1, close - 1));
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return fail(ErrorCode::kInvalidArgument, "bad resolver address");
      port = std::string(text.substr(close + 2));
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    auto colon = text.find(':');
    host = std::string(text.substr(0, colon));
    port = std::string(text.substr(colon + 1));
  }
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  if (ec) return fail(ErrorCode::kInvalidArgument, "resolver \"" + std::string(text) + "\" is not an IP address");
  if (!port.empty()) {
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        std::stoul(port) == 0 || std::stoul(port) > 65535)
      return fail(ErrorCode::kInvalidArgument, "resolver \"" + std::string(text) + "\" has a bad port");
    return host + "@" + port;
  }
  return host;
}

}  // namespace

Result<std::unique_ptr<Resolver>> Resolver::create(asio::any_io_executor executor, ResolverOptions options) {
  std::string fwd;
  if (!options.resolver.empty()) {
    auto f = forwarder(options.resolver);
    if (!f) return f.error();
    fwd = *f;
  }
  ub_ctx* ctx = ub_ctx_create();
  if (!ctx) return fail(ErrorCode::kUnavailable, "ub_ctx_create failed");
  auto bad = [&](const char* what, int rc) {
    std::string msg = std::string(what) + ": " + ub_strerror(rc);
    ub_ctx_delete(ctx);
    return fail(ErrorCode::kUnavailable, msg);
  };
  int rc = ub_ctx_async(ctx, 1);  // a thread of libunbound's, results on ub_fd()
  if (rc != 0) return bad("ub_ctx_async", rc);
  // Tests and local caches listen on loopback; libunbound refuses it by default.
  rc = ub_ctx_set_option(ctx, "do-not-query-localhost:", "no");
  if (rc != 0) return bad("do-not-query-localhost", rc);
  if (fwd.empty()) {
    rc = ub_ctx_resolvconf(ctx, nullptr);
    if (rc != 0) return bad("reading /etc/resolv.conf", rc);
  } else {
    rc = ub_ctx_set_fwd(ctx, fwd.c_str());
    if (rc != 0) return bad("ub_ctx_set_fwd", rc);
  }
  if (!options.trust_anchor_file.empty()) {
    rc = ub_ctx_add_ta_file(ctx, options.trust_anchor_file.c_str());
    if (rc != 0) return bad("trust anchor", rc);
  }
  // libunbound answers NXDOMAIN itself for the special-use "test." (RFC 6761); with
  // an explicit resolver (a test's DNS server) ask it instead. Last: this finalizes
  // the context.
  if (!fwd.empty()) {
    rc = ub_ctx_zone_remove(ctx, "test.");
    if (rc != 0) return bad("removing local zone test.", rc);
  }
  return std::unique_ptr<Resolver>(new UnboundResolver(std::move(executor), std::move(options), ctx));
}

}  // namespace taube::dns
