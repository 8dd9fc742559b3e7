#pragma once
// An exclusive flock on a file, held for the object's lifetime. The kernel
// drops it when the process dies, so a crashed berthd never leaves a stale lock.

#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>

#include "storage/base/unique_fd.h"

namespace berth::storage {

class FileLock {
 public:
  // Locks `path` (created if missing) and writes our pid into it. Returns
  // nullopt if another process holds it; *holder gets that process's pid
  // (0 if unknown). Throws berth::Error (syscall, errno) for other failures.
  static std::optional<FileLock> TryAcquire(const std::string& path, pid_t* holder);

  const std::string& path() const { return path_; }

 private:
  FileLock(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  UniqueFd fd_;  // closing it releases the flock
  std::string path_;
};

}  // namespace berth::storage
