#pragma once
// What "nothing leaked" means once every pod is gone, checked the way an
// operator would: berthd's record, run, netns and CNI cache dirs empty, no
// mount under its dirs, no cgroup under the tests' cgroup parent, no
// host-local IP reservation, no berth-conmon or runtime process of this
// berthd, no runtime state. Shared by the load, fault and bad-request tests.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "config/layout.h"
#include "tests/support/shell.h"

namespace berth::testing {

// Entries of `dir` (none if it does not exist).
inline std::vector<std::string> DirNames(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) out.push_back(e.path().filename().string());
  return out;
}

// host-local's reservations under its dataDir: one file per IP, named by it.
inline std::vector<std::string> IpReservations(const std::string& ipam_data_dir) {
  std::vector<std::string> ips;
  for (const auto& net : DirNames(ipam_data_dir)) {
    for (const auto& f : DirNames(ipam_data_dir + "/" + net)) {
      if (f == "lock" || f.rfind("last_reserved_ip", 0) == 0) continue;
      ips.push_back(net + "/" + f);
    }
  }
  return ips;
}

// Processes whose command line names `needle` (a berthd's run root).
inline std::vector<std::string> ProcessesMentioning(const std::string& needle) {
  std::vector<std::string> out;
  for (const auto& pid : DirNames("/proc")) {
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmd = Slurp("/proc/" + pid + "/cmdline");
    for (auto& c : cmd)
      if (c == '\0') c = ' ';
    if (cmd.find(needle) != std::string::npos) out.push_back(pid + ": " + cmd.substr(0, 200));
  }
  return out;
}

// Cgroup dirs below `parent` ("/berthflt") in every v1 controller and v2.
inline std::vector<std::string> CgroupsUnder(const std::string& parent) {
  std::vector<std::string> out;
  for (const auto& ctl : DirNames("/sys/fs/cgroup")) {
    const std::string dir = "/sys/fs/cgroup/" + ctl + parent;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
      if (e.is_directory()) out.push_back(e.path().string());
    }
  }
  return out;
}

inline std::string JoinLines(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + "\n";
  return s;
}

// The trash reaper deleted what removals left (within a few seconds).
inline void ExpectTrashEmptied(const config::Layout& layout) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (const std::string& dir : {layout.Trash(), layout.RunTrash()}) {
    while (!DirNames(dir).empty() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_TRUE(DirNames(dir).empty()) << dir << " still holds:\n" << JoinLines(DirNames(dir));
  }
}

// Everything of every pod gone (call after the pods were removed and,
// for processes, after berthd stopped or every monitor had time to exit).
inline void ExpectNothingLeaked(const config::Layout& layout, const std::string& ipam_data_dir,
                                const std::string& cgroup_parent) {
  for (const std::string& dir : {layout.SandboxRecords(), layout.SandboxRunDirs(), layout.NetnsDir(),
                                 layout.ContainerRecords(), layout.ContainerRunDirs(), layout.CniCache()}) {
    EXPECT_TRUE(DirNames(dir).empty()) << dir << " still holds:\n" << JoinLines(DirNames(dir));
  }
  ExpectTrashEmptied(layout);
  const std::string mounts = Slurp("/proc/self/mountinfo");
  for (const std::string& dir : {layout.SandboxRunDirs() + "/", layout.ContainerRunDirs() + "/",
                                 layout.ContainerRecords() + "/", layout.NetnsDir() + "/", layout.Trash() + "/",
                                 layout.RunTrash() + "/"}) {
    EXPECT_EQ(mounts.find(dir), std::string::npos) << "a mount under " << dir << " is left:\n" << mounts;
  }
  EXPECT_TRUE(IpReservations(ipam_data_dir).empty())
      << "host-local IPs still reserved:\n" << JoinLines(IpReservations(ipam_data_dir));
  EXPECT_TRUE(CgroupsUnder(cgroup_parent).empty()) << "cgroups left:\n" << JoinLines(CgroupsUnder(cgroup_parent));
  for (const auto& handler : DirNames(layout.RuntimeRoot("") )) {
    EXPECT_TRUE(DirNames(layout.RuntimeRoot(handler)).empty())
        << "runtime " << handler << " still knows:\n" << JoinLines(DirNames(layout.RuntimeRoot(handler)));
  }
}

// ExpectNothingLeaked, and no process of this berthd's (its monitors and
// runtime calls name `run_root` on their command lines) after the few
// seconds monitors may take to exit once their containers are gone.
inline void ExpectNoProcessAndNothingLeaked(const config::Layout& layout, const std::string& run_root,
                                            const std::string& ipam_data_dir, const std::string& cgroup_parent) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!ProcessesMentioning(run_root + "/").empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(ProcessesMentioning(run_root + "/").empty()) << JoinLines(ProcessesMentioning(run_root + "/"));
  ExpectNothingLeaked(layout, ipam_data_dir, cgroup_parent);
}

}  // namespace berth::testing
