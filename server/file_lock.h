#pragma once
// An exclusive flock on a file, held for the object's lifetime. The kernel
// drops it when the process dies, so a crashed berthd never leaves a stale lock.

#include <sys/types.h>

#include <optional>
#include <utility>
#include <string>

namespace berth::server {

class FileLock {
 public:
  // Locks `path` (created if missing) and writes our pid into it. Returns
  // nullopt if another process holds it; *holder gets that process's pid
  // (0 if unknown). Throws std::system_error for other failures.
  static std::optional<FileLock> TryAcquire(const std::string& path, pid_t* holder);

  FileLock(FileLock&& o) noexcept : fd_(o.fd_), path_(std::move(o.path_)) { o.fd_ = -1; }
  FileLock& operator=(FileLock&& o) noexcept {
    std::swap(fd_, o.fd_);
    std::swap(path_, o.path_);
    return *this;
  }
  FileLock(const FileLock&) = delete;
  ~FileLock();

  const std::string& path() const { return path_; }

 private:
  FileLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
};

}  // namespace berth::server
