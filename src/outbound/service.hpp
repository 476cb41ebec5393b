// The outbound scheduler: a background service of every node that claims due
// entries from the store's queue (with a lease it renews while it works), delivers
// them over SMTP with per-domain and total concurrency limits, reuses connections,
// and records each attempt: delivered, failed (bounce, RFC 3464) or retried later
// with backoff (delay notice after a while, bounce on expiry). Entries for local
// domains (DSNs to local senders) are delivered into the store instead.
//
// Crash safety: the only window for a duplicate is between the peer's final 250
// and record_attempt (one write); a crashed node's leases expire and another
// attempt is made. Nothing is lost: an entry leaves the queue only in
// record_attempt, after every recipient has a final state.
//
// Threading: everything runs on one strand of the node's io_context (network I/O
// is asynchronous; the store runs on its own threads).
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "dns/resolver.hpp"
#include "store/queue.hpp"
#include "store/store.hpp"

namespace taube::outbound {

struct Policy {
  std::chrono::seconds retry_initial{300}, retry_max{3600};
  std::chrono::seconds give_up_after{5 * 86400}, delay_notice_after{4 * 3600};
};

// When the next attempt is due after `attempts` attempts: initial * 2^(attempts-1),
// at most retry_max.
std::chrono::seconds backoff(const Policy& policy, uint32_t attempts);

// DKIM HOOK: what signs a message before it is sent. Given the raw message and the
// envelope sender, returns the header field(s) to prepend ("" = unsigned). Wired in
// serve() to mailauth::dkim_sign once the mailauth module exists.
using Signer = std::function<std::string(std::string_view raw, std::string_view sender)>;

class Service {
 public:
  virtual ~Service() = default;
  virtual void start() = 0;
  // Stops claiming and closes idle connections; in-flight deliveries end with the
  // io_context (their leases expire and another attempt follows).
  virtual void stop() = 0;
  // Looks at the queue now (new mail was queued).
  virtual void wake() = 0;
};

// `resolver` may be null when every domain has a route (tests); `signer` may be empty.
std::unique_ptr<Service> make_service(boost::asio::any_io_executor executor, const config::Config& config,
                                      store::Store& store, store::QueueStore& queue, dns::Resolver* resolver,
                                      Signer signer);

// The node id used as lease owner: outbound.node_id, else "<hostname>-<pid>".
std::string node_id(const config::Config& config);

}  // namespace taube::outbound
