#pragma once
// berth's built-in pause rootfs: <root>/pause-rootfs holding only the static
// berth-pause binary as /pause (and the empty mount points runc needs), so a
// pod needs no image pull. It is mounted read-only by every sandbox.

#include <string>

namespace berth::pod {

// Creates or refreshes the rootfs from `pause_binary` (copied again when its
// content changed) and returns the rootfs path. Thread-safe. Throws
// berth::Error (FAILED_PRECONDITION when the binary is missing).
std::string EnsurePauseRootfs(const std::string& root, const std::string& pause_binary);

}  // namespace berth::pod
