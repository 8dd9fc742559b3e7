#include "conmon/oom.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

namespace berth::conmon {
namespace {

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, sep);) out.push_back(part);
  return out;
}

// Mount point of the cgroup hierarchy of type `fstype` ("cgroup" needs the
// `controller` among its super options; "cgroup2" has none), from mountinfo.
std::string MountPoint(const std::string& fstype, const std::string& controller) {
  std::ifstream in("/proc/self/mountinfo");
  for (std::string line; std::getline(in, line);) {
    auto sep = line.find(" - ");
    if (sep == std::string::npos) continue;
    auto left = Split(line.substr(0, sep), ' ');
    auto right = Split(line.substr(sep + 3), ' ');
    if (left.size() < 5 || right.size() < 3 || right[0] != fstype) continue;
    if (!controller.empty()) {
      auto opts = Split(right[2], ',');
      if (std::find(opts.begin(), opts.end(), controller) == opts.end()) continue;
    }
    if (left[3] != "/") continue;  // a bind of a sub-hierarchy: paths would not match
    return left[4];
  }
  return "";
}

// The file holding the oom_kill counter for `pid`'s memory cgroup.
std::string CounterFile(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
  std::string v1, v2;
  for (std::string line; std::getline(in, line);) {
    auto first = line.find(':'), second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    auto controllers = Split(line.substr(first + 1, second - first - 1), ',');
    std::string path = line.substr(second + 1);
    if (std::find(controllers.begin(), controllers.end(), "memory") != controllers.end()) v1 = path;
    if (line.compare(0, first + 1, "0:") == 0 && second == first + 1) v2 = path;
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
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.size() > key.size() && line.compare(0, key.size(), key) == 0 && line[key.size()] == ' ') {
      try {
        return std::stoull(line.substr(key.size() + 1));
      } catch (const std::exception&) {
        return std::nullopt;
      }
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
