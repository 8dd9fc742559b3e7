#pragma once
// Unpacks one OCI/Docker layer (tar, tar+gzip or tar+zstd, detected from its
// magic bytes) into a directory, in one pass computing the diff_id (sha256 of
// the uncompressed tar). OCI whiteouts become overlayfs whiteouts: `.wh.<name>`
// a 0:0 char device, `.wh..wh..opq` the trusted.overlay.opaque="y" xattr.
// Entries with absolute paths or ".." components, or whose path goes through
// a symlink, are refused (FAILED_PRECONDITION naming the entry); nothing is
// ever written outside `dest`.

#include <cstdint>
#include <string>

#include "storage/digest.h"

namespace berth::storage {

struct UnpackResult {
  Digest diff_id;             // sha256 of the uncompressed tar stream
  int64_t uncompressed_size;  // bytes of the uncompressed tar stream
};

// `fd` is read from its current offset to EOF (not closed). `dest` must exist.
// Ownership, modes, mtimes, xattrs and device nodes are kept (needs root).
UnpackResult UnpackLayer(int fd, const std::string& dest);
UnpackResult UnpackLayer(const std::string& blob_path, const std::string& dest);

}  // namespace berth::storage
