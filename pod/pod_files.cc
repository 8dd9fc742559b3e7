#include "pod/pod_files.h"

#include <spdlog/spdlog.h>
#include <sys/mount.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "storage/base/error.h"
#include "storage/fs.h"
#include "storage/mount.h"

namespace berth::pod {

std::string HostsContent(const std::string& hostname, const std::vector<std::string>& ips) {
  std::string s =
      "127.0.0.1\tlocalhost\n"
      "::1\tlocalhost ip6-localhost ip6-loopback\n"
      "fe00::0\tip6-localnet\n"
      "fe00::0\tip6-mcastprefix\n"
      "fe00::1\tip6-allnodes\n"
      "fe00::2\tip6-allrouters\n";
  if (!hostname.empty()) {
    for (const auto& ip : ips) s += ip + "\t" + hostname + "\n";
  }
  return s;
}

std::string ResolvConfContent(const DnsConfig& dns, const std::string& host_resolv) {
  if (dns.empty()) return host_resolv;
  std::string s;
  auto joined = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : " ") + x;
    return out;
  };
  if (!dns.searches.empty()) s += "search " + joined(dns.searches) + "\n";
  for (const auto& server : dns.servers) s += "nameserver " + server + "\n";
  if (!dns.options.empty()) s += "options " + joined(dns.options) + "\n";
  return s;
}

std::string HostnameContent(const std::string& hostname) { return hostname + "\n"; }

PodFilePaths PodFilesIn(const std::string& dir) {
  return {dir + "/hosts", dir + "/resolv.conf", dir + "/hostname", dir + "/shm"};
}

namespace {
std::string ReadHostFile(const std::string& path) {
  try {
    return storage::ReadFile(path);
  } catch (const Error& e) {
    spdlog::warn("{}; pods get an empty one", e.what());
    return "";
  }
}
}  // namespace

PodFilePaths WritePodFiles(const std::string& dir, const Sandbox& sb) {
  PodFilePaths p = PodFilesIn(dir);
  const std::string hosts = sb.host_network() ? ReadHostFile("/etc/hosts") : HostsContent(sb.hostname, sb.ips);
  storage::WriteFileAtomic(p.hosts, hosts, 0644, storage::Durability::kProcessCrash);
  const std::string host_resolv = sb.dns.empty() ? ReadHostFile("/etc/resolv.conf") : "";
  storage::WriteFileAtomic(p.resolv_conf, ResolvConfContent(sb.dns, host_resolv), 0644, storage::Durability::kProcessCrash);
  storage::WriteFileAtomic(p.hostname, HostnameContent(sb.hostname), 0644, storage::Durability::kProcessCrash);
  return p;
}

ShmMount ShmMount::Create(const std::string& path) {
  storage::MakeDirs(path, 0755);
  if (::mount("shm", path.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, kOptions) != 0) {
    int err = errno;
    ::rmdir(path.c_str());
    throw SysError("mount tmpfs (pod /dev/shm) on " + path, err);
  }
  return ShmMount(path);
}

void ShmMount::Remove(const std::string& path) {
  storage::UnmountAll(path, "pod /dev/shm");
  if (::rmdir(path.c_str()) != 0 && errno != ENOENT) throw SysError("rmdir " + path);
}

ShmMount::~ShmMount() {
  if (path_.empty()) return;
  try {
    Remove(path_);
  } catch (const std::exception& e) {
    spdlog::error("rollback: {}", e.what());
  }
}

}  // namespace berth::pod
