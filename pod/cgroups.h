#pragma once
// Which cgroup controllers the OCI runtime can use on this node, detected
// once when berthd starts, and the rule that resources for a missing
// controller are left out of a container's spec (kubelet sends hugepage
// limits for every page size the node has, whether or not a hugetlb
// controller exists; runc fails the container on them).

#include <nlohmann/json.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace berth::pod {

struct CgroupSupport {
  // False: nothing was detected (a default-constructed value, as in unit
  // tests), and every limit is kept; runc then applies or refuses it.
  bool detected = false;
  // The node runs cgroup v2 alone (/sys/fs/cgroup is cgroup2). Otherwise
  // runc drives the v1 hierarchies, and a v2 mount beside them (hybrid) is
  // not used for limits.
  bool unified = false;
  // Controllers runc can set limits with: v1, the mounted hierarchies; v2,
  // the root's cgroup.controllers.
  std::set<std::string> controllers;
  // Huge page sizes the kernel has, as the CRI and runc name them ("2MB", "1GB").
  std::set<std::string> hugepage_sizes;
  // Swap can be limited: v1 memory.memsw.* exist (swap accounting is on),
  // v2 memory.swap.max does.
  bool swap = false;
  // v1: where each controller's hierarchy is mounted (stats read from there).
  std::map<std::string, std::string> v1_mounts;
  // Every cgroup hierarchy a runtime may have made a dir in: each v1 mount
  // (named ones such as name=systemd too) and a v2 one (hybrid's "unified").
  std::vector<std::string> hierarchies;

  bool Has(const std::string& controller) const { return !detected || controllers.contains(controller); }
  bool HasHugepageSize(const std::string& size) const { return !detected || hugepage_sizes.contains(size); }
  bool HasSwap() const { return !detected || swap; }

  // Reads /proc/self/mountinfo, /sys/fs/cgroup and /sys/kernel/mm/hugepages.
  static CgroupSupport Detect();
  // The parsers behind Detect, for tests.
  static std::set<std::string> V1ControllersFromMountinfo(const std::string& mountinfo);
  static std::set<std::string> V2Controllers(const std::string& cgroup_controllers);
  // The mount points of every cgroup and cgroup2 file system in `mountinfo`.
  static std::vector<std::string> HierarchiesFromMountinfo(const std::string& mountinfo);
  // Where the v1 hierarchy of `controller` is mounted; "" if it is not.
  static std::string V1MountPoint(const std::string& mountinfo, const std::string& controller);
  // "hugepages-2048kB" -> "2MB", "hugepages-1048576kB" -> "1GB"; "" if not one.
  static std::string HugepageSizeFromDir(const std::string& dir_name);
  // One line for the log: "cgroup v1: blkio cpu ...; huge pages: 1GB 2MB".
  std::string Describe() const;
};

// A limit left out of a container's spec because the node cannot apply it.
struct DroppedLimit {
  std::string resource;    // "hugepage_limits[2MB]", "unified[memory.high]", "cpu_shares"...
  std::string controller;  // the controller it needs
  std::string value;       // what was asked
  bool zero = false;       // a limit of 0 (kubelet's default for huge pages)
  std::string reason;
  bool operator==(const DroppedLimit&) const = default;
};

void to_json(nlohmann::json& j, const DroppedLimit& d);
void from_json(const nlohmann::json& j, DroppedLimit& d);

// Logs what was dropped for a container: a zero limit (kubelet's default)
// once per resource for the whole daemon, a non-zero one every time, with
// the container's id.
void LogDroppedLimits(const std::string& container_id, const std::vector<DroppedLimit>& dropped);

}  // namespace berth::pod
