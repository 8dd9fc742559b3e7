#include "storage/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "storage/base/error.h"
#include "storage/base/unique_fd.h"

namespace berth::storage {

std::optional<FileLock> FileLock::TryAcquire(const std::string& path, pid_t* holder) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) throw SysError("open lock file " + path);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (holder) {
      char buf[32] = {};
      ssize_t n = ::pread(fd.get(), buf, sizeof buf - 1, 0);
      *holder = n > 0 ? static_cast<pid_t>(std::strtol(buf, nullptr, 10)) : 0;
    }
    if (err == EWOULDBLOCK) return std::nullopt;
    throw SysError("flock " + path, err);
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd.get(), 0) != 0 ||
      ::pwrite(fd.get(), pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    throw SysError("write pid to lock file " + path);
  }
  return FileLock(std::move(fd), path);
}

}  // namespace berth::storage
