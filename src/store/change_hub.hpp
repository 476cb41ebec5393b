// ChangeHub: the in-process fan-out behind Store::subscribe_changes, shared by
// engines. An engine publishes committed MailboxChanges; subscribers of the
// account get a callback on the publishing thread; a change looks at its own
// account's subscribers only (20,000 idle sessions, one delivery: not 20,000
// checks). Thread-safe. Callbacks run
// under the hub's lock, so a subscription's destructor waits for a running
// callback; REQUIRES: a callback neither subscribes nor unsubscribes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/store.hpp"

namespace taube::store {

class ChangeHub {
 public:
  // REQUIRES: the hub outlives the returned subscription.
  std::unique_ptr<ChangeSubscription> subscribe(AccountId account,
                                                std::function<void(const MailboxChange&)> fn);
  void publish(const std::vector<MailboxChange>& changes);

 private:
  class Subscription;
  using Callback = std::function<void(const MailboxChange&)>;
  void unsubscribe(AccountId account, std::uint64_t id);

  std::mutex mu_;
  std::uint64_t next_id_ = 1;
  // Per account, its subscribers by id (a handful: one per open session).
  std::unordered_map<std::int64_t, std::vector<std::pair<std::uint64_t, Callback>>> by_account_;
};

}  // namespace taube::store
