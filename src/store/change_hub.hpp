// ChangeHub: the in-process fan-out behind Store::subscribe_changes, shared by
// engines. An engine publishes committed MailboxChanges; subscribers of the
// account get a callback on the publishing thread. Thread-safe. Callbacks run
// under the hub's lock, so a subscription's destructor waits for a running
// callback; REQUIRES: a callback neither subscribes nor unsubscribes.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
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
  struct Entry {
    AccountId account;
    std::function<void(const MailboxChange&)> fn;
  };
  void unsubscribe(std::uint64_t id);

  std::mutex mu_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, Entry> entries_;
};

}  // namespace taube::store
