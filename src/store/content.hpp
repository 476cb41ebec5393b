// Content addressing and compression of raw messages, shared by every engine so
// that a blob hash means the same everywhere: SHA-256 (OpenSSL EVP) in lower-case
// hex, and zstd frames carrying a content checksum (a flipped byte is detected,
// not silently decoded). Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace taube::store {

// Lower-case hex SHA-256 of `data` (64 characters).
std::string sha256_hex(std::string_view data);

// A zstd frame with ZSTD_c_checksumFlag and the content size. Errors: kInternal.
Result<std::string> compress(std::string_view raw);

// Inverse of compress(). Errors: kInternal when the frame is corrupt or its
// checksum fails; kTooLarge when the content would exceed max_bytes.
Result<std::string> decompress(std::string_view frame, std::size_t max_bytes);

}  // namespace taube::store
