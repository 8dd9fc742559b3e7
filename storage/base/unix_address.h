#pragma once
// A sockaddr_un for a socket path of any length. sun_path holds 107 bytes,
// less than a run dir under a long run_root with a 64-digit id: longer paths
// go through the parent dir, opened and named as /proc/self/fd/N/<name>.
// Header-only: berth-conmon uses it too and links no berth library.

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace berth {

class UnixAddress {
 public:
  explicit UnixAddress(const std::string& path) {
    std::string name = path;
    if (path.size() >= sizeof(addr_.sun_path)) {
      const auto slash = path.rfind('/');
      const std::string dir = slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
      dir_ = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
      name = "/proc/self/fd/" + std::to_string(dir_) + "/" + path.substr(slash + 1);
    }
    addr_.sun_family = AF_UNIX;
    ok_ = (path.size() < sizeof(addr_.sun_path) || dir_ >= 0) && name.size() < sizeof(addr_.sun_path);
    if (ok_) std::memcpy(addr_.sun_path, name.c_str(), name.size() + 1);
  }
  ~UnixAddress() {
    if (dir_ >= 0) ::close(dir_);
  }
  UnixAddress(const UnixAddress&) = delete;
  UnixAddress& operator=(const UnixAddress&) = delete;

  // False when the dir could not be opened (errno set) or the name is too long.
  bool ok() const { return ok_; }
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&addr_); }
  socklen_t size() const { return sizeof(addr_); }

 private:
  sockaddr_un addr_{};
  int dir_ = -1;
  bool ok_ = false;
};

}  // namespace berth
