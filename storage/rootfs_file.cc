#include "storage/rootfs_file.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "storage/base/error.h"
#include "storage/base/unique_fd.h"
#include "storage/fs.h"

namespace berth::storage {

std::string ReadInRoot(const std::string& root, const std::string& rel, size_t max_bytes) {
  UniqueFd dir(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir) throw SysError("open rootfs " + root);
  open_how how{};
  // O_NONBLOCK: a FIFO (an image layer may hold one) must not wait for a writer.
  how.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  UniqueFd fd(static_cast<int>(::syscall(SYS_openat2, dir.get(), rel.c_str(), &how, sizeof how)));
  if (!fd) {
    if (errno == ENOENT || errno == ENOTDIR) return "";
    throw SysError("open " + rel + " in rootfs " + root);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw SysError("fstat " + rel + " in rootfs " + root);
  if (!S_ISREG(st.st_mode)) throw InvalidArgument("read " + rel + " in rootfs " + root + ": not a regular file");
  std::string out;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SysError("read " + rel + " in rootfs " + root);
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max_bytes) {
      throw InvalidArgument("image file " + rel + " is larger than " + std::to_string(max_bytes) + " bytes");
    }
  }
}

}  // namespace berth::storage
