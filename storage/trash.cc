#include "storage/trash.h"

#include <fcntl.h>
#include <ftw.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "storage/base/error.h"
#include "storage/fs.h"

namespace berth::storage {
namespace {

// How long the reaper waits before trying again after a failure.
constexpr auto kRetry = std::chrono::seconds(30);

thread_local std::string remove_error;

int RemoveEntry(const char* path, const struct stat*, int type, struct FTW*) {
  const int rc = type == FTW_DP ? ::rmdir(path) : ::unlink(path);
  if (rc != 0 && errno != ENOENT) {
    remove_error = std::string(type == FTW_DP ? "rmdir " : "unlink ") + path + ": " + std::strerror(errno);
    return 1;
  }
  return 0;
}

}  // namespace

void RemoveTree(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return;
    throw SysError("lstat " + path);
  }
  remove_error.clear();
  // Depth first, symlinks not followed, and never into another mount.
  const int rc = ::nftw(path.c_str(), RemoveEntry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
  if (rc < 0) throw SysError("walk " + path);
  if (rc > 0) throw Internal("remove " + path + ": " + remove_error);
}

Trash::Trash(std::vector<std::string> dirs) : dirs_(std::move(dirs)) {
  // The dirs are made by the first discard: a berthd that never removes
  // anything (or a test of something else) leaves no trace.
  bool left = false;
  for (const auto& dir : dirs_) left = left || !DirEntries(dir).empty();
  if (left) discarded_ = 1;  // what an earlier berthd left
  reaper_ = std::thread([this] { Reap(); });
}

Trash::~Trash() {
  WaitEmpty(std::chrono::seconds(2));  // a clean stop leaves little behind
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  reaper_.join();
}

void Trash::Discard(const std::string& path, bool sync_parent) {
  const auto slash = path.rfind('/');
  const std::string name = path.substr(slash == std::string::npos ? 0 : slash + 1);
  std::string suffix;
  {
    std::lock_guard lock(mu_);
    if (!made_) {
      for (const auto& dir : dirs_) MakeDirs(dir, 0700);
      made_ = true;
    }
    suffix = "." + std::to_string(next_name_++);
  }
  bool moved = false;
  for (const auto& dir : dirs_) {
    if (::rename(path.c_str(), (dir + "/" + name + suffix).c_str()) == 0) {
      moved = true;
      break;
    }
    if (errno == ENOENT) return;
    if (errno != EXDEV) throw SysError("move " + path + " to the trash " + dir);
  }
  if (!moved) {
    RemoveTree(path);  // on no trash dir's file system
    return;
  }
  if (sync_parent) SyncDir(path.substr(0, slash == std::string::npos ? 0 : slash));
  {
    std::lock_guard lock(mu_);
    ++discarded_;
  }
  wake_.notify_one();
}

bool Trash::WaitEmpty(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  const uint64_t want = discarded_;
  return emptied_.wait_for(lock, timeout, [&] { return reaped_ >= want; });
}

bool Trash::EmptyOnce() {
  bool all = true;
  for (const auto& dir : dirs_) {
    for (const auto& name : DirEntries(dir)) {
      try {
        RemoveTree(dir + "/" + name);
      } catch (const std::exception& e) {
        spdlog::warn("trash {}: {} (left for a later try)", dir, e.what());
        all = false;
      }
    }
  }
  return all;
}

void Trash::Reap() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return stop_ || reaped_ < discarded_; });
    if (stop_) return;
    const uint64_t target = discarded_;
    lock.unlock();
    const bool all = EmptyOnce();
    lock.lock();
    if (all) {
      reaped_ = target;
      emptied_.notify_all();
    } else {
      wake_.wait_for(lock, kRetry, [&] { return stop_ || discarded_ > target; });
    }
  }
}

}  // namespace berth::storage
