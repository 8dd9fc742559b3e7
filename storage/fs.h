#pragma once
// File primitives shared by every library: reads and atomic
// file writes (write, fsync, rename, fsync dir), so a state file is always
// either the old or the new version, whenever berthd is killed.

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::storage {

// How long a written file must survive: a power loss (records under the
// root: fsync of file and dir), or only a crash of berthd (files under the
// run root, gone at reboot anyway: the rename alone is atomic for that, and
// skipping the fsyncs takes tens of ms off each pod start on a busy disk).
enum class Durability { kPowerLoss, kProcessCrash };

// Replaces `path` atomically with `data`: temp file in the same dir, fsync,
// rename, fsync of the dir (no fsyncs for kProcessCrash). Throws
// berth::Error (with the syscall and errno).
void WriteFileAtomic(const std::string& path, std::string_view data, mode_t mode = 0644,
                     Durability durability = Durability::kPowerLoss);
// Removes the temp files of WriteFileAtomic calls a crash cut short
// ("<name>.tmp-XXXXXX") directly in `dir`; returns how many. For start-up,
// before anything writes there.
int RemoveAtomicWriteLeftovers(const std::string& dir);

// The whole file; throws berth::Error with the errno (missing() when it
// does not exist: what that means is the caller's to say).
std::string ReadFile(const std::string& path);
// The same, or nullopt when the file does not exist.
std::optional<std::string> ReadFileIfExists(const std::string& path);

// mkdir -p with `mode` for the dirs it creates; throws berth::Error.
void MakeDirs(const std::string& path, mode_t mode = 0755);

// rm -rf, fine when `path` does not exist; throws berth::Error naming the
// path and the errno.
void RemoveAll(const std::string& path);

// Names in `dir` (none if it does not exist).
std::vector<std::string> DirEntries(const std::string& dir);

// fsync of a directory, so a rename or unlink in it is durable.
void SyncDir(const std::string& dir);

}  // namespace berth::storage
