#include "store/change_hub.hpp"

#include <algorithm>

namespace taube::store {

class ChangeHub::Subscription final : public ChangeSubscription {
 public:
  Subscription(ChangeHub* hub, AccountId account, std::uint64_t id) : hub_(hub), account_(account), id_(id) {}
  ~Subscription() override { hub_->unsubscribe(account_, id_); }

 private:
  ChangeHub* hub_;
  AccountId account_;
  std::uint64_t id_;
};

std::unique_ptr<ChangeSubscription> ChangeHub::subscribe(AccountId account, Callback fn) {
  std::lock_guard lock(mu_);
  auto id = next_id_++;
  by_account_[account.value].emplace_back(id, std::move(fn));
  return std::make_unique<Subscription>(this, account, id);
}

void ChangeHub::unsubscribe(AccountId account, std::uint64_t id) {
  std::lock_guard lock(mu_);
  auto it = by_account_.find(account.value);
  if (it == by_account_.end()) return;
  std::erase_if(it->second, [id](const auto& entry) { return entry.first == id; });
  if (it->second.empty()) by_account_.erase(it);
}

void ChangeHub::publish(const std::vector<MailboxChange>& changes) {
  if (changes.empty()) return;
  std::lock_guard lock(mu_);
  for (const auto& change : changes) {
    auto it = by_account_.find(change.account.value);
    if (it == by_account_.end()) continue;
    for (const auto& [id, fn] : it->second) {
      try {
        fn(change);
      } catch (...) {
        // A subscriber's bug must not stop the others nor the engine thread.
      }
    }
  }
}

}  // namespace taube::store
