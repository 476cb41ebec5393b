#include "store/change_hub.hpp"

namespace taube::store {

class ChangeHub::Subscription final : public ChangeSubscription {
 public:
  Subscription(ChangeHub* hub, std::uint64_t id) : hub_(hub), id_(id) {}
  ~Subscription() override { hub_->unsubscribe(id_); }

 private:
  ChangeHub* hub_;
  std::uint64_t id_;
};

std::unique_ptr<ChangeSubscription> ChangeHub::subscribe(
    AccountId account, std::function<void(const MailboxChange&)> fn) {
  std::lock_guard lock(mu_);
  auto id = next_id_++;
  entries_.emplace(id, Entry{account, std::move(fn)});
  return std::make_unique<Subscription>(this, id);
}

void ChangeHub::unsubscribe(std::uint64_t id) {
  std::lock_guard lock(mu_);
  entries_.erase(id);
}

void ChangeHub::publish(const std::vector<MailboxChange>& changes) {
  if (changes.empty()) return;
  std::lock_guard lock(mu_);
  for (const auto& [id, entry] : entries_)
    for (const auto& change : changes)
      if (change.account == entry.account) {
        try {
          entry.fn(change);
        } catch (...) {
          // A subscriber's bug must not stop the others nor the engine thread.
        }
      }
}

}  // namespace taube::store
