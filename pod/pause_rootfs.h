#pragma once
// The pause container's rootfs: berth's built-in one (Layout::PauseRootfs),
// holding only the static berth-pause binary as /pause (and the empty mount
// points runc needs), so a pod needs no image pull, shared read-only by every
// sandbox; or, when config pause.image names one, a read-only overlay of that
// image's layers per sandbox.

#include <string>

#include "config/layout.h"
#include "pod/pause_process.h"

namespace berth::pod {

// Creates or refreshes the rootfs from `pause_binary` (copied again when its
// content changed) and returns the rootfs path. Thread-safe. Throws
// berth::Error (FAILED_PRECONDITION when the binary is missing).
std::string EnsurePauseRootfs(const config::Layout& layout, const std::string& pause_binary);

// Mounts `image` read-only at `target`, under a top layer of empty mount
// points (Layout::PauseMountpoints): runc cannot create them in a read-only
// overlay. Undone by storage::UnmountAll. Throws berth::Error.
void MountPauseImageRootfs(const config::Layout& layout, const PauseImage& image, const std::string& target);

}  // namespace berth::pod
