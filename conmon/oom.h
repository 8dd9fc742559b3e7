#pragma once
// Best-effort OOM-kill detection for a container: the kernel's oom_kill
// counter of the container's memory cgroup (v1 memory.oom_control, v2
// memory.events), read when the container is created and again after it
// exited. The file stays open so the second read does not depend on paths.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "conmon/fd.h"

namespace berth::conmon {

// The value of `key` in a "key value\n" list such as memory.events.
std::optional<uint64_t> ParseCounter(const std::string& text, const std::string& key);

class OomWatch {
 public:
  OomWatch() = default;
  // Finds `pid`'s memory cgroup; a watch that never reports OOM if there is none.
  explicit OomWatch(pid_t pid);
  // True if the oom_kill counter grew (or, without one, the cgroup is under OOM).
  bool Killed() const;

 private:
  std::optional<uint64_t> Read(const std::string& key) const;

  Fd file_;
  uint64_t base_ = 0;
};

}  // namespace berth::conmon
