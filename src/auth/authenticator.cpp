#include "auth/authenticator.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "auth/password.hpp"
#include "base/ascii.hpp"

namespace taube::auth {

namespace asio = boost::asio;


Authenticator::Authenticator(store::Store& store, ThrottlePolicy policy, unsigned hash_threads)
    : store_(store), policy_(policy), pool_(hash_threads) {
  dummy_hash_ = hash_password("unknown user: timing equaliser").value();
  if (RAND_bytes(cache_secret_, sizeof cache_secret_) != 1) throw std::runtime_error("RAND_bytes failed");
}

std::string Authenticator::cache_key(const std::string& user, const std::string& password) const {
  std::string message = user;
  message += '\0';
  message += password;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), cache_secret_, sizeof cache_secret_, reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), mac, &mac_len);
  OPENSSL_cleanse(message.data(), message.size());
  return std::string(reinterpret_cast<const char*>(mac), mac_len);
}

bool Authenticator::cached(const std::string& key, const std::string& stored_hash) {
  std::lock_guard lock(mu_);
  auto it = verified_.find(key);
  if (it == verified_.end()) return false;
  if (std::chrono::steady_clock::now() > it->second.until || it->second.stored_hash != stored_hash) {
    verified_.erase(it);  // expired, or the password was changed since
    return false;
  }
  return true;
}

void Authenticator::remember(const std::string& key, const std::string& stored_hash) {
  if (policy_.verified_cache_ttl.count() == 0) return;
  std::lock_guard lock(mu_);
  if (verified_.size() > 200000) verified_.clear();  // bounded; refills as users log in
  verified_[key] = Verified{stored_hash, std::chrono::steady_clock::now() + policy_.verified_cache_ttl};
}

uint64_t Authenticator::slow_verifications() {
  std::lock_guard lock(mu_);
  return slow_verifications_;
}

Authenticator::~Authenticator() { pool_.join(); }

bool Authenticator::throttled(const std::string& address, const std::string& user) {
  std::lock_guard lock(mu_);
  auto now = std::chrono::steady_clock::now();
  auto over = [&](std::map<std::string, Failures>& m, const std::string& key, uint32_t limit) {
    auto it = m.find(key);
    if (it == m.end()) return false;
    if (now - it->second.since > policy_.window) {
      m.erase(it);
      return false;
    }
    return it->second.count >= limit;
  };
  return over(by_address_, address, policy_.max_failures_per_address) ||
         over(by_account_, user, policy_.max_failures_per_account);
}

void Authenticator::record_failure(const std::string& address, const std::string& user) {
  std::lock_guard lock(mu_);
  auto now = std::chrono::steady_clock::now();
  for (auto* entry : {&by_address_[address], &by_account_[user]}) {
    if (entry->count == 0 || now - entry->since > policy_.window) *entry = Failures{0, now};
    ++entry->count;
  }
  // Bound the tables: a botnet of many addresses must not grow them without end.
  if (by_address_.size() > 100000) by_address_.clear();
  if (by_account_.size() > 100000) by_account_.clear();
}

void Authenticator::record_success(const std::string& address) {
  std::lock_guard lock(mu_);
  by_address_.erase(address);
}

uint32_t Authenticator::failures_from(const std::string& client_address) {
  std::lock_guard lock(mu_);
  auto it = by_address_.find(client_address);
  return it == by_address_.end() ? 0 : it->second.count;
}

asio::awaitable<bool> Authenticator::verify(std::string password, std::string hash) {
  // Named, not a temporary inside co_await: docs/DEVELOPMENT.md (g++ 12).
  auto check = [password = std::move(password), hash = std::move(hash)]() -> asio::awaitable<bool> {
    co_return verify_password(password, hash);
  };
  co_return co_await asio::co_spawn(pool_, std::move(check), asio::use_awaitable);
}

store::Async<store::Account> Authenticator::authenticate(std::string user, std::string password,
                                                         std::string client_address) {
  std::string key = ascii::lower(user);
  if (throttled(client_address, key)) co_return fail(ErrorCode::kBusy, "too many failed logins");
  auto account = co_await store_.find_account(user);
  if (!account && account.error().code != ErrorCode::kNotFound) co_return account.error();
  const std::string entry = cache_key(key, password);  // key: the lower-cased user
  if (account && cached(entry, account->password_hash)) {
    record_success(client_address);
    co_return account;
  }
  {
    std::lock_guard lock(mu_);
    ++slow_verifications_;
  }
  bool ok = co_await verify(password, account ? account->password_hash : dummy_hash_);
  if (!ok || !account) {
    record_failure(client_address, key);
    if (policy_.failure_delay.count() > 0) {
      asio::steady_timer delay(co_await asio::this_coro::executor, policy_.failure_delay);
      co_await delay.async_wait(asio::use_awaitable);
    }
    co_return fail(ErrorCode::kPermissionDenied, "authentication failed");
  }
  record_success(client_address);
  std::string verified_hash = account->password_hash;
  if (needs_rehash(account->password_hash)) {
    if (auto fresh = hash_password(password)) {
      // Best effort: a failure leaves the old (still valid) hash in place.
      auto update = store_.set_password_hash(account->id, *fresh);
      if (co_await std::move(update)) verified_hash = *fresh;
    }
  }
  remember(entry, verified_hash);
  co_return account;
}

}  // namespace taube::auth
