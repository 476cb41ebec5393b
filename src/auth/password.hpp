// Password hashing for accounts. New hashes are argon2id in the PHC string format;
// verification also accepts the crypt(3) formats an older server leaves behind
// ($6$ SHA512-CRYPT, $5$, $2y$/$2b$ bcrypt, also with a Dovecot-style {SCHEME} prefix),
// so accounts can be migrated without knowing their passwords. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/error.hpp"

namespace taube::auth {

struct HashParams {
  // OWASP's argon2id recommendation: 19 MiB, 2 passes, 1 lane.
  uint32_t memory_kib = 19 * 1024;
  uint32_t passes = 2;
  uint32_t lanes = 1;
};

// A new argon2id hash with a random salt. Internal on a failure of the RNG or allocation.
Result<std::string> hash_password(std::string_view password, const HashParams& params = {});

// True when `password` matches `stored`. Unknown or malformed hash formats never match.
// Runs in time independent of where the password differs.
bool verify_password(std::string_view password, std::string_view stored);

// Whether a stored hash should be replaced by a fresh argon2id one at the next login.
bool needs_rehash(std::string_view stored);

}  // namespace taube::auth
