#pragma once
// A runtime binary run from a sealed in-memory copy. runc copies itself into
// a fresh memfd at every `runc init` (each create and exec): its guard
// against a container rewriting the host's binary through /proc/<pid>/exe
// (CVE-2019-5736). A binary that already is a fully sealed memfd is exempt,
// as runc's own code says an admin may arrange, so berthd makes that copy
// once and each exec skips copying 9 MB. The copy is made again when the file
// on disk changes (an upgrade), and only for ELF binaries: a script cannot be
// executed through a close-on-exec descriptor.

#include <memory>
#include <string>

#include "storage/base/unique_fd.h"

namespace berth::pod::oci {

class SealedBinary {
 public:
  // What to execve for the binary at `path`: its sealed copy, or `path`
  // itself when none can be made. Keep the handle until the child has
  // started: it keeps the copy open.
  static std::shared_ptr<const SealedBinary> For(const std::string& path);

  // "/proc/<berthd>/fd/N" of the copy, or the path itself.
  const std::string& exec_path() const { return exec_path_; }
  bool sealed() const { return static_cast<bool>(fd_); }

  SealedBinary(UniqueFd fd, std::string exec_path) : fd_(std::move(fd)), exec_path_(std::move(exec_path)) {}

 private:
  UniqueFd fd_;
  std::string exec_path_;
};

}  // namespace berth::pod::oci
