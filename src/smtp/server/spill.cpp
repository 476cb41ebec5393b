#include "smtp/server/spill.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

namespace taube::smtp::server {

namespace {

Error io_error(std::string_view what) {
  return fail(ErrorCode::kUnavailable, std::string(what) + ": " + std::strerror(errno));
}

}  // namespace

Result<SpillFile> SpillFile::create(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(ErrorCode::kUnavailable, "spill directory " + dir.string() + ": " + ec.message());
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    // Filesystems without O_TMPFILE: a named file, unlinked at once.
    std::string name = (dir / "smtp-XXXXXX").string();
    fd = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd < 0) return io_error("mkostemp " + name);
    ::unlink(name.c_str());
  }
  return SpillFile(fd);
}

SpillFile::SpillFile(SpillFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), size_(std::exchange(other.size_, 0)) {}

SpillFile& SpillFile::operator=(SpillFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

SpillFile::~SpillFile() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> SpillFile::append(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("write");
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
    size_ += static_cast<std::uint64_t>(n);
  }
  return {};
}

Result<std::string> SpillFile::read_all(std::string_view tail) const {
  std::string out;
  out.reserve(static_cast<std::size_t>(size_) + tail.size());
  out.resize(static_cast<std::size_t>(size_));
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("pread");
    }
    if (n == 0) return fail(ErrorCode::kUnavailable, "spill file shorter than written");
    done += static_cast<std::size_t>(n);
  }
  out.append(tail);
  return out;
}

}  // namespace taube::smtp::server
