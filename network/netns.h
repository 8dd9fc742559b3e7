#pragma once
// A pod's network namespace, created by berth and pinned by a bind mount
// (<dir>/<name>), so it outlives every process in it and can be handed to
// CNI and to the OCI runtime by path.

#include <chrono>
#include <cstdint>
#include <string>

#include "storage/base/unique_fd.h"

namespace berth::network {

class PinnedNetns {
 public:
  // Creates a new netns pinned at dir/name with its loopback up. Throws
  // berth::Error (ALREADY_EXISTS if the pin exists, INTERNAL with syscall+errno).
  static PinnedNetns Create(const std::string& dir, const std::string& name);
  // Pins the existing netns `ns_file` (e.g. /proc/<pid>/ns/net of a helper
  // that made it inside a pod's user namespace) at dir/name, loopback up.
  static PinnedNetns Adopt(const std::string& dir, const std::string& name, const std::string& ns_file);
  // Unmounts and unlinks a pin (of any namespace); fine if it is already
  // gone. Throws berth::Error.
  static void Remove(const std::string& path);
  // True if `path` is a mounted netns pin.
  static bool IsPinned(const std::string& path);
  // Undoes the pin dir's mount onto itself once it holds no pins (berthd
  // shutting down with no pods left); with pins, it must stay.
  static void ReleaseDir(const std::string& dir);

  PinnedNetns(PinnedNetns&& o) noexcept;
  PinnedNetns& operator=(PinnedNetns&&) = delete;
  PinnedNetns(const PinnedNetns&) = delete;
  ~PinnedNetns();  // removes the pin unless Release() was called (rollback on error paths)

  const std::string& path() const { return path_; }
  // Keeps the pin past this object's life (it is now recorded in the sandbox's state).
  std::string Release();

  // Writes `value` to the sysctl `name` (dotted, e.g. net.ipv4.ip_forward) of
  // the netns pinned at `path`. Throws berth::Error.
  static void SetSysctl(const std::string& path, const std::string& name, const std::string& value);

  // A TCP connection to `port` on localhost (127.0.0.1, else ::1) inside the
  // netns at `path` ("" : berthd's own, for host-network pods), as
  // port-forward needs. A socket belongs to the netns it was made in, so
  // only its creation runs in the namespace. Throws berth::Error with the
  // connect's errno (ECONNREFUSED: nothing listens), INTERNAL for setns.
  static UniqueFd ConnectLocalPort(const std::string& path, uint16_t port, std::chrono::milliseconds timeout);

 private:
  explicit PinnedNetns(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace berth::network
