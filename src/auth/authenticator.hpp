// Checks user names and passwords for every protocol (SMTP AUTH, IMAP, POP3, HTTP
// Basic). Password hashing is CPU-heavy (argon2id), so it runs on a small thread pool
// of its own and never on the I/O threads. Failed attempts are throttled per client
// address and per account. Thread-safe; the Store must outlive it.
#pragma once

#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "store/store.hpp"

namespace taube::auth {

struct ThrottlePolicy {
  // Every failed attempt is answered only after this delay (Dovecot: 2 s), which
  // makes guessing slow without a shared lock-out.
  std::chrono::milliseconds failure_delay{2000};
  // More recent failures than this from one address, or for one account, and further
  // attempts are refused without checking the password (kBusy) until the window passes.
  uint32_t max_failures_per_address = 10;
  uint32_t max_failures_per_account = 30;
  std::chrono::seconds window{900};
  // A successful verification is remembered this long, so that 20,000 clients
  // reconnecting after a node failure do not each cost a full argon2id (about 30 ms
  // of CPU): promise 2. 0 turns the cache off.
  std::chrono::seconds verified_cache_ttl{3600};
};

class Authenticator {
 public:
  explicit Authenticator(store::Store& store, ThrottlePolicy policy = {}, unsigned hash_threads = 2);
  ~Authenticator();

  // The account for `user` (an address, case-insensitive) if `password` is right.
  // Errors: kPermissionDenied (unknown user or wrong password: deliberately the
  // same), kBusy (too many recent failures; answer "try later"), kUnavailable (store).
  // A stored hash in an old format is replaced by argon2id on success.
  store::Async<store::Account> authenticate(std::string user, std::string password, std::string client_address);

  // Recent failures counted against an address (tests, metrics).
  uint32_t failures_from(const std::string& client_address);

 private:
  struct Failures {
    uint32_t count = 0;
    std::chrono::steady_clock::time_point since;
  };
  bool throttled(const std::string& address, const std::string& user);
  void record_failure(const std::string& address, const std::string& user);
  void record_success(const std::string& address);
  boost::asio::awaitable<bool> verify(std::string password, std::string hash);
  // HMAC-SHA256 under a per-process random key of user and password: the cache holds
  // no password and nothing that outlives the process.
  std::string cache_key(const std::string& user, const std::string& password) const;
  bool cached(const std::string& key, const std::string& stored_hash);
  void remember(const std::string& key, const std::string& stored_hash);

  struct Verified {
    std::string stored_hash;  // valid only while the account still has this hash
    std::chrono::steady_clock::time_point until;
  };

  store::Store& store_;
  ThrottlePolicy policy_;
  boost::asio::thread_pool pool_;
  std::string dummy_hash_;  // verified for unknown users, so they cost the same time
  std::mutex mu_;
  std::map<std::string, Failures> by_address_;
  std::map<std::string, Failures> by_account_;
  unsigned char cache_secret_[32];
  std::map<std::string, Verified> verified_;
  uint64_t slow_verifications_ = 0;

 public:
  // Full password hash computations so far (tests, metrics).
  uint64_t slow_verifications();
};

}  // namespace taube::auth
