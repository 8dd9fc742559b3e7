#include "pod/oci/monitor_reaper.h"

#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>

#include "storage/base/process.h"

namespace berth::pod::oci {
namespace {

std::mutex mu;
std::set<pid_t> watched;

}  // namespace

void WatchMonitor(pid_t monitor_pid) {
  std::lock_guard lock(mu);
  watched.insert(monitor_pid);
}

int ReapExitedMonitors() {
  std::lock_guard lock(mu);
  int reaped = 0;
  for (auto it = watched.begin(); it != watched.end();) {
    pid_t r = ::waitpid(*it, nullptr, WNOHANG);
    // r < 0 (ECHILD): not our child (started before the subreaper was set) — stop watching.
    if (r == *it || r < 0) {
      reaped += r == *it;
      it = watched.erase(it);
    } else {
      ++it;
    }
  }
  return reaped;
}

bool IsWatched(pid_t pid) {
  std::lock_guard lock(mu);
  return watched.contains(pid);
}

void StartMonitorReaper() {
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) spdlog::warn("cannot become child subreaper: {}", std::strerror(errno));
  // A poll per second is cheap (one waitpid per live monitor) and needs no
  // SIGCHLD handling, which would race with callers waiting for their children.
  std::thread([] {
    for (;;) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      ReapExitedMonitors();
      if (int n = ReapOrphans(IsWatched)) spdlog::debug("reaped {} orphaned processes", n);
    }
  }).detach();
}

}  // namespace berth::pod::oci
