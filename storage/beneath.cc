#include "storage/beneath.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <filesystem>
#include <vector>

#include "storage/base/error.h"
#include "storage/base/unique_fd.h"
#include "storage/fs.h"

namespace berth::storage {
namespace fs = std::filesystem;

namespace {

// Opens `name` in `dir` as a directory without following a symlink.
UniqueFd OpenDirNoFollow(int dir, const std::string& name, const std::string& what, const std::string& whole) {
  UniqueFd next(::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (next) return next;
  if (errno == ELOOP || errno == ENOTDIR) {
    throw InvalidArgument(what + ": " + Quoted(name) + " in " + Quoted(whole) + " is a symlink or not a directory");
  }
  throw SysError("open " + name + " in " + whole);
}

}  // namespace

void MakeDirsNoSymlinks(const std::string& path, const std::string& what, mode_t mode) {
  const fs::path p(path);
  if (!p.is_absolute()) throw InvalidArgument(what + ": " + Quoted(path) + " is not an absolute path");
  UniqueFd dir(::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) throw SysError("open /");
  for (const auto& part : p.lexically_normal().relative_path()) {
    const std::string name = part.string();
    if (name.empty() || name == ".") continue;
    if (name == "..") throw InvalidArgument(what + ": " + Quoted(path) + " holds '..'");
    if (::mkdirat(dir.get(), name.c_str(), mode) != 0 && errno != EEXIST) throw SysError("mkdir " + name + " in " + path);
    dir = OpenDirNoFollow(dir.get(), name, what, path);
  }
}

void PrepareFileBeneath(const std::string& base, const std::string& rel, const std::string& what, mode_t dir_mode) {
  const fs::path r(rel);
  if (r.is_absolute() || rel.empty()) throw InvalidArgument(what + ": " + Quoted(rel) + " is not a relative path");
  std::vector<std::string> parts;
  for (const auto& p : r.lexically_normal()) {
    if (p == "..") throw InvalidArgument(what + ": " + Quoted(rel) + " leaves its directory");
    if (!p.empty() && p != ".") parts.push_back(p.string());
  }
  if (parts.empty()) throw InvalidArgument(what + ": " + Quoted(rel) + " names no file");
  MakeDirs(base, dir_mode);
  UniqueFd dir(::open(base.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) throw SysError("open " + base);
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    if (::mkdirat(dir.get(), parts[i].c_str(), dir_mode) != 0 && errno != EEXIST) {
      throw SysError("mkdir " + parts[i] + " in " + base);
    }
    dir = OpenDirNoFollow(dir.get(), parts[i], what, rel);
  }
  struct stat st {};
  if (::fstatat(dir.get(), parts.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (!S_ISREG(st.st_mode)) throw InvalidArgument(what + ": " + Quoted(rel) + " exists and is not a regular file");
  } else if (errno != ENOENT) {
    throw SysError("stat " + rel + " in " + base);
  }
}

}  // namespace berth::storage
