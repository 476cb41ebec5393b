// BlobStore: raw message bytes addressed by their SHA-256, so that a message to
// 20,000 recipients is stored once and an object store (S3 API) can take the
// blobs later without touching metadata code. Engines keep the reference counts
// (a blob goes away with the last message that points at it); this interface is
// for the engine's own use, admin tools and tests. Thread-safe; awaitables as in
// store.hpp (not cancellable: a started operation runs to completion).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <string>

#include "base/error.hpp"

namespace taube::store {

class BlobStore {
 public:
  virtual ~BlobStore() = default;

  // Stores `raw` (compressed by the engine) and returns its lower-case hex
  // SHA-256. Idempotent: putting existing content returns the same hash. A blob
  // put without any message referencing it may be removed by erase().
  // Errors: kUnavailable (disk, database), kTooLarge.
  virtual boost::asio::awaitable<Result<std::string>> put(std::string raw) = 0;

  // The raw bytes of `hash`, decompressed and checksum-verified.
  // Errors: kNotFound; kInternal when the stored frame is corrupt; kUnavailable.
  virtual boost::asio::awaitable<Result<std::string>> get(std::string hash) = 0;

  // Removes an unreferenced blob. Errors: kNotFound; kConflict while a message
  // still references it; kUnavailable.
  virtual boost::asio::awaitable<Result<void>> erase(std::string hash) = 0;

  // Number of distinct blobs stored (admin, tests).
  virtual boost::asio::awaitable<Result<std::uint64_t>> count() = 0;
};

}  // namespace taube::store
