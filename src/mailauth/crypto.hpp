// The OpenSSL calls DKIM needs, behind plain functions: SHA-256, signing and
// verifying the header hash for rsa-sha256 and ed25519-sha256 (RFC 8463 3: Ed25519
// signs the SHA-256 digest of the header data), and public key decoding from a key
// record's p=. Thread-safe (no shared state).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "mailauth/records.hpp"

struct evp_pkey_st;

namespace taube::mailauth {

std::string sha256(std::string_view data);

// Incremental SHA-256 of a canonicalised body, cut at `limit` octets when set.
class BodyHasher {
 public:
  explicit BodyHasher(std::optional<std::uint64_t> limit = std::nullopt);
  ~BodyHasher();
  BodyHasher(const BodyHasher&) = delete;
  BodyHasher& operator=(const BodyHasher&) = delete;
  void update(std::string_view data);
  std::string finish();  // the 32-octet digest
  std::uint64_t hashed_bytes() const { return hashed_; }

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::optional<std::uint64_t> limit_;
  std::uint64_t hashed_ = 0;
};

// The body hash (bh=) of a body under the given canonicalisation and l= limit.
std::string body_hash(std::string_view body, Canon canon,
                      std::optional<std::uint64_t> limit = std::nullopt);

// Signs the header hash input; empty on failure.
std::string sign_header_data(evp_pkey_st* key, DkimAlgorithm algorithm, std::string_view data);

// A public key from a key record: SubjectPublicKeyInfo or PKCS#1 for RSA, the raw
// 32 octets for Ed25519. nullptr with `error` set when unusable (RSA below 1024
// bits is refused, RFC 8301 3.2).
std::shared_ptr<evp_pkey_st> public_key(const DkimKey& key, DkimAlgorithm algorithm,
                                        std::string* error);

bool verify_header_data(evp_pkey_st* key, DkimAlgorithm algorithm, std::string_view data,
                        std::string_view signature);

}  // namespace taube::mailauth
