// Spool: a local, fsync'd directory of accepted messages that could not be
// delivered because the store was unavailable (DESIGN.md promise 3, "Degraded,
// never dark"). The SMTP/LMTP shell writes here before answering 250; the replayer
// in server/ delivers each entry to the store and then removes it. One file per
// message, written to "tmp.<id>", fsync'd, renamed to "msg.<id>", directory fsync'd:
// a crash leaves either no entry or a complete one; stray "tmp.*" files are removed
// by open(). Bounded by max_bytes (kQuotaExceeded beyond it). Thread-safe (one mutex);
// blocking file I/O: calls take milliseconds (one or two fsyncs).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace taube::spool {

// One spooled message: the raw bytes plus the envelope.
struct Entry {
  std::string id;                      // unique, assigned by write(); file name suffix
  std::string sender;                  // MAIL FROM reverse-path ("" for <>)
  std::chrono::sys_seconds received{};  // internal date of the message
  std::vector<std::int64_t> accounts;  // recipients already resolved to account ids
  std::vector<std::string> addresses;  // recipients not resolved yet (store was down)
  // The idempotency key of a delivery attempt whose outcome is unknown (the store
  // failed during its commit); the replay reuses it so that it cannot store twice.
  std::string delivery_key;
  std::string raw;                     // the message bytes (CRLF), with trace headers
};

class Spool {
 public:
  // Opens (creating) `directory`, removes half-written "tmp.*" files and counts the
  // bytes of the complete entries. Errors: kUnavailable (directory not usable).
  static Result<std::unique_ptr<Spool>> open(std::filesystem::path directory,
                                             std::uint64_t max_bytes);

  // Durably writes `entry` (its id is assigned here and returned): it survives a
  // crash once this returns. Errors: kQuotaExceeded when the spool would exceed
  // max_bytes (nothing written); kUnavailable on an I/O error (nothing left behind).
  Result<std::string> write(Entry entry);
  // Ids of the complete entries, oldest first (ids sort by time of writing).
  Result<std::vector<std::string>> list() const;
  // Errors: kNotFound; kInternal when the file is not a valid entry.
  Result<Entry> read(const std::string& id) const;
  // Removes an entry durably (directory fsync'd). Errors: kNotFound, kUnavailable.
  Result<void> remove(const std::string& id);

  std::uint64_t used_bytes() const;
  std::size_t size() const;  // number of entries
  const std::filesystem::path& directory() const { return directory_; }

 private:
  Spool(std::filesystem::path directory, std::uint64_t max_bytes)
      : directory_(std::move(directory)), max_bytes_(max_bytes) {}
  std::string next_id();

  const std::filesystem::path directory_;
  const std::uint64_t max_bytes_;
  mutable std::mutex mutex_;
  std::uint64_t used_bytes_ = 0;
  std::size_t entries_ = 0;
  std::uint64_t sequence_ = 0;
};

// The file format, exposed for tests: a text header ("taube-spool 1", then
// "id", "sender", "received", "account", "address", "bytes" lines), an empty
// line, then exactly `bytes` octets of the message.
std::string encode(const Entry& entry);
Result<Entry> decode(std::string_view file);

}  // namespace taube::spool
