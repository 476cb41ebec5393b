#include "spool/spool.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

namespace taube::spool {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kMagic = "taube-spool 1";
constexpr std::string_view kEntryPrefix = "msg.";
constexpr std::string_view kTempPrefix = "tmp.";

Error io_error(std::string_view what, const fs::path& path) {
  return fail(ErrorCode::kUnavailable,
              std::string(what) + " " + path.string() + ": " + std::strerror(errno));
}

bool has_newline(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

// Writes all of `data` to `fd`; false with errno set on failure.
bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

Result<void> fsync_directory(const fs::path& directory) {
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("open", directory);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return io_error("fsync", directory);
  return {};
}

}  // namespace

std::string encode(const Entry& entry) {
  std::string out;
  out.reserve(entry.raw.size() + 256);
  out += kMagic;
  out += "\nid " + entry.id;
  out += "\nsender " + entry.sender;
  out += "\nreceived " + std::to_string(entry.received.time_since_epoch().count());
  for (std::int64_t a : entry.accounts) out += "\naccount " + std::to_string(a);
  for (const std::string& a : entry.addresses) out += "\naddress " + a;
  if (!entry.delivery_key.empty()) out += "\nkey " + entry.delivery_key;
  out += "\nbytes " + std::to_string(entry.raw.size());
  out += "\n\n";
  out += entry.raw;
  return out;
}

Result<Entry> decode(std::string_view file) {
  auto bad = [](std::string why) { return fail(ErrorCode::kInternal, "spool entry: " + why); };
  Entry e;
  std::size_t pos = 0;
  bool first = true;
  std::optional<std::uint64_t> bytes;
  for (;;) {
    const std::size_t eol = file.find('\n', pos);
    if (eol == std::string_view::npos) return bad("header not terminated");
    const std::string_view line = file.substr(pos, eol - pos);
    pos = eol + 1;
    if (first) {
      if (line != kMagic) return bad("not a spool file");
      first = false;
      continue;
    }
    if (line.empty()) break;
    const std::size_t space = line.find(' ');
    const std::string_view key = line.substr(0, space);
    const std::string value(space == std::string_view::npos ? std::string_view()
                                                            : line.substr(space + 1));
    try {
      if (key == "id")
        e.id = value;
      else if (key == "sender")
        e.sender = value;
      else if (key == "received")
        e.received = std::chrono::sys_seconds(std::chrono::seconds(std::stoll(value)));
      else if (key == "account")
        e.accounts.push_back(std::stoll(value));
      else if (key == "address")
        e.addresses.push_back(value);
      else if (key == "key")
        e.delivery_key = value;
      else if (key == "bytes")
        bytes = std::stoull(value);
      else
        return bad("unknown field " + std::string(key));
    } catch (const std::exception&) {
      return bad("bad number in " + std::string(key));
    }
  }
  if (!bytes || file.size() - pos != *bytes) return bad("size mismatch");
  e.raw = std::string(file.substr(pos));
  return e;
}

Result<std::unique_ptr<Spool>> Spool::open(fs::path directory, std::uint64_t max_bytes) {
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec) return fail(ErrorCode::kUnavailable, "spool " + directory.string() + ": " + ec.message());
  std::unique_ptr<Spool> spool(new Spool(directory, max_bytes));
  bool removed = false;
  for (const fs::directory_entry& d : fs::directory_iterator(directory, ec)) {
    const std::string name = d.path().filename().string();
    if (name.starts_with(kTempPrefix)) {
      // A write that never reached its rename: never acknowledged, safe to drop.
      fs::remove(d.path(), ec);
      removed = true;
    } else if (name.starts_with(kEntryPrefix)) {
      spool->used_bytes_ += d.file_size(ec);
      ++spool->entries_;
    }
  }
  if (ec) return fail(ErrorCode::kUnavailable, "spool " + directory.string() + ": " + ec.message());
  if (removed) TAUBE_TRY(fsync_directory(directory));
  return spool;
}

std::string Spool::next_id() {
  // Nanoseconds since the epoch (fixed width: ids sort by age), pid and a counter:
  // unique across restarts and across processes sharing the directory.
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  char buf[64];
  std::snprintf(buf, sizeof buf, "%020lld-%d-%llu", static_cast<long long>(ns),
                static_cast<int>(::getpid()), static_cast<unsigned long long>(++sequence_));
  return buf;
}

Result<std::string> Spool::write(Entry entry) {
  if (has_newline(entry.sender))
    return fail(ErrorCode::kInvalidArgument, "line break in sender");
  for (const std::string& a : entry.addresses)
    if (has_newline(a)) return fail(ErrorCode::kInvalidArgument, "line break in address");
  std::unique_lock lock(mutex_);
  entry.id = next_id();
  const std::string data = encode(entry);
  if (used_bytes_ + data.size() > max_bytes_)
    return fail(ErrorCode::kQuotaExceeded, "spool full");
  // Reserve the space before unlocking so concurrent writers cannot overshoot.
  used_bytes_ += data.size();
  lock.unlock();

  const fs::path temp = directory_ / (std::string(kTempPrefix) + entry.id);
  const fs::path final_path = directory_ / (std::string(kEntryPrefix) + entry.id);
  auto undo = [&](Error e) {
    ::unlink(temp.c_str());
    std::lock_guard relock(mutex_);
    used_bytes_ -= data.size();
    return e;
  };
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return undo(io_error("open", temp));
  if (!write_all(fd, data) || ::fsync(fd) != 0) {
    Error e = io_error("write", temp);
    ::close(fd);
    return undo(std::move(e));
  }
  if (::close(fd) != 0) return undo(io_error("close", temp));
  if (::rename(temp.c_str(), final_path.c_str()) != 0) return undo(io_error("rename", temp));
  if (Result<void> synced = fsync_directory(directory_); !synced) {
    ::unlink(final_path.c_str());
    return undo(synced.error());
  }
  std::lock_guard relock(mutex_);
  ++entries_;
  return entry.id;
}

Result<std::vector<std::string>> Spool::list() const {
  std::vector<std::string> ids;
  std::error_code ec;
  for (const fs::directory_entry& d : fs::directory_iterator(directory_, ec)) {
    const std::string name = d.path().filename().string();
    if (name.starts_with(kEntryPrefix)) ids.push_back(name.substr(kEntryPrefix.size()));
  }
  if (ec) return fail(ErrorCode::kUnavailable, "spool list: " + ec.message());
  std::sort(ids.begin(), ids.end());
  return ids;
}

Result<Entry> Spool::read(const std::string& id) const {
  if (id.find('/') != std::string::npos) return fail(ErrorCode::kNotFound, "bad id");
  const fs::path path = directory_ / (std::string(kEntryPrefix) + id);
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::kNotFound, "no spool entry " + id);
  std::ostringstream buf;
  buf << in.rdbuf();
  return decode(buf.str());
}

Result<void> Spool::remove(const std::string& id) {
  if (id.find('/') != std::string::npos) return fail(ErrorCode::kNotFound, "bad id");
  const fs::path path = directory_ / (std::string(kEntryPrefix) + id);
  std::error_code ec;
  const std::uintmax_t bytes = fs::file_size(path, ec);
  if (ec) return fail(ErrorCode::kNotFound, "no spool entry " + id);
  if (::unlink(path.c_str()) != 0) return io_error("unlink", path);
  {
    std::lock_guard lock(mutex_);
    used_bytes_ -= std::min<std::uint64_t>(bytes, used_bytes_);
    if (entries_ > 0) --entries_;
  }
  return fsync_directory(directory_);
}

std::uint64_t Spool::used_bytes() const {
  std::lock_guard lock(mutex_);
  return used_bytes_;
}

std::size_t Spool::size() const {
  std::lock_guard lock(mutex_);
  return entries_;
}

}  // namespace taube::spool
