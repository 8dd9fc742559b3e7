#include "storage/idmap.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "storage/base/error.h"
#include "storage/base/scope.h"
#include "storage/base/unique_fd.h"
#include "storage/fs.h"
#include "storage/mount.h"

namespace berth::storage {
namespace {

// A detached, id-mapped copy of the mount tree at `source`.
UniqueFd MappedClone(const std::string& source, const std::string& userns_path) {
  UniqueFd userns(::open(userns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!userns) throw SysError("open user namespace " + userns_path);
  UniqueFd tree(::open_tree(AT_FDCWD, source.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
  if (!tree) throw SysError("open_tree(OPEN_TREE_CLONE) of " + source);
  struct mount_attr attr {};
  attr.attr_set = MOUNT_ATTR_IDMAP;
  attr.userns_fd = static_cast<uint64_t>(userns.get());
  if (::mount_setattr(tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) != 0) {
    const int err = errno;
    if (err == EINVAL || err == EPERM || err == EOPNOTSUPP) {
      throw FailedPrecondition("id-mapped mount of " + source + ": its file system cannot be id-mapped here (" +
                               std::strerror(err) + ")");
    }
    throw SysError("mount_setattr(MOUNT_ATTR_IDMAP) on " + source, err);
  }
  return tree;
}

void MoveTo(const UniqueFd& tree, const std::string& target) {
  if (::move_mount(tree.get(), "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0) {
    throw SysError("move_mount of an id-mapped clone to " + target);
  }
}

}  // namespace

void IdmapBind(const std::string& source, const std::string& target, const std::string& userns_path) {
  struct stat st {};
  if (::stat(source.c_str(), &st) != 0) throw SysError("stat " + source);
  const UniqueFd tree = MappedClone(source, userns_path);
  if (S_ISDIR(st.st_mode)) {
    MakeDirs(target, 0755);
  } else {
    MakeDirs(target.substr(0, target.rfind('/')), 0755);
    UniqueFd f(::open(target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    if (!f) throw SysError("create mount point " + target);
  }
  MoveTo(tree, target);
}

void MountOverlayIdmappedLowers(const std::vector<std::string>& lowers, const std::string& upper,
                                const std::string& work, const std::string& target, const std::string& userns_path,
                                const std::string& scratch, uid_t root_uid, gid_t root_gid) {
  MakeDirs(upper, 0755);
  if (::chown(upper.c_str(), root_uid, root_gid) != 0) throw SysError("chown " + upper + " to the pod's root");
  MakeDirs(scratch, 0700);
  ScopeExit cleanup([&] {
    try {
      UnmountEntries(scratch, "id-mapped layer");
      for (const auto& name : DirEntries(scratch)) ::rmdir((scratch + "/" + name).c_str());
      ::rmdir(scratch.c_str());
    } catch (const std::exception&) {
      // Left for the container's removal, which unmounts its run dir's entries first.
    }
  });
  std::vector<std::string> mapped;
  for (size_t i = 0; i < lowers.size(); ++i) {
    mapped.push_back(scratch + "/" + std::to_string(i));
    IdmapBind(lowers[i], mapped.back(), userns_path);
  }
  MountOverlay(mapped, upper, work, target);
}

void UnmountEntries(const std::string& dir, const std::string& what) {
  for (const auto& name : DirEntries(dir)) UnmountAll(dir + "/" + name, what);
}

}  // namespace berth::storage
