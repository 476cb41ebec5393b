#include "auth/password.hpp"

#include <argon2.h>
#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cstring>
#include <vector>

#include "base/ascii.hpp"

namespace taube::auth {
namespace {

constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;

// Strips a Dovecot-style "{SHA512-CRYPT}" or "{BLF-CRYPT}" prefix; crypt() knows the rest.
std::string_view strip_scheme(std::string_view stored) {
  if (!stored.empty() && stored.front() == '{') {
    auto close = stored.find('}');
    if (close != std::string_view::npos) {
      std::string_view scheme = stored.substr(1, close - 1);
      for (std::string_view known : {"SHA512-CRYPT", "SHA256-CRYPT", "BLF-CRYPT", "CRYPT", "ARGON2ID"}) {
        if (ascii::iequals(scheme, known)) return stored.substr(close + 1);
      }
      return {};
    }
  }
  return stored;
}

}  // namespace

Result<std::string> hash_password(std::string_view password, const HashParams& params) {
  unsigned char salt[kSaltBytes];
  if (RAND_bytes(salt, sizeof salt) != 1) return fail(ErrorCode::kInternal, "RAND_bytes failed");
  size_t len = argon2_encodedlen(params.passes, params.memory_kib, params.lanes, kSaltBytes, kHashBytes,
                                 Argon2_id);
  std::vector<char> encoded(len);
  int rc = argon2id_hash_encoded(params.passes, params.memory_kib, params.lanes, password.data(),
                                 password.size(), salt, sizeof salt, kHashBytes, encoded.data(), len);
  if (rc != ARGON2_OK) return fail(ErrorCode::kInternal, argon2_error_message(rc));
  return std::string(encoded.data());
}

bool verify_password(std::string_view password, std::string_view stored) {
  stored = strip_scheme(stored);
  if (stored.empty()) return false;
  std::string hash(stored);  // NUL-terminated copies for the C APIs
  std::string pw(password);
  if (pw.size() != password.size() || pw.find('\0') != std::string::npos) return false;
  if (hash.rfind("$argon2id$", 0) == 0) {
    return argon2id_verify(hash.c_str(), pw.data(), pw.size()) == ARGON2_OK;
  }
  if (hash.rfind("$argon2i$", 0) == 0) {
    return argon2i_verify(hash.c_str(), pw.data(), pw.size()) == ARGON2_OK;
  }
  bool crypt_format = hash.rfind("$6$", 0) == 0 || hash.rfind("$5$", 0) == 0 ||
                      hash.rfind("$2y$", 0) == 0 || hash.rfind("$2b$", 0) == 0;
  if (!crypt_format) return false;
  crypt_data data;
  std::memset(&data, 0, sizeof data);
  const char* out = crypt_r(pw.c_str(), hash.c_str(), &data);
  if (!out || out[0] == '*') return false;
  size_t n = std::strlen(out);
  return n == hash.size() && CRYPTO_memcmp(out, hash.data(), n) == 0;
}

bool needs_rehash(std::string_view stored) {
  return strip_scheme(stored).rfind("$argon2id$", 0) != 0;
}

}  // namespace taube::auth
