#include "pod/container_mounts.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "storage/base/error.h"
#include "pod/oci_defaults.h"

namespace berth::pod {
namespace {

using nlohmann::json;
namespace v1 = runtime::v1;

size_t Depth(const std::string& dest) { return static_cast<size_t>(std::count(dest.begin(), dest.end(), '/')); }

const char* Propagation(v1::MountPropagation p) {
  switch (p) {
    case v1::PROPAGATION_HOST_TO_CONTAINER: return "rslave";
    case v1::PROPAGATION_BIDIRECTIONAL: return "rshared";
    default: return "rprivate";
  }
}

json CriMount(const v1::Mount& m) {
  const std::string what = "mount at \"" + m.container_path() + "\"";
  if (m.container_path().empty() || m.container_path()[0] != '/') {
    throw InvalidArgument(what + ": container_path must be an absolute path");
  }
  if (CleanPath(m.container_path()) == "/") throw InvalidArgument(what + ": a mount cannot replace the rootfs");
  if (m.has_image() && !m.image().image().empty()) {
    throw Unimplemented(what + ": image volumes are not supported by berth");
  }
  if (m.host_path().empty() || m.host_path()[0] != '/') {
    throw InvalidArgument(what + ": host_path " + Quoted(m.host_path()) + " must be an absolute path");
  }
  for (const auto& part : std::filesystem::path(m.host_path())) {
    if (part == "..") throw InvalidArgument(what + ": host_path " + Quoted(m.host_path()) + " holds '..'");
  }
  if (m.uidmappings_size() > 0 || m.gidmappings_size() > 0) {
    throw Unimplemented(what + ": per-mount id mappings are not supported (in a pod with a user namespace berth "
                        "id-maps every mount to the pod's mapping itself)");
  }
  if (m.recursive_read_only()) {
    throw Unimplemented(what + ": recursive read-only mounts are not supported by runc 1.1");
  }
  // selinux_relabel is ignored: berth runs on nodes without SELinux (labels are not set at all).
  return oci::Mount(CleanPath(m.container_path()), "bind", m.host_path(),
                    {"rbind", Propagation(m.propagation()), m.readonly() ? "ro" : "rw"});
}

std::string ShmSource(const Sandbox& sb) {
  if (sb.host_ipc()) return "/dev/shm";
  if (sb.shm_path.empty()) throw FailedPrecondition("sandbox " + sb.id + " has no /dev/shm of its own");
  return sb.shm_path;
}

// The defaults in mount order: runtime mounts, cgroupfs and the sandbox's files.
json DefaultMounts(const ContainerSpecInput& in, bool privileged, bool readonly_rootfs) {
  json out = oci::BaseMounts(ShmSource(in.sandbox), privileged);
  out.push_back(oci::Mount("/sys/fs/cgroup", "cgroup", "cgroup",
                           {"nosuid", "noexec", "nodev", "relatime", privileged ? "rw" : "ro"}));
  for (const auto& [dest, src] : {std::pair{"/etc/hosts", &in.hosts_path},
                                  std::pair{"/etc/resolv.conf", &in.resolv_conf_path},
                                  std::pair{"/etc/hostname", &in.hostname_path}}) {
    if (!src->empty()) out.push_back(oci::Mount(dest, "bind", *src, {"rbind", "rprivate", readonly_rootfs ? "ro" : "rw"}));
  }
  return out;
}

}  // namespace

std::string CleanPath(const std::string& path) {
  std::string p = std::filesystem::path(path).lexically_normal().string();
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

ContainerMounts BuildContainerMounts(const ContainerSpecInput& in) {
  const auto& sc = in.config.linux().security_context();
  ContainerMounts out;
  json added = json::array();
  std::set<std::string> taken;
  for (const auto& m : in.config.mounts()) {
    json j = CriMount(m);
    if (!taken.insert(j["destination"].get<std::string>()).second) {
      throw InvalidArgument("two mounts at \"" + j["destination"].get<std::string>() + "\"");
    }
    // runc makes the rootfs a slave of the host by default; shared
    // propagation needs a shared rootfs mount.
    if (m.propagation() == v1::PROPAGATION_BIDIRECTIONAL) out.rootfs_propagation = "rshared";
    if (m.propagation() == v1::PROPAGATION_HOST_TO_CONTAINER && out.rootfs_propagation.empty()) {
      out.rootfs_propagation = "rslave";
    }
    added.push_back(std::move(j));
  }

  // A CRI mount replaces the default at its path; one at /dev replaces everything under /dev too.
  out.mounts = json::array();
  const bool cri_dev = taken.count("/dev") > 0;  // the CRI's, not the default /dev added below
  for (auto& m : DefaultMounts(in, sc.privileged(), sc.readonly_rootfs())) {
    const std::string dest = m["destination"];
    if (taken.count(dest) || (cri_dev && dest.rfind("/dev/", 0) == 0)) continue;
    taken.insert(dest);
    out.mounts.push_back(std::move(m));
  }

  // The image's volumes that nothing else mounts get a host dir each.
  const auto volumes = in.image.Volumes();
  for (size_t i = 0; i < volumes.size(); ++i) {
    const std::string dest = CleanPath("/" + volumes[i]);
    if (taken.count(dest)) continue;
    if (in.volumes_dir.empty()) throw Internal("container " + in.container_id + ": no volumes_dir for image volumes");
    const std::string host = in.volumes_dir + "/" + std::to_string(i);
    out.volume_dirs.push_back(host);
    added.push_back(oci::Mount(dest, "bind", host, {"rbind", "rprivate", "rw"}));
  }

  for (auto& m : added) out.mounts.push_back(std::move(m));
  // Parents before children, defaults included: a CRI mount at /etc goes
  // before the /etc/hosts bind, which would otherwise end up beneath it.
  std::stable_sort(out.mounts.begin(), out.mounts.end(), [](const json& a, const json& b) {
    return Depth(a["destination"]) < Depth(b["destination"]);
  });
  return out;
}

}  // namespace berth::pod
