// SpillFile: where a message that outgrew the memory threshold is written while it
// arrives (DATA/BDAT), so that a large or slow upload, or many at once, never holds
// the message in RAM. The file is unlinked from the start (O_TMPFILE, else
// mkstemp + unlink): nothing is left behind by a crash, and the space is freed on
// close. Writes are plain (no fsync): durability comes from the store's commit.
// Blocking file I/O on the session's thread, 16 KiB at a time (page cache).
// One per message; move-only; not thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace taube::smtp::server {

class SpillFile {
 public:
  // Creates the unlinked file in `dir` (created if missing). kUnavailable on failure.
  static Result<SpillFile> create(const std::filesystem::path& dir);

  SpillFile(SpillFile&& other) noexcept;
  SpillFile& operator=(SpillFile&& other) noexcept;
  SpillFile(const SpillFile&) = delete;
  SpillFile& operator=(const SpillFile&) = delete;
  ~SpillFile();

  Result<void> append(std::string_view bytes);
  std::uint64_t size() const { return size_; }
  // Everything written, then `tail`, as one string (the store takes the message
  // as a string; see README.md "Large messages").
  Result<std::string> read_all(std::string_view tail) const;

 private:
  explicit SpillFile(int fd) : fd_(fd) {}
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

}  // namespace taube::smtp::server
