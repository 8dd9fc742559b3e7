#pragma once
// File-system primitives shared by every library: an owning fd and atomic
// file writes (write, fsync, rename, fsync dir), so a state file is always
// either the old or the new version, whenever berthd is killed.

#include <sys/types.h>

#include <string>
#include <string_view>
#include <utility>

namespace berth::storage {

// Owns a file descriptor; closes it once.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) reset(std::exchange(o.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// How long a written file must survive: a power loss (records under the
// root: fsync of file and dir), or only a crash of berthd (files under the
// run root, gone at reboot anyway: the rename alone is atomic for that, and
// skipping the fsyncs takes tens of ms off each pod start on a busy disk).
enum class Durability { kPowerLoss, kProcessCrash };

// Replaces `path` atomically with `data`: temp file in the same dir, fsync,
// rename, fsync of the dir (no fsyncs for kProcessCrash). Throws
// berth::Error (with the syscall and errno).
void WriteFileAtomic(const std::string& path, std::string_view data, mode_t mode = 0644,
                     Durability durability = Durability::kPowerLoss);

// The whole file; throws berth::Error NOT_FOUND if it does not exist.
std::string ReadFile(const std::string& path);

// mkdir -p with `mode` for the dirs it creates; throws berth::Error.
void MakeDirs(const std::string& path, mode_t mode = 0755);

// fsync of a directory, so a rename or unlink in it is durable.
void SyncDir(const std::string& dir);

}  // namespace berth::storage
