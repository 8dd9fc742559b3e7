#include "storage/fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "storage/base/error.h"
#include "storage/base/unique_fd.h"

namespace berth::storage {
namespace fs = std::filesystem;

void SyncDir(const std::string& dir) {
  UniqueFd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!d) throw SysError("open dir " + dir);
  if (::fsync(d.get()) != 0) throw SysError("fsync dir " + dir);
}

void WriteFileAtomic(const std::string& path, std::string_view data, mode_t mode, Durability durability) {
  const bool sync = durability == Durability::kPowerLoss;
  const std::string dir = fs::path(path).parent_path().string();
  std::string tmp = path + ".tmp-XXXXXX";
  UniqueFd fd(::mkostemp(tmp.data(), O_CLOEXEC));
  if (!fd) throw SysError("create temp file for " + path);
  auto fail = [&](const std::string& what) {
    int err = errno;
    ::unlink(tmp.c_str());
    return SysError(what + " " + tmp, err);
  };
  for (size_t off = 0; off < data.size();) {
    ssize_t n = ::write(fd.get(), data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw fail("write");
    off += static_cast<size_t>(n);
  }
  if (::fchmod(fd.get(), mode) != 0) throw fail("fchmod");
  if (sync && ::fsync(fd.get()) != 0) throw fail("fsync");
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) throw fail("rename to " + path + " from");
  if (sync) SyncDir(dir.empty() ? "." : dir);
}

int RemoveAtomicWriteLeftovers(const std::string& dir) {
  int removed = 0;
  for (const auto& name : DirEntries(dir)) {
    const size_t at = name.rfind(".tmp-");
    if (at == std::string::npos || at == 0 || name.size() != at + 5 + 6) continue;  // mkostemp's six
    if (::unlink((dir + "/" + name).c_str()) == 0) ++removed;
  }
  return removed;
}

namespace {

std::string ReadAll(const UniqueFd& fd, const std::string& path) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SysError("read " + path);
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

}  // namespace

std::string ReadFile(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw SysError("open " + path);
  return ReadAll(fd, path);
}

// No exception for the common "not there": exit files are read for every
// live container on each List and Status.
std::optional<std::string> ReadFileIfExists(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd && errno == ENOENT) return std::nullopt;
  if (!fd) throw SysError("open " + path);
  return ReadAll(fd, path);
}

void RemoveAll(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) throw SysError("remove " + path, ec.value());
}

std::vector<std::string> DirEntries(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) out.push_back(e.path().filename().string());
  return out;
}

void MakeDirs(const std::string& path, mode_t mode) {
  std::string cur;
  for (const auto& part : fs::path(path)) {
    cur = (fs::path(cur) / part).string();
    if (cur == "/") continue;
    if (::mkdir(cur.c_str(), mode) != 0 && errno != EEXIST) throw SysError("mkdir " + cur);
  }
}

}  // namespace berth::storage
