#include "pod/cgroup_cleanup.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

namespace berth::pod {
namespace fs = std::filesystem;

namespace {

bool Climbs(const std::string& relative) {
  for (const auto& part : fs::path(relative)) {
    if (part == "..") return true;
  }
  return false;
}

// Kills what cgroup.procs lists in `dir` and the dirs below it.
void KillMembers(const std::string& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_directory(ec) && !e.is_symlink(ec)) KillMembers(e.path().string());
  }
  std::ifstream procs(dir + "/cgroup.procs");
  for (pid_t pid; procs >> pid;) {
    if (pid > 1 && ::kill(pid, SIGKILL) == 0) spdlog::warn("cgroup {}: killed pid {}, left after its container's delete", dir, pid);
  }
}

// rmdir of `dir` after its children; errno of the first failure, 0 when gone.
int RemoveDirs(const std::string& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_directory(ec) && !e.is_symlink(ec)) {
      if (const int err = RemoveDirs(e.path().string())) return err;
    }
  }
  if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return 0;
  return errno;
}

}  // namespace

std::vector<std::string> RemoveCgroupLeftovers(const std::string& relative, const CgroupSupport& cg,
                                               std::chrono::milliseconds patience) {
  if (relative.empty() || relative == "/" || Climbs(relative)) {
    spdlog::warn("cgroup leftovers: refusing to remove \"{}\"", relative);
    return {};
  }
  const std::string rel = relative.front() == '/' ? relative : "/" + relative;
  std::vector<std::string> stayed;
  for (const auto& hierarchy : cg.hierarchies) {
    const std::string dir = hierarchy + rel;
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;  // the runtime removed it: the usual case
    int err = RemoveDirs(dir);
    if (err == EBUSY) {
      KillMembers(dir);
      const auto deadline = std::chrono::steady_clock::now() + patience;
      while ((err = RemoveDirs(dir)) == EBUSY && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    if (err != 0) {
      spdlog::warn("cgroup {}: rmdir: {}; it stays", dir, std::strerror(err));
      stayed.push_back(dir);
    } else {
      spdlog::info("cgroup {}: removed, left by the runtime's delete", dir);
    }
  }
  return stayed;
}

}  // namespace berth::pod
