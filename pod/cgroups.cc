#include "pod/cgroups.h"

#include <spdlog/spdlog.h>
#include <sys/statfs.h>

#include <filesystem>
#include <mutex>
#include <sstream>

#include "storage/fs.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

namespace berth::pod {
namespace fs = std::filesystem;

namespace {

// The v1 controllers the kernel knows (a cgroup mount's options also hold
// rw, name=systemd, clone_children...).
const std::set<std::string>& KnownV1Controllers() {
  static const std::set<std::string> known = {"blkio",   "cpu",      "cpuacct", "cpuset",     "devices",
                                              "freezer", "hugetlb",  "memory",  "net_cls",    "net_prio",
                                              "perf_event", "pids",  "rdma",    "misc"};
  return known;
}

std::string ReadOr(const std::string& path, const std::string& fallback) {
  try {
    return storage::ReadFile(path);
  } catch (const std::exception&) {
    return fallback;
  }
}

// Calls f(mount point, fstype, super options) for each mount in `mountinfo`.
template <typename F>
void ForEachMount(const std::string& mountinfo, F f) {
  std::istringstream in(mountinfo);
  for (std::string line; std::getline(in, line);) {
    // "<id> <parent> <maj:min> <root> <mount point> ... - <fstype> <source> <super options>"
    const size_t sep = line.find(" - ");
    if (sep == std::string::npos) continue;
    std::istringstream head(line.substr(0, sep)), tail(line.substr(sep + 3));
    std::string id, parent, dev, root, mount_point, fstype, source, options;
    head >> id >> parent >> dev >> root >> mount_point;
    tail >> fstype >> source >> options;
    f(mount_point, fstype, options);
  }
}

// Calls f(mount point, controller) for each controller of each v1 cgroup mount.
template <typename F>
void ForEachV1Controller(const std::string& mountinfo, F f) {
  ForEachMount(mountinfo, [&](const std::string& mount_point, const std::string& fstype, const std::string& options) {
    if (fstype != "cgroup") return;
    std::istringstream opts(options);
    for (std::string opt; std::getline(opts, opt, ',');) {
      if (KnownV1Controllers().contains(opt)) f(mount_point, opt);
    }
  });
}

// v2: memory.swap.max of berthd's own cgroup, or (berthd in the root,
// which has none) of any child.
bool V2SwapFile() {
  const std::string self = ReadOr("/proc/self/cgroup", "");
  const size_t at = self.find("0::");
  std::string path = at == std::string::npos ? "/" : self.substr(at + 3, self.find('\n', at) - at - 3);
  std::error_code ec;
  if (path != "/") return fs::exists("/sys/fs/cgroup" + path + "/memory.swap.max", ec);
  for (const auto& e : fs::directory_iterator("/sys/fs/cgroup", ec)) {
    if (e.is_directory(ec) && fs::exists(e.path() / "memory.swap.max", ec)) return true;
  }
  return false;
}

}  // namespace

std::set<std::string> CgroupSupport::V1ControllersFromMountinfo(const std::string& mountinfo) {
  std::set<std::string> out;
  ForEachV1Controller(mountinfo, [&](const std::string&, const std::string& c) { out.insert(c); });
  return out;
}

std::vector<std::string> CgroupSupport::HierarchiesFromMountinfo(const std::string& mountinfo) {
  std::vector<std::string> out;
  ForEachMount(mountinfo, [&](const std::string& mount_point, const std::string& fstype, const std::string&) {
    if (fstype == "cgroup" || fstype == "cgroup2") out.push_back(mount_point);
  });
  return out;
}

std::string CgroupSupport::V1MountPoint(const std::string& mountinfo, const std::string& controller) {
  std::string out;
  ForEachV1Controller(mountinfo, [&](const std::string& mp, const std::string& c) {
    if (c == controller && out.empty()) out = mp;
  });
  return out;
}

std::set<std::string> CgroupSupport::V2Controllers(const std::string& cgroup_controllers) {
  std::set<std::string> out;
  std::istringstream in(cgroup_controllers);
  for (std::string c; in >> c;) out.insert(c);
  // cpuset, memory, io, pids... are listed; the core files (cgroup.*) need none.
  return out;
}

std::string CgroupSupport::HugepageSizeFromDir(const std::string& dir_name) {
  static const std::string kPrefix = "hugepages-", kSuffix = "kB";
  if (dir_name.rfind(kPrefix, 0) != 0 || dir_name.size() <= kPrefix.size() + kSuffix.size()) return "";
  if (dir_name.compare(dir_name.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) return "";
  const std::string digits = dir_name.substr(kPrefix.size(), dir_name.size() - kPrefix.size() - kSuffix.size());
  if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 15) return "";
  uint64_t kb = std::stoull(digits);
  // runc's and the CRI's names: the largest unit that divides the size.
  static const char* kUnits[] = {"KB", "MB", "GB", "TB"};
  size_t unit = 0;
  while (unit + 1 < std::size(kUnits) && kb >= 1024 && kb % 1024 == 0) {
    kb /= 1024;
    ++unit;
  }
  return std::to_string(kb) + kUnits[unit];
}

CgroupSupport CgroupSupport::Detect() {
  CgroupSupport s;
  s.detected = true;
  struct statfs st {};
  s.unified = ::statfs("/sys/fs/cgroup", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
  const std::string mountinfo = s.unified ? "" : ReadOr("/proc/self/mountinfo", "");
  s.controllers = s.unified ? V2Controllers(ReadOr("/sys/fs/cgroup/cgroup.controllers", ""))
                            : V1ControllersFromMountinfo(mountinfo);
  for (const auto& c : s.controllers) {
    if (!s.unified) s.v1_mounts[c] = V1MountPoint(mountinfo, c);
  }
  s.hierarchies = s.unified ? std::vector<std::string>{"/sys/fs/cgroup"} : HierarchiesFromMountinfo(mountinfo);
  std::error_code ec;
  if (s.unified) {
    s.swap = s.controllers.contains("memory") && V2SwapFile();
  } else if (const std::string mp = V1MountPoint(mountinfo, "memory"); !mp.empty()) {
    s.swap = fs::exists(mp + "/memory.memsw.limit_in_bytes", ec);
  }
  for (const auto& e : fs::directory_iterator("/sys/kernel/mm/hugepages", ec)) {
    const std::string size = HugepageSizeFromDir(e.path().filename().string());
    if (!size.empty()) s.hugepage_sizes.insert(size);
  }
  return s;
}

std::string CgroupSupport::Describe() const {
  std::string out = unified ? "cgroup v2:" : "cgroup v1:";
  for (const auto& c : controllers) out += " " + c;
  out += "; huge pages:";
  if (hugepage_sizes.empty()) out += " none";
  for (const auto& h : hugepage_sizes) out += " " + h;
  out += swap ? "; swap limits" : "; no swap limits";
  return out;
}

void to_json(nlohmann::json& j, const DroppedLimit& d) {
  j = {{"resource", d.resource}, {"controller", d.controller}, {"value", d.value}, {"zero", d.zero},
       {"reason", d.reason}};
}

void from_json(const nlohmann::json& j, DroppedLimit& d) {
  j.at("resource").get_to(d.resource);
  j.at("controller").get_to(d.controller);
  j.at("value").get_to(d.value);
  j.at("zero").get_to(d.zero);
  j.at("reason").get_to(d.reason);
}

void LogDroppedLimits(const std::string& container_id, const std::vector<DroppedLimit>& dropped) {
  static std::mutex mu;
  static std::set<std::string> logged;
  for (const auto& d : dropped) {
    if (!d.zero) {
      spdlog::warn("container {}: {} = {} is not applied: {}", container_id, d.resource, d.value, d.reason);
      continue;
    }
    std::lock_guard lock(mu);
    if (!logged.insert(d.resource).second) continue;
    spdlog::info("container {}: {} = {} is left out of the spec: {} (logged once; `crictl inspect` shows it "
                 "under info.droppedLimits)",
                 container_id, d.resource, d.value, d.reason);
  }
}

}  // namespace berth::pod
