#include "network/netns.h"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

#include "storage/base/error.h"
#include "storage/base/unique_fd.h"
#include "storage/mount.h"
#include "network/loopback.h"
#include "storage/fs.h"

namespace berth::network {
namespace {

// Serialises the check-then-mount of the pin dir, so two concurrent Creates
// cannot stack two bind mounts on it.
std::mutex g_pin_dir_mu;

// Pins need a mount point to live on; like `ip netns`, the dir is made a
// shared mount point (bind-mounted onto itself first if it is not one), so
// pins propagate into mount namespaces that were copied from berthd's.
void EnsurePinDir(const std::string& dir) {
  std::lock_guard lock(g_pin_dir_mu);
  storage::MakeDirs(dir, 0755);
  if (::mount("none", dir.c_str(), nullptr, MS_SHARED | MS_REC, nullptr) == 0) return;
  if (errno != EINVAL) throw SysError("mount --make-rshared " + dir);
  // EINVAL: dir is not a mount point yet.
  if (::mount(dir.c_str(), dir.c_str(), "none", MS_BIND | MS_REC, nullptr) != 0) throw SysError("mount --rbind " + dir + " onto itself");
  if (::mount("none", dir.c_str(), nullptr, MS_SHARED | MS_REC, nullptr) != 0) throw SysError("mount --make-rshared " + dir);
}

// Runs in a short-lived thread: unshare(CLONE_NEWNET) changes only the
// calling thread, so berthd's other threads keep the host netns; the thread
// (and its reference to the new netns) ends right after the pin is mounted.
void CreateAndPin(const std::string& path) {
  if (::unshare(CLONE_NEWNET) != 0) throw SysError("unshare(CLONE_NEWNET) for " + path);
  if (::mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) != 0)
    throw SysError("bind mount of the new netns onto " + path);
  BringUpLoopback();
}

// Runs `f` in a short-lived thread (which may change its own namespaces).
void InThread(const std::function<void()>& f) {
  std::exception_ptr error;
  std::thread worker([&] {
    try {
      f();
    } catch (...) {
      error = std::current_exception();
    }
  });
  worker.join();
  if (error) std::rethrow_exception(error);
}

std::string NewPinFile(const std::string& dir, const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos)
    throw InvalidArgument("netns name '" + name + "' is not a plain file name");
  EnsurePinDir(dir);
  const std::string path = dir + "/" + name;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
  if (!fd) {
    if (errno == EEXIST) throw AlreadyExists("netns pin " + path + " already exists");
    throw SysError("create netns pin file " + path);
  }
  return path;
}

}  // namespace

PinnedNetns PinnedNetns::Create(const std::string& dir, const std::string& name) {
  PinnedNetns pin(NewPinFile(dir, name));  // from here on, an error removes the pin file (and mount)
  InThread([&] { CreateAndPin(pin.path()); });
  return pin;
}

PinnedNetns PinnedNetns::Adopt(const std::string& dir, const std::string& name, const std::string& ns_file) {
  PinnedNetns pin(NewPinFile(dir, name));
  if (::mount(ns_file.c_str(), pin.path().c_str(), "none", MS_BIND, nullptr) != 0) {
    throw SysError("bind mount of " + ns_file + " onto " + pin.path());
  }
  InThread([&] {
    UniqueFd ns(::open(pin.path().c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns || ::setns(ns.get(), CLONE_NEWNET) != 0) throw SysError("setns into " + pin.path());
    BringUpLoopback();
  });
  return pin;
}

void PinnedNetns::SetSysctl(const std::string& path, const std::string& name, const std::string& value) {
  std::string file = "/proc/sys/" + name;
  std::replace(file.begin() + 10, file.end(), '.', '/');
  InThread([&] {
    UniqueFd ns(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns || ::setns(ns.get(), CLONE_NEWNET) != 0) throw SysError("setns into " + path);
    // /proc/sys/net is the netns of the thread that opens it.
    UniqueFd f(::open(file.c_str(), O_WRONLY | O_CLOEXEC));
    if (!f || ::write(f.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size())) {
      throw SysError("write " + value + " to " + file + " in " + path);
    }
  });
}

namespace {

UniqueFd SocketIn(const std::string& netns_path, int domain) {
  UniqueFd sock;
  auto make = [&] {
    sock = UniqueFd(::socket(domain, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!sock) throw SysError("socket for port-forward");
  };
  if (netns_path.empty()) {
    make();
    return sock;
  }
  InThread([&] {
    UniqueFd ns(::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns || ::setns(ns.get(), CLONE_NEWNET) != 0) throw SysError("setns into " + netns_path);
    make();
  });
  return sock;
}

// A non-blocking connect finished within `timeout`; 0 or the errno.
int ConnectWithin(int fd, const sockaddr* addr, socklen_t len, std::chrono::milliseconds timeout) {
  if (::connect(fd, addr, len) == 0) return 0;
  if (errno != EINPROGRESS) return errno;
  pollfd p{fd, POLLOUT, 0};
  int n;
  do n = ::poll(&p, 1, static_cast<int>(timeout.count()));
  while (n < 0 && errno == EINTR);
  if (n == 0) return ETIMEDOUT;
  int err = 0;
  socklen_t err_len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0) return errno;
  return err;
}

}  // namespace

UniqueFd PinnedNetns::ConnectLocalPort(const std::string& path, uint16_t port, std::chrono::milliseconds timeout) {
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  v4.sin_port = htons(port);
  v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  UniqueFd sock = SocketIn(path, AF_INET);
  int err = ConnectWithin(sock.get(), reinterpret_cast<const sockaddr*>(&v4), sizeof v4, timeout);
  if (err == ECONNREFUSED) {  // perhaps it listens on ::1 only
    sockaddr_in6 v6{};
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(port);
    v6.sin6_addr = in6addr_loopback;
    UniqueFd sock6 = SocketIn(path, AF_INET6);
    if (ConnectWithin(sock6.get(), reinterpret_cast<const sockaddr*>(&v6), sizeof v6, timeout) == 0) {
      ::fcntl(sock6.get(), F_SETFL, ::fcntl(sock6.get(), F_GETFL) & ~O_NONBLOCK);
      return sock6;
    }
  }
  if (err == 0) ::fcntl(sock.get(), F_SETFL, ::fcntl(sock.get(), F_GETFL) & ~O_NONBLOCK);  // copied with blocking I/O
  if (err != 0) {
    throw SysError("connect to localhost:" + std::to_string(port) + " in " + (path.empty() ? "the host's netns" : path),
                   err);
  }
  return sock;
}

void PinnedNetns::Remove(const std::string& path) {
  // Loop in case a pin was mounted more than once; EINVAL means "not a mount point (any more)".
  for (int i = 0; i < 16; ++i) {
    if (::umount2(path.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) == 0) continue;
    if (errno == EINVAL || errno == ENOENT) break;
    throw SysError("umount netns pin " + path);
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw SysError("unlink netns pin " + path);
}

bool PinnedNetns::IsPinned(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return false;
  // Only nsfs files answer NS_GET_NSTYPE; an unmounted pin is a plain empty file.
  return ::ioctl(fd.get(), NS_GET_NSTYPE) == CLONE_NEWNET;
}

PinnedNetns::PinnedNetns(PinnedNetns&& o) noexcept : path_(std::exchange(o.path_, {})) {}

PinnedNetns::~PinnedNetns() {
  if (path_.empty()) return;
  try {
    Remove(path_);
  } catch (const std::exception& e) {
    spdlog::error("removing netns pin {}: {}", path_, e.what());
  }
}

std::string PinnedNetns::Release() { return std::exchange(path_, {}); }

void PinnedNetns::ReleaseDir(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_empty(dir, ec) || ec) return;
  storage::UnmountAll(dir, "netns pin dir");
}

}  // namespace berth::network
