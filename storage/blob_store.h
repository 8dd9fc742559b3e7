#pragma once
// Content-addressed blob store: <root>/blobs/sha256/<hex>. A blob only
// appears under its digest after its content was verified and fsynced;
// downloads stream into <root>/blobs/ingest/ and are renamed into place;
// removed blobs are renamed into <root>/blobs/trash/ before they are deleted.
// Concurrent fetches of the same digest share one download.

#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "storage/base/unique_fd.h"
#include "storage/digest.h"
#include "storage/fs.h"

namespace berth::storage {

class BlobStore {
 public:
  // Streams one blob into a temp file; Commit verifies and publishes it.
  // Destroying an uncommitted Writer removes its temp file.
  class Writer {
   public:
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;
    ~Writer();
    // Appends; throws FAILED_PRECONDITION once more than the expected size arrived.
    void Write(std::string_view chunk);
    // Bytes written so far.
    int64_t Written() const { return written_; }
    // Checks size and digest (FAILED_PRECONDITION naming both digests on a
    // mismatch, temp file removed), fsyncs, renames into place. Committing a
    // blob that already exists is fine (same content by construction).
    void Commit();

   private:
    friend class BlobStore;
    Writer(BlobStore& store, Digest expected, int64_t expected_size);
    BlobStore& store_;
    Digest expected_;
    int64_t expected_size_;  // -1: unknown
    int64_t written_ = 0;
    std::string tmp_path_;
    UniqueFd fd_;
    Sha256 hash_;
    bool committed_ = false;
  };

  // Creates <dir>/sha256, <dir>/ingest and <dir>/trash as needed.
  explicit BlobStore(std::string dir);

  bool Has(const Digest& d) const;
  // Path of the blob file (whether or not it exists).
  std::string Path(const Digest& d) const;
  // Size in bytes; NOT_FOUND if absent.
  int64_t Size(const Digest& d) const;
  // Whole content of a small blob (manifests, configs); NOT_FOUND if absent,
  // FAILED_PRECONDITION if larger than `max_bytes`.
  std::string Read(const Digest& d, int64_t max_bytes = 16 << 20) const;
  // Stores `data` after checking it hashes to `expected` (FAILED_PRECONDITION otherwise).
  void Put(const Digest& expected, std::string_view data);
  // A writer for one blob; `expected_size` -1 when unknown.
  std::unique_ptr<Writer> Ingest(const Digest& expected, int64_t expected_size);
  // Ensures the blob is present: returns at once if it is; otherwise runs
  // `download` (which writes the content into the Writer; Fetch commits) once
  // for all concurrent callers of the same digest; the others wait and get
  // the same outcome (the first caller's exception is rethrown to them).
  void Fetch(const Digest& expected, int64_t expected_size, const std::function<void(Writer&)>& download);
  // Removes leftover temp files and trash of an earlier run (call at start).
  void CleanIngest();
  // Removes a blob; returns false if it was not there.
  bool Remove(const Digest& d);
  // Moves a blob into the trash dir (one rename: at once absent, and a crash
  // leaves only trash that CleanIngest removes). Returns the trash path for
  // the caller to delete when convenient (e.g. outside its lock), or "" if the
  // blob was not there.
  std::string MoveToTrash(const Digest& d);
  // Every stored blob.
  std::vector<Digest> List() const;

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::string blobs_dir_;   // <root>/blobs/sha256
  std::string ingest_dir_;  // <root>/blobs/ingest
  std::string trash_dir_;   // <root>/blobs/trash
  std::mutex mu_;
  std::map<Digest, std::shared_future<void>> inflight_;
};

}  // namespace berth::storage
