#include "conmon/oom.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <vector>

#include "conmon/text.h"

namespace berth::conmon {
namespace {

bool Contains(const std::vector<std::string_view>& parts, std::string_view part) {
  return std::find(parts.begin(), parts.end(), part) != parts.end();
}

// Mount point of the cgroup hierarchy of type `fstype` ("cgroup" needs the
// `controller` among its super options; "cgroup2" has none), from mountinfo.
std::string MountPoint(const std::string& fstype, const std::string& controller) {
  const std::string mountinfo = ReadFile("/proc/self/mountinfo");
  for (std::string_view line : Split(mountinfo, '\n')) {
    auto sep = line.find(" - ");
    if (sep == std::string_view::npos) continue;
    auto left = Split(line.substr(0, sep), ' ');
    auto right = Split(line.substr(sep + 3), ' ');
    if (left.size() < 5 || right.size() < 3 || right[0] != fstype) continue;
    if (!controller.empty() && !Contains(Split(right[2], ','), controller)) continue;
    if (left[3] != "/") continue;  // a bind of a sub-hierarchy: paths would not match
    return std::string(left[4]);
  }
  return "";
}

// The file holding the oom_kill counter for `pid`'s memory cgroup.
std::string CounterFile(pid_t pid) {
  const std::string cgroups = ReadFile("/proc/" + std::to_string(pid) + "/cgroup");
  std::string v1, v2;
  for (std::string_view line : Split(cgroups, '\n')) {
    auto first = line.find(':'), second = line.find(':', first + 1);
    if (first == std::string_view::npos || second == std::string_view::npos) continue;
    const std::string_view path = line.substr(second + 1);
    if (Contains(Split(line.substr(first + 1, second - first - 1), ','), "memory")) v1 = path;
    if (line.substr(0, first + 1) == "0:" && second == first + 1) v2 = path;
  }
  if (!v1.empty()) {
    std::string mnt = MountPoint("cgroup", "memory");
    if (!mnt.empty()) return mnt + v1 + "/memory.oom_control";
  }
  if (!v2.empty()) {
    std::string mnt = MountPoint("cgroup2", "");
    if (!mnt.empty()) return mnt + v2 + "/memory.events";
  }
  return "";
}

}  // namespace

std::optional<uint64_t> ParseCounter(const std::string& text, const std::string& key) {
  for (std::string_view line : Split(text, '\n')) {
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ' ') {
      const std::string_view digits = line.substr(key.size() + 1);
      uint64_t v = 0;
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
      if (ec != std::errc() || end == digits.data()) return std::nullopt;
      return v;
    }
  }
  return std::nullopt;
}

OomWatch::OomWatch(pid_t pid) {
  std::string path = CounterFile(pid);
  if (path.empty()) return;
  file_.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  base_ = Read("oom_kill").value_or(0);
}

std::optional<uint64_t> OomWatch::Read(const std::string& key) const {
  if (!file_) return std::nullopt;
  char buf[4096];
  ssize_t n = ::pread(file_.get(), buf, sizeof buf - 1, 0);
  if (n <= 0) return std::nullopt;
  return ParseCounter(std::string(buf, static_cast<size_t>(n)), key);
}

bool OomWatch::Killed() const {
  if (auto kills = Read("oom_kill")) return *kills > base_;
  return Read("under_oom").value_or(0) > 0;  // v1 kernels without the oom_kill counter
}

}  // namespace berth::conmon
