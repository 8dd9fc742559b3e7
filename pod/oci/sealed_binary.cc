#include "pod/oci/sealed_binary.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <mutex>

namespace berth::pod::oci {
namespace {

// runc accepts exactly these seals as "already cloned".
constexpr int kSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

struct Identity {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  int64_t mtime_ns = 0;
  bool operator==(const Identity&) const = default;
};

Identity IdentityOf(const struct stat& st) {
  return {st.st_dev, st.st_ino, st.st_size, static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

bool IsElf(int fd) {
  char magic[4] = {};
  return ::pread(fd, magic, sizeof magic, 0) == 4 && std::memcmp(magic, "\x7f" "ELF", 4) == 0;
}

// The sealed copy of `src` (size bytes); an empty fd, with `why`, if it cannot be made.
UniqueFd SealedCopy(int src, off_t size, std::string& why) {
  UniqueFd copy(::memfd_create("berth-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!copy) {
    why = std::string("memfd_create: ") + std::strerror(errno);
    return {};
  }
  off_t offset = 0;
  while (offset < size) {
    const ssize_t n = ::sendfile(copy.get(), src, &offset, static_cast<size_t>(size - offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      why = std::string("copying: ") + (n < 0 ? std::strerror(errno) : "file shrank");
      return {};
    }
  }
  if (::fcntl(copy.get(), F_ADD_SEALS, kSeals) != 0) {
    why = std::string("sealing: ") + std::strerror(errno);
    return {};
  }
  return copy;
}

struct Cached {
  Identity id;
  std::shared_ptr<const SealedBinary> binary;
};

}  // namespace

std::shared_ptr<const SealedBinary> SealedBinary::For(const std::string& path) {
  static std::mutex mu;
  static std::map<std::string, Cached> cache;
  std::lock_guard lock(mu);
  struct stat st {};
  auto it = cache.find(path);
  if (::stat(path.c_str(), &st) == 0 && it != cache.end() && it->second.id == IdentityOf(st)) return it->second.binary;
  UniqueFd src(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!src || ::fstat(src.get(), &st) != 0) {
    // Not there (yet): run the path, and let the spawn say what is wrong.
    return std::make_shared<SealedBinary>(UniqueFd(), path);
  }
  const Identity id = IdentityOf(st);
  std::string why = "not an ELF binary";
  UniqueFd copy = S_ISREG(st.st_mode) && IsElf(src.get()) ? SealedCopy(src.get(), st.st_size, why) : UniqueFd();
  std::shared_ptr<const SealedBinary> binary;
  if (copy) {
    // Through berthd's own fd table: a child closes every fd it was not
    // given before it execs, and one given to it would stay open in the runtime.
    const std::string exec_path = "/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(copy.get());
    binary = std::make_shared<SealedBinary>(std::move(copy), exec_path);
    spdlog::info("runtime {}: run from a sealed copy ({} bytes), so runc skips copying itself at each create and exec",
                 path, st.st_size);
  } else {
    binary = std::make_shared<SealedBinary>(UniqueFd(), path);
    spdlog::info("runtime {}: run from its file ({})", path, why);
  }
  cache[path] = {id, binary};
  return binary;
}

}  // namespace berth::pod::oci
