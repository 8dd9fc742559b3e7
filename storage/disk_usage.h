#pragma once
// Disk a directory tree takes, as ImageFsInfo reports it: allocated bytes
// and inodes, hard-linked files counted once.

#include <cstdint>
#include <string>

namespace berth::storage {

struct DiskUsage {
  uint64_t bytes = 0;
  uint64_t inodes = 0;
};

// The tree at `dir`, `dir` itself included; zero when it does not exist.
// Entries removed during the walk are skipped. Throws berth::Error when the
// walk fails otherwise.
DiskUsage DirUsage(const std::string& dir);

}  // namespace berth::storage
