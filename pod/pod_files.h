#pragma once
// Per-pod files under <run_root>/sandboxes/<id>/: hosts, resolv.conf and
// hostname (bind-mounted into the pod's containers), and the pod's /dev/shm
// (a tmpfs of its own, mounted at .../shm).

#include <string>
#include <vector>

#include "pod/sandbox.h"

namespace berth::pod {

// /etc/hosts: the localhost entries, then "<ip>\t<hostname>" for each pod IP.
std::string HostsContent(const std::string& hostname, const std::vector<std::string>& ips);
// /etc/resolv.conf from the pod's DNS config; `host_resolv` (the host's
// file) when the config is empty.
std::string ResolvConfContent(const DnsConfig& dns, const std::string& host_resolv);
std::string HostnameContent(const std::string& hostname);

struct PodFilePaths {
  std::string hosts, resolv_conf, hostname, shm;
};
PodFilePaths PodFilesIn(const std::string& sandbox_run_dir);

// Writes the three files (atomically) into `sandbox_run_dir`. With host
// network the host's /etc/hosts is used as is.
PodFilePaths WritePodFiles(const std::string& sandbox_run_dir, const Sandbox& sb);

// A mounted tmpfs for the pod's /dev/shm. Unmounted (and its dir removed)
// when destroyed, unless Release()d.
class ShmMount {
 public:
  static constexpr const char* kOptions = "mode=1777,size=67108864";  // 64 MiB
  static ShmMount Create(const std::string& path);
  // Unmounts and removes the dir; fine when not mounted or gone. Throws berth::Error.
  static void Remove(const std::string& path);

  ShmMount(ShmMount&& o) noexcept : path_(std::exchange(o.path_, {})) {}
  ShmMount& operator=(ShmMount&&) = delete;
  ShmMount(const ShmMount&) = delete;
  ~ShmMount();
  const std::string& path() const { return path_; }
  std::string Release() { return std::exchange(path_, {}); }

 private:
  explicit ShmMount(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace berth::pod
