#include "pod/cgroup_stats.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

#include "storage/base/clock.h"
#include "storage/base/unique_fd.h"

namespace berth::pod {
namespace {

// v1 memory.limit_in_bytes of an unlimited cgroup is PAGE_COUNTER_MAX pages,
// just under 2^63; anything from 2^62 on is taken as no limit.
constexpr uint64_t kUnlimitedFloor = uint64_t{1} << 62;

// A small cgroup file, read with one read(2): these are generated on read
// and a few hundred bytes (memory.stat a few KiB).
std::optional<std::string> ReadSmall(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  std::string out(8192, '\0');
  size_t used = 0;
  for (;;) {
    ssize_t n = ::read(fd.get(), out.data() + used, out.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    used += static_cast<size_t>(n);
    if (used == out.size()) out.resize(out.size() * 2);
  }
  out.resize(used);
  return out;
}

std::optional<uint64_t> ReadNumber(const std::string& path) {
  auto text = ReadSmall(path);
  if (!text) return std::nullopt;
  try {
    return std::stoull(*text);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<uint64_t> Get(const std::map<std::string, uint64_t>& m, const std::string& key) {
  auto it = m.find(key);
  if (it == m.end()) return std::nullopt;
  return it->second;
}

// "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice", as systemd nests slices.
std::string ExpandSlice(const std::string& slice) {
  if (slice == "-.slice" || slice.empty()) return "";
  const std::string name = slice.substr(0, slice.size() - 6);  // without ".slice"
  std::string out, prefix;
  std::istringstream parts(name);
  for (std::string part; std::getline(parts, part, '-');) {
    prefix += (prefix.empty() ? "" : "-") + part;
    out += "/" + prefix + ".slice";
  }
  return out;
}

// Processes in the cgroup: pids.current where the pids controller is, else
// the lines of cgroup.procs.
std::optional<uint64_t> CountProcesses(const CgroupDirs& d) {
  if (const std::string pids = d.Dir("pids"); !pids.empty()) {
    if (auto n = ReadNumber(pids + "/pids.current")) return n;
  }
  const std::string any = d.unified ? d.v2 : (d.v1.empty() ? "" : d.v1.begin()->second);
  auto procs = any.empty() ? std::nullopt : ReadSmall(any + "/cgroup.procs");
  if (!procs) return std::nullopt;
  uint64_t n = 0;
  for (char c : *procs) n += c == '\n';
  return n;
}

void ReadV1(const CgroupDirs& d, CgroupSample& s) {
  if (const std::string cpu = d.Dir("cpuacct"); !cpu.empty()) s.cpu_usage_ns = ReadNumber(cpu + "/cpuacct.usage");
  const std::string mem = d.Dir("memory");
  if (mem.empty()) return;
  const auto usage = ReadNumber(mem + "/memory.usage_in_bytes");
  if (!usage) return;
  if (auto stat = ReadSmall(mem + "/memory.stat")) FillMemoryFromStat(s, false, *usage, ParseKeyedFile(*stat));
  if (auto limit = ReadSmall(mem + "/memory.limit_in_bytes")) s.memory_limit = ParseLimit(*limit);
  // memsw counts memory plus swap.
  if (auto memsw = ReadNumber(mem + "/memory.memsw.usage_in_bytes")) s.swap_usage = *memsw > *usage ? *memsw - *usage : 0;
  if (auto memsw_limit = ReadSmall(mem + "/memory.memsw.limit_in_bytes")) {
    auto l = ParseLimit(*memsw_limit);
    if (l && s.memory_limit) s.swap_limit = *l > *s.memory_limit ? *l - *s.memory_limit : 0;
  }
}

void ReadV2(const CgroupDirs& d, CgroupSample& s) {
  if (auto cpu = ReadSmall(d.v2 + "/cpu.stat")) {
    if (auto usec = Get(ParseKeyedFile(*cpu), "usage_usec")) s.cpu_usage_ns = *usec * 1000;
  }
  const auto usage = ReadNumber(d.v2 + "/memory.current");
  if (!usage) return;
  if (auto stat = ReadSmall(d.v2 + "/memory.stat")) FillMemoryFromStat(s, true, *usage, ParseKeyedFile(*stat));
  if (auto limit = ReadSmall(d.v2 + "/memory.max")) s.memory_limit = ParseLimit(*limit);
  s.swap_usage = ReadNumber(d.v2 + "/memory.swap.current");
  if (auto limit = ReadSmall(d.v2 + "/memory.swap.max")) s.swap_limit = ParseLimit(*limit);
}

}  // namespace

std::string CgroupDirs::Dir(const std::string& controller) const {
  if (unified) return v2;
  auto it = v1.find(controller);
  return it == v1.end() ? "" : it->second;
}

std::string CgroupRelativePath(const std::string& cgroups_path, config::CgroupManager manager) {
  if (manager != config::CgroupManager::kSystemd) return cgroups_path;
  // "slice:prefix:name" -> <expanded slice>/<prefix>-<name>.scope
  const size_t a = cgroups_path.find(':'), b = cgroups_path.find(':', a == std::string::npos ? a : a + 1);
  if (a == std::string::npos || b == std::string::npos) return cgroups_path;
  return ExpandSlice(cgroups_path.substr(0, a)) + "/" + cgroups_path.substr(a + 1, b - a - 1) + "-" +
         cgroups_path.substr(b + 1) + ".scope";
}

std::string CgroupParentPath(const std::string& parent, config::CgroupManager manager) {
  if (manager == config::CgroupManager::kSystemd) return ExpandSlice(parent);
  std::string p = parent;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  if (!p.empty() && p.front() != '/') p = "/" + p;
  return p == "/" ? "" : p;
}

CgroupDirs LocateCgroup(const std::string& rel, const CgroupSupport& cg) {
  CgroupDirs d;
  d.unified = cg.unified;
  if (cg.unified) {
    d.v2 = "/sys/fs/cgroup" + rel;
    return d;
  }
  for (const char* c : {"cpuacct", "memory", "pids"}) {
    auto it = cg.v1_mounts.find(c);
    if (it != cg.v1_mounts.end() && !it->second.empty()) {
      d.v1[c] = it->second + rel;
    } else if (!cg.detected) {
      d.v1[c] = std::string("/sys/fs/cgroup/") + c + rel;
    }
  }
  return d;
}

std::map<std::string, uint64_t> ParseKeyedFile(const std::string& text) {
  std::map<std::string, uint64_t> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const size_t sp = line.find(' ');
    if (sp == std::string::npos) continue;
    try {
      out[line.substr(0, sp)] = std::stoull(line.substr(sp + 1));
    } catch (const std::exception&) {
      // Not a counter ("some avg10=..." in pressure files): skipped.
    }
  }
  return out;
}

std::optional<uint64_t> ParseLimit(const std::string& text) {
  if (text.rfind("max", 0) == 0) return std::nullopt;
  try {
    const uint64_t v = std::stoull(text);
    if (v >= kUnlimitedFloor) return std::nullopt;
    return v;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

void FillMemoryFromStat(CgroupSample& s, bool unified, uint64_t usage, const std::map<std::string, uint64_t>& stat) {
  const std::string p = unified ? "" : "total_";
  s.memory_usage = usage;
  const uint64_t inactive_file = Get(stat, p + "inactive_file").value_or(0);
  s.working_set = usage > inactive_file ? usage - inactive_file : 0;
  s.rss = Get(stat, unified ? "anon" : "total_rss");
  s.page_faults = Get(stat, p + "pgfault");
  s.major_page_faults = Get(stat, p + "pgmajfault");
}

CgroupSample ReadCgroup(const CgroupDirs& dirs) {
  CgroupSample s;
  s.timestamp = NowNs();
  const std::string probe = dirs.unified ? dirs.v2 : dirs.Dir("memory").empty() ? dirs.Dir("cpuacct") : dirs.Dir("memory");
  s.found = !probe.empty() && ::access(probe.c_str(), F_OK) == 0;
  if (!s.found) return s;
  if (dirs.unified) {
    ReadV2(dirs, s);
  } else {
    ReadV1(dirs, s);
  }
  s.processes = CountProcesses(dirs);
  return s;
}

}  // namespace berth::pod
