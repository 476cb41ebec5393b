#include "outbound/service.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <unistd.h>

#include <deque>
#include <map>
#include <set>

#include "base/ascii.hpp"
#include "delivery/describe.hpp"
#include "dns/mail_hosts.hpp"
#include "log/log.hpp"
#include "outbound/client_stream.hpp"
#include "outbound/dsn.hpp"
#include "outbound/smtp_client.hpp"

namespace taube::outbound {
namespace asio = boost::asio;
using store::RecipientState;
using Clock = std::chrono::system_clock;

std::chrono::seconds backoff(const Policy& p, uint32_t attempts) {
  auto d = p.retry_initial;
  for (uint32_t i = 1; i < attempts && d < p.retry_max; ++i) d *= 2;
  return std::min(d, p.retry_max);
}

std::string node_id(const config::Config& c) {
  if (!c.outbound.node_id.empty()) return c.outbound.node_id;
  return c.hostname + "-" + std::to_string(::getpid());
}

namespace {

store::UnixTime now_seconds() { return std::chrono::time_point_cast<std::chrono::seconds>(Clock::now()); }

// Where one attempt connects: a host name (for SNI, verification and DSNs) and an endpoint.
struct Target {
  std::string name;
  asio::ip::tcp::endpoint endpoint;
};

struct Claimed {
  store::QueueEntry entry;
  bool lost = false;  // the lease was lost (another node may have it)
};

struct Pooled {
  std::unique_ptr<SmtpClient> client;
  std::string peer;
  std::chrono::steady_clock::time_point since;
};

// What one attempt found out about each recipient.
struct Outcome {
  RecipientState state = RecipientState::kPending;
  std::string reply;   // "550 5.1.1 ..." or our reason
  int code = 0;
  std::string peer;    // remote MTA name, "" if none answered
};

bool wants(const store::OutboundRecipient& r, uint8_t flag) {
  if (r.notify & store::kNotifyNever) return false;
  if (r.notify == 0) return flag == store::kNotifyFailure || flag == store::kNotifyDelay;
  return (r.notify & flag) != 0;
}

class ServiceImpl final : public Service {
 public:
  ServiceImpl(asio::any_io_executor executor, const config::Config& config, store::Store& store,
              store::QueueStore& queue, dns::Resolver* resolver, Signer signer)
      : strand_(asio::make_strand(executor)), config_(config), cfg_(config.outbound), store_(store), queue_(queue),
        resolver_(resolver), signer_(std::move(signer)), node_(node_id(config)), timer_(strand_),
        renew_timer_(strand_) {
    policy_.retry_initial = cfg_.retry_initial;
    policy_.retry_max = cfg_.retry_max;
    policy_.give_up_after = cfg_.give_up_after;
    policy_.delay_notice_after = cfg_.delay_notice_after;
    if (cfg_.tls != "none") tls_ = make_client_tls_context(cfg_.tls == "verify");
  }

  void start() override {
    log::info("outbound.start", {log::kv("node", node_), log::kv("max_connections", cfg_.max_connections),
                                 log::kv("max_per_domain", cfg_.max_per_domain)});
    asio::co_spawn(strand_, loop(), asio::detached);
    asio::co_spawn(strand_, renew_loop(), asio::detached);
  }

  void stop() override {
    asio::post(strand_, [this] {
      stopped_ = true;
      timer_.cancel();
      renew_timer_.cancel();
      pool_.clear();
    });
  }

  void wake() override {
    asio::post(strand_, [this] { timer_.cancel(); });
  }

 private:
  asio::awaitable<void> loop() {
    while (!stopped_) {
      size_t room = cfg_.max_connections > held_.size() ? cfg_.max_connections - held_.size() : 0;
      bool more = false;
      if (room > 0) {
        size_t want = std::min<size_t>(room, 100);
        auto op = queue_.claim(node_, want, cfg_.lease);
        auto r = co_await std::move(op);
        if (!r) {
          log::warn("outbound.claim_failed", {log::kv("reason", r.error().detail)});
        } else {
          for (auto& e : *r) admit(std::move(e));
          more = r->size() == want;
        }
      }
      dispatch();
      if (more && held_.size() < cfg_.max_connections) continue;
      timer_.expires_after(cfg_.poll_interval);
      boost::system::error_code ec;
      auto token = asio::redirect_error(asio::use_awaitable, ec);
      auto op = timer_.async_wait(token);
      co_await std::move(op);
    }
  }

  // Renews every held lease well before it ends; closes idle connections.
  asio::awaitable<void> renew_loop() {
    while (!stopped_) {
      renew_timer_.expires_after(std::max<std::chrono::seconds>(cfg_.lease / 3, std::chrono::seconds(1)));
      boost::system::error_code ec;
      auto token = asio::redirect_error(asio::use_awaitable, ec);
      auto op = renew_timer_.async_wait(token);
      co_await std::move(op);
      if (stopped_) break;
      std::vector<std::shared_ptr<Claimed>> held;
      for (auto& [id, c] : held_) held.push_back(c);
      for (auto& c : held) {
        if (c->lost) continue;
        auto op2 = queue_.renew(c->entry.id, node_, cfg_.lease);
        auto r = co_await std::move(op2);
        if (!r && r.error().code == ErrorCode::kConflict) {
          c->lost = true;
          log::warn("outbound.lease_lost", {log::kv("entry", c->entry.id.value)});
        }
      }
      auto now = std::chrono::steady_clock::now();
      for (auto it = pool_.begin(); it != pool_.end();) {
        if (now - it->second.since >= cfg_.idle_connection) {
          auto client = std::shared_ptr<SmtpClient>(std::move(it->second.client));
          it = pool_.erase(it);
          asio::co_spawn(strand_, quit(client), asio::detached);
        } else {
          ++it;
        }
      }
    }
  }

  static asio::awaitable<void> quit(std::shared_ptr<SmtpClient> client) {
    auto op = client->quit();
    co_await std::move(op);
  }

  void admit(store::QueueEntry e) {
    auto c = std::make_shared<Claimed>();
    c->entry = std::move(e);
    held_[c->entry.id.value] = c;
    waiting_.push_back(c);
  }

  // Starts the waiting entries that the limits allow.
  void dispatch() {
    for (auto it = waiting_.begin(); it != waiting_.end() && active_ < cfg_.max_connections;) {
      auto& c = *it;
      uint32_t& n = per_domain_[c->entry.domain];
      if (n >= cfg_.max_per_domain) {
        ++it;
        continue;
      }
      ++n;
      ++active_;
      asio::co_spawn(strand_, work(c), asio::detached);
      it = waiting_.erase(it);
    }
  }

  asio::awaitable<void> work(std::shared_ptr<Claimed> c) {
    store::AttemptResult result;
    try {
      auto op = attempt(*c);
      result = co_await std::move(op);
    } catch (const std::exception& ex) {
      log::error("outbound.attempt_crashed", {log::kv("entry", c->entry.id.value), log::kv("what", ex.what())});
      result.error = std::string("internal error: ") + ex.what();
      result.next_attempt = now_seconds() + backoff(policy_, c->entry.attempts);
    }
    auto op2 = queue_.record_attempt(c->entry.id, node_, result);
    auto r = co_await std::move(op2);
    if (!r)
      log::warn("outbound.record_failed", {log::kv("entry", c->entry.id.value), log::kv("reason", r.error().detail)});
    --active_;
    --per_domain_[c->entry.domain];
    held_.erase(c->entry.id.value);
    dispatch();
    // Claim more once half the room is free (one claim transaction per batch, not
    // per finished entry), or when nothing waits for a slot.
    if (held_.size() <= cfg_.max_connections / 2 || waiting_.empty()) timer_.cancel();
  }

  // --- One attempt ---
  asio::awaitable<store::AttemptResult> attempt(Claimed& c) {
    const store::QueueEntry& e = c.entry;
    std::map<std::string, Outcome> outcome;  // pending recipients only
    std::vector<const store::QueueRecipient*> pending;
    for (auto& r : e.recipients)
      if (r.state == RecipientState::kPending) pending.push_back(&r);
    std::string error;

    auto op = queue_.read_message(e.id);
    auto raw = co_await std::move(op);
    if (!raw) {
      error = "cannot read the message: " + raw.error().detail;
    } else {
      auto op2 = store_.is_local_domain(e.domain);
      auto local = co_await std::move(op2);
      if (local && *local) {
        auto op3 = deliver_local(e, pending, *raw, outcome);
        error = co_await std::move(op3);
      } else {
        auto op3 = deliver_remote(e, pending, *raw, outcome);
        error = co_await std::move(op3);
      }
    }
    // By value: a temporary bound to a reference parameter of a lazy coroutine dies
    // before the coroutine runs.
    std::string message = raw ? std::move(*raw) : std::string();
    auto op4 = finish(e, pending, std::move(message), std::move(outcome), error);
    co_return co_await std::move(op4);
  }

  asio::awaitable<std::string> deliver_local(const store::QueueEntry& e,
                                             const std::vector<const store::QueueRecipient*>& pending,
                                             const std::string& raw, std::map<std::string, Outcome>& out) {
    store::Delivery d;
    std::set<int64_t> seen;
    std::vector<std::string> delivered_to;
    for (auto* r : pending) {
      auto op = store_.resolve_recipient(r->rcpt.address);
      auto accounts = co_await std::move(op);
      if (!accounts) {
        if (accounts.error().code == ErrorCode::kNotFound || accounts.error().code == ErrorCode::kInvalidArgument)
          out[r->rcpt.address] = Outcome{RecipientState::kFailed, "550 5.1.1 no such user here", 550, config_.hostname};
        else
          out[r->rcpt.address] = Outcome{RecipientState::kPending, "451 4.3.0 " + accounts.error().detail, 451, ""};
        continue;
      }
      for (auto id : *accounts)
        if (seen.insert(id.value).second) d.targets.push_back(store::DeliveryTarget{id});
      delivered_to.push_back(r->rcpt.address);
    }
    if (d.targets.empty()) co_return std::string();
    d.raw = raw;
    d.meta = delivery::describe(raw);
    d.internal_date = now_seconds();
    // The same key on every attempt: a crash after the commit does not deliver twice.
    d.idempotency_key = "outbound-local:" + std::to_string(e.id.value) + ":" +
                        std::to_string(e.created_at.time_since_epoch().count());
    auto op = store_.deliver(std::move(d));
    auto r = co_await std::move(op);
    for (auto& a : delivered_to) {
      if (r) out[a] = Outcome{RecipientState::kDelivered, "250 2.0.0 delivered locally", 250, config_.hostname};
      else out[a] = Outcome{RecipientState::kPending, "451 4.3.0 local delivery failed: " + r.error().detail, 451, ""};
    }
    co_return r ? std::string() : "local delivery failed: " + r.error().detail;
  }

  // The targets for a domain: a route, the smarthost, or the MX hosts (port 25).
  asio::awaitable<Result<std::vector<Target>>> targets(const std::string& domain) {
    std::string route;
    if (auto it = cfg_.routes.find(domain); it != cfg_.routes.end()) route = it->second;
    else if (!cfg_.smarthost.empty()) route = cfg_.smarthost;
    std::vector<Target> out;
    if (!route.empty()) {
      auto ep = config::parse_endpoint(route);
      if (!ep) co_return ep.error();
      boost::system::error_code ec;
      auto addr = asio::ip::make_address(ep->host, ec);
      if (!ec) {
        out.push_back(Target{ep->host, asio::ip::tcp::endpoint(addr, ep->port)});
        co_return out;
      }
      if (!resolver_) co_return fail(ErrorCode::kUnavailable, "no DNS resolver for route host " + ep->host);
      auto op6 = resolver_->aaaa(ep->host);
      auto v6 = co_await std::move(op6);
      auto op4 = resolver_->a(ep->host);
      auto v4 = co_await std::move(op4);
      for (auto& a : v6.records) out.push_back(Target{ep->host, asio::ip::tcp::endpoint(a, ep->port)});
      for (auto& a : v4.records) out.push_back(Target{ep->host, asio::ip::tcp::endpoint(a, ep->port)});
      if (out.empty()) co_return fail(ErrorCode::kUnavailable, "route host " + ep->host + " has no address");
      co_return out;
    }
    if (!resolver_) co_return fail(ErrorCode::kUnavailable, "no DNS resolver");
    auto op = dns::resolve_mail_hosts(*resolver_, domain);
    auto hosts = co_await std::move(op);
    if (!hosts) co_return hosts.error();
    for (auto& h : *hosts)
      for (auto& a : h.addresses) out.push_back(Target{h.name, asio::ip::tcp::endpoint(a, 25)});
    co_return out;
  }

  std::string pool_key(const std::string& domain) const {
    if (cfg_.routes.count(domain)) return "route:" + cfg_.routes.at(domain);
    if (!cfg_.smarthost.empty()) return "smarthost";
    return "mx:" + domain;
  }

  asio::awaitable<std::string> deliver_remote(const store::QueueEntry& e,
                                              const std::vector<const store::QueueRecipient*>& pending,
                                              const std::string& raw, std::map<std::string, Outcome>& out) {
    std::string key = pool_key(e.domain);
    std::unique_ptr<SmtpClient> client;
    std::string peer;
    // A connection left open by an earlier message to the same place.
    while (!client) {
      auto it = pool_.find(key);
      if (it == pool_.end()) break;
      auto candidate = std::move(it->second.client);
      std::string candidate_peer = it->second.peer;
      pool_.erase(it);
      auto op = candidate->reset();
      if (co_await std::move(op)) {
        client = std::move(candidate);
        peer = candidate_peer;
      } else {
        auto op2 = candidate->quit();
        co_await std::move(op2);
      }
    }
    std::string last_error;
    bool permanent = false;
    if (!client) {
      auto op = targets(e.domain);
      auto t = co_await std::move(op);
      if (!t) {
        last_error = t.error().detail;
        permanent = t.error().code == ErrorCode::kNotFound || t.error().code == ErrorCode::kPermissionDenied;
        std::string status = t.error().code == ErrorCode::kPermissionDenied ? "550 5.1.10 " : "550 5.1.2 ";
        for (auto* r : pending)
          out[r->rcpt.address] =
              permanent ? Outcome{RecipientState::kFailed, status + last_error, 550, ""}
                        : Outcome{RecipientState::kPending, "451 4.4.3 " + last_error, 451, ""};
        co_return last_error;
      }
      for (auto& target : *t) {
        bool use_tls = cfg_.tls != "none";
        for (int tries = 0; tries < 2 && !client; ++tries) {
          auto op2 = ClientStream::connect(strand_, target.endpoint, cfg_.connect_timeout, target.name,
                                           cfg_.tls == "verify");
          auto stream = co_await std::move(op2);
          if (!stream) {
            last_error = stream.error().detail;
            break;
          }
          ClientOptions options;
          options.helo_name = config_.hostname;
          options.greeting_timeout = std::chrono::seconds(300);
          options.use_starttls = use_tls;
          options.require_tls = cfg_.tls == "verify";
          auto candidate = std::make_unique<SmtpClient>(std::move(*stream), options);
          auto op3 = candidate->open(use_tls ? tls_ : nullptr);
          SmtpReply hello = co_await std::move(op3);
          if (hello.code == 250) {
            client = std::move(candidate);
            peer = target.name + "[" + target.endpoint.address().to_string() + "]";
            break;
          }
          last_error = target.name + "[" + target.endpoint.address().to_string() + "] " + hello.text();
          bool retry_plain = candidate->tls_failed() && cfg_.tls == "opportunistic";
          auto op4 = candidate->quit();
          co_await std::move(op4);
          if (!retry_plain) break;
          use_tls = false;  // opportunistic: the handshake failed, try once more in plain text
        }
        if (client) break;
      }
      if (!client) {
        for (auto* r : pending) out[r->rcpt.address] = Outcome{RecipientState::kPending, "451 4.4.1 " + last_error, 451, ""};
        co_return last_error;
      }
    }

    Envelope env;
    env.sender = e.sender;
    env.envid = e.envid;
    env.ret = e.ret;
    for (auto* r : pending) env.recipients.push_back(r->rcpt);
    // DKIM HOOK: the signature header(s) go in front of the message here, at send
    // time, so that a key rotation applies to queued mail too.
    std::string message = to_crlf(raw);
    if (signer_) message = signer_(message, e.sender) + message;
    auto op = client->send(env, message);
    SendResult sent = co_await std::move(op);
    std::string error;
    for (auto& o : sent.recipients) {
      Outcome oc;
      oc.code = o.reply.code;
      oc.reply = o.reply.code ? o.reply.text() : "451 4.4.2 " + peer + ": " + o.reply.text();
      oc.peer = o.reply.code ? peer : std::string();
      oc.state = o.reply.positive() ? RecipientState::kDelivered
                 : o.reply.permanent() ? RecipientState::kFailed
                                        : RecipientState::kPending;
      if (oc.state == RecipientState::kPending) error = peer + ": " + o.reply.text();
      out[o.address] = std::move(oc);
    }
    if (sent.connection_usable && !stopped_ && cfg_.idle_connection.count() > 0) {
      pool_.emplace(key, Pooled{std::move(client), peer, std::chrono::steady_clock::now()});
    } else {
      auto op2 = client->quit();
      co_await std::move(op2);
    }
    co_return error;
  }

  // Turns the outcomes into the queue update; queues bounces and delay notices.
  asio::awaitable<store::AttemptResult> finish(const store::QueueEntry& e,
                                               const std::vector<const store::QueueRecipient*>& pending,
                                               std::string raw, std::map<std::string, Outcome> outcome,
                                               std::string error) {
    store::AttemptResult result;
    result.error = error;
    auto now = now_seconds();
    bool expired = now - e.created_at >= policy_.give_up_after;
    std::vector<DsnRecipient> bounced, delayed;
    bool any_pending = false;
    for (auto* r : pending) {
      Outcome o;
      if (auto it = outcome.find(r->rcpt.address); it != outcome.end()) o = it->second;
      else o = Outcome{RecipientState::kPending, "451 4.4.1 " + (error.empty() ? std::string("not attempted") : error), 451, ""};
      if (o.state == RecipientState::kPending && expired) {
        o.state = RecipientState::kFailed;
        o.reply = "4.4.7 delivery time expired; last error: " + o.reply;
        o.code = 0;
      }
      result.recipients.emplace_back(r->rcpt.address, o.state);
      result.replies.emplace_back(r->rcpt.address, o.reply);
      DsnRecipient d;
      d.address = r->rcpt.address;
      if (!r->rcpt.orcpt.empty()) d.orcpt = r->rcpt.orcpt.find(';') == std::string::npos ? "rfc822;" + r->rcpt.orcpt : r->rcpt.orcpt;
      d.remote_mta = o.peer;
      if (o.code) {
        std::string line = o.reply.size() > 4 ? o.reply.substr(4) : std::string();
        d.status = status_from_reply(o.code, line);
        d.diagnostic = o.reply;
      } else {
        d.status = o.state == RecipientState::kFailed && o.reply.rfind("4.4.7", 0) == 0 ? "4.4.7" : "4.4.1";
        d.reason = o.reply;
      }
      if (o.state == RecipientState::kFailed && !e.sender.empty() && wants(r->rcpt, store::kNotifyFailure)) {
        if (d.status[0] == '2') d.status = "5.0.0";
        bounced.push_back(d);
      }
      if (o.state == RecipientState::kPending) {
        any_pending = true;
        if (!e.sender.empty() && wants(r->rcpt, store::kNotifyDelay)) delayed.push_back(d);
      }
      log::info("outbound.attempt", {log::kv("entry", e.id.value), log::kv("to", r->rcpt.address),
                                     log::kv("state", o.state == RecipientState::kDelivered ? "delivered"
                                                      : o.state == RecipientState::kFailed  ? "failed"
                                                                                            : "deferred"),
                                     log::kv("reply", o.reply), log::kv("attempt", e.attempts)});
    }
    if (any_pending) result.next_attempt = now + backoff(policy_, std::max<uint32_t>(e.attempts, 1));
    if (!bounced.empty()) {
      auto op = notify(e, raw, DsnAction::kFailed, std::move(bounced));
      co_await std::move(op);
    }
    if (any_pending && !e.delay_notified && !delayed.empty() && now - e.created_at >= policy_.delay_notice_after) {
      auto op = notify(e, raw, DsnAction::kDelayed, std::move(delayed));
      if (co_await std::move(op)) result.delay_notified = true;
    }
    co_return result;
  }

  // Queues a DSN to the entry's sender (from the null sender: never bounced).
  asio::awaitable<bool> notify(const store::QueueEntry& e, const std::string& raw, DsnAction action,
                               std::vector<DsnRecipient> recipients) {
    DsnInput in;
    in.action = action;
    in.reporting_mta = config_.hostname;
    in.sender = e.sender;
    in.envid = e.envid;
    in.ret = e.ret;
    in.arrival = e.created_at;
    in.now = now_seconds();
    in.recipients = std::move(recipients);
    in.original = raw;
    store::Outbound ob;
    ob.sender = "";
    ob.recipients.push_back(store::OutboundRecipient{e.sender, "", store::kNotifyNever});
    std::string dsn = build_dsn(in);
    auto op = queue_.enqueue(std::move(dsn), std::move(ob));
    auto r = co_await std::move(op);
    if (!r) {
      log::warn("outbound.dsn_failed", {log::kv("entry", e.id.value), log::kv("reason", r.error().detail)});
      co_return false;
    }
    log::info("outbound.dsn", {log::kv("entry", e.id.value), log::kv("to", e.sender),
                               log::kv("action", action == DsnAction::kFailed ? "failed" : "delayed")});
    wake();
    co_return true;
  }

  asio::strand<asio::any_io_executor> strand_;
  const config::Config& config_;
  const config::OutboundConfig& cfg_;
  store::Store& store_;
  store::QueueStore& queue_;
  dns::Resolver* resolver_;
  Signer signer_;
  std::string node_;
  Policy policy_;
  std::shared_ptr<asio::ssl::context> tls_;
  asio::steady_timer timer_, renew_timer_;
  bool stopped_ = false;
  std::map<int64_t, std::shared_ptr<Claimed>> held_;  // leased: waiting or active
  std::deque<std::shared_ptr<Claimed>> waiting_;
  std::map<std::string, uint32_t> per_domain_;
  uint32_t active_ = 0;
  std::multimap<std::string, Pooled> pool_;
};

}  // namespace

std::unique_ptr<Service> make_service(asio::any_io_executor executor, const config::Config& config,
                                      store::Store& store, store::QueueStore& queue, dns::Resolver* resolver,
                                      Signer signer) {
  return std::make_unique<ServiceImpl>(std::move(executor), config, store, queue, resolver, std::move(signer));
}

}  // namespace taube::outbound
