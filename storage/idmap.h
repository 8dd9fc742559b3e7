#pragma once
// Id-mapped mounts (mount_setattr MOUNT_ATTR_IDMAP): files keep their ids on
// disk but are seen through a user namespace's mapping, so a pod's mapped
// root owns what host root owns. What runc 1.1 cannot do for a user
// namespace pod, berth does before runc runs.

#include <sys/types.h>

#include <string>
#include <vector>

namespace berth::storage {

// Mounts an overlay at `target` whose lower dirs (top first) are seen
// through the user namespace pinned at `userns_path` (overlay itself cannot
// be id-mapped, but it takes id-mapped layers): each is bound through an
// id-mapped clone under `scratch`, which goes once the overlay holds its own
// private copies. The upper dir, where the pod's root writes as its host id,
// is made owned by `root_uid`:`root_gid` (the host ids of the pod's root).
void MountOverlayIdmappedLowers(const std::vector<std::string>& lowers, const std::string& upper,
                                const std::string& work, const std::string& target, const std::string& userns_path,
                                const std::string& scratch, uid_t root_uid, gid_t root_gid);

// Mounts an id-mapped clone of `source` (its whole tree) at `target` (made,
// as a dir or an empty file like `source`). Throws berth::Error:
// FAILED_PRECONDITION when the file system cannot be id-mapped (EINVAL,
// EPERM), SysError otherwise.
void IdmapBind(const std::string& source, const std::string& target, const std::string& userns_path);

// Unmounts whatever is mounted on an entry of `dir` (id-mapped clones made
// with IdmapBind), so the dir can be removed without descending into them;
// fine when `dir` does not exist.
void UnmountEntries(const std::string& dir, const std::string& what);

}  // namespace berth::storage
