#pragma once
// A file a request names, kept beneath the directory it belongs to: no
// component on the way may be a symlink (one could point anywhere on the
// host), so berth never creates or opens something outside it.

#include <sys/types.h>

#include <string>

namespace berth::storage {

// Creates `base` (mkdir -p, an existing one left as it is) and the
// directories of `rel` below it, walking with O_NOFOLLOW from `base` on, and
// checks that `rel` itself is missing or a regular file. `rel` is relative
// and holds no "..". Throws INVALID_ARGUMENT naming `what` when a component
// is a symlink or not a directory, or the file is not a regular file.
void PrepareFileBeneath(const std::string& base, const std::string& rel, const std::string& what,
                        mode_t dir_mode = 0755);

// mkdir -p of the absolute `path` along real directories only: a symlink on
// the way (which could send the new directories anywhere) is refused with
// INVALID_ARGUMENT naming `what`, as is a component that is no directory.
void MakeDirsNoSymlinks(const std::string& path, const std::string& what, mode_t mode = 0755);

}  // namespace berth::storage
