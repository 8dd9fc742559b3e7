#pragma once
// Deletion after the answer. Removing a container's writable layer or run
// dir can take far longer than the RPC that asks for it, so Discard() only
// renames the tree into a trash dir on its file system (one rename, durable
// with the parent dir's fsync) and one reaper thread deletes it afterwards.
// The trash dirs are themselves the record of what is left to delete: entries
// a crash or a stop left behind are deleted by the next reaper on start.
//
// The reaper never crosses into another file system (a mount left inside a
// discarded tree stays, with a warning, and is retried), so a forgotten
// mount can never take an image layer with it.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace berth::storage {

class Trash {
 public:
  // The `dirs`: one per file system that trees are discarded from (made,
  // mode 0700, at the first discard). Starts the reaper, which first
  // empties what they hold.
  explicit Trash(std::vector<std::string> dirs);
  ~Trash();  // gives the reaper 2 s, then stops it; what is left waits for the next start
  Trash(const Trash&) = delete;
  Trash& operator=(const Trash&) = delete;

  // Moves `path` into the first trash dir on its file system; fine when it
  // does not exist. `sync_parent`: fsync the dir it left, so the move
  // survives a power loss. A path on no trash dir's file system is removed
  // here and now.
  void Discard(const std::string& path, bool sync_parent);
  // Waits until the reaper has deleted everything discarded so far; false
  // at the timeout (tests, and berthd's clean stop).
  bool WaitEmpty(std::chrono::milliseconds timeout);

 private:
  void Reap();
  bool EmptyOnce();  // deletes every entry; false when one could not go

  const std::vector<std::string> dirs_;
  std::mutex mu_;
  std::condition_variable wake_, emptied_;
  uint64_t discarded_ = 0, reaped_ = 0;  // generations: WaitEmpty waits for reaped_ to catch up
  uint64_t next_name_ = 0;
  bool made_ = false;  // the dirs exist (made at the first discard)
  bool stop_ = false;
  std::thread reaper_;
};

// Deletes the tree at `path` without crossing into other file systems;
// fine when it does not exist. Throws berth::Error naming the entry that
// could not go (a mount point gives EBUSY).
void RemoveTree(const std::string& path);

}  // namespace berth::storage
