#pragma once
// Reading a file of an image's rootfs as a process inside it would see it.

#include <cstddef>
#include <string>

namespace berth::storage {

// More than an image's /etc/passwd or /etc/group can sensibly hold.
inline constexpr size_t kMaxRootfsFileBytes = 4 << 20;

// Reads `rel` under `root` with symlinks resolved inside `root` (openat2
// RESOLVE_IN_ROOT), so an image's /etc/passwd -> /etc/shadow stays in the
// image. "" when the file does not exist; INVALID_ARGUMENT when it is not a
// regular file (a FIFO would block) or larger than `max_bytes`; SysError otherwise.
std::string ReadInRoot(const std::string& root, const std::string& rel, size_t max_bytes = kMaxRootfsFileBytes);

}  // namespace berth::storage
