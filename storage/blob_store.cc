#include "storage/blob_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "storage/base/error.h"
#include "storage/base/unique_fd.h"

namespace berth::storage {
namespace fs = std::filesystem;

BlobStore::BlobStore(std::string dir)
    : dir_(std::move(dir)),
      blobs_dir_(dir_ + "/sha256"),
      ingest_dir_(dir_ + "/ingest"),
      trash_dir_(dir_ + "/trash") {
  MakeDirs(blobs_dir_, 0700);
  MakeDirs(ingest_dir_, 0700);
  MakeDirs(trash_dir_, 0700);
}

std::string BlobStore::Path(const Digest& d) const { return blobs_dir_ + "/" + d.hex; }

bool BlobStore::Has(const Digest& d) const {
  struct stat st {};
  return ::stat(Path(d).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

int64_t BlobStore::Size(const Digest& d) const {
  struct stat st {};
  if (::stat(Path(d).c_str(), &st) != 0) {
    if (errno == ENOENT) throw NotFound("blob " + d.String() + " not found");
    throw SysError("stat blob " + Path(d));
  }
  return st.st_size;
}

std::string BlobStore::Read(const Digest& d, int64_t max_bytes) const {
  const std::string path = Path(d);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) throw NotFound("blob " + d.String() + " not found");
    throw SysError("open blob " + path);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw SysError("fstat blob " + path);
  if (st.st_size > max_bytes) {
    throw FailedPrecondition("blob " + d.String() + " is " + std::to_string(st.st_size) + " bytes, more than " +
                             std::to_string(max_bytes) + " allowed here");
  }
  return ReadFile(path);
}

void BlobStore::Put(const Digest& expected, std::string_view data) {
  auto w = Ingest(expected, static_cast<int64_t>(data.size()));
  w->Write(data);
  w->Commit();
}

std::unique_ptr<BlobStore::Writer> BlobStore::Ingest(const Digest& expected, int64_t expected_size) {
  return std::unique_ptr<Writer>(new Writer(*this, expected, expected_size));
}

void BlobStore::Fetch(const Digest& expected, int64_t expected_size, const std::function<void(Writer&)>& download) {
  if (Has(expected)) return;
  std::promise<void> promise;
  {
    std::unique_lock lock(mu_);
    if (auto it = inflight_.find(expected); it != inflight_.end()) {
      auto shared = it->second;
      lock.unlock();
      shared.get();  // rethrows the first caller's error
      return;
    }
    inflight_.emplace(expected, promise.get_future().share());
  }
  auto finish = [&] {
    std::lock_guard lock(mu_);
    inflight_.erase(expected);
  };
  try {
    if (!Has(expected)) {  // another fetch may have finished between Has and the lock
      auto w = Ingest(expected, expected_size);
      download(*w);
      w->Commit();
    }
  } catch (...) {
    finish();
    promise.set_exception(std::current_exception());
    throw;
  }
  finish();
  promise.set_value();
}

void BlobStore::CleanIngest() {
  for (const std::string& dir : {ingest_dir_, trash_dir_}) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      std::error_code rm_ec;
      fs::remove_all(e.path(), rm_ec);
      if (rm_ec) throw SysError("remove leftover " + e.path().string(), rm_ec.value());
    }
    if (ec) throw SysError("list " + dir, ec.value());
  }
}

bool BlobStore::Remove(const Digest& d) {
  if (::unlink(Path(d).c_str()) != 0) {
    if (errno == ENOENT) return false;
    throw SysError("unlink blob " + Path(d));
  }
  SyncDir(blobs_dir_);
  return true;
}

std::string BlobStore::MoveToTrash(const Digest& d) {
  // A unique name: the same blob may be trashed again (pulled anew) before
  // the first trash copy is deleted.
  std::string trash = trash_dir_ + "/" + d.hex + "-XXXXXX";
  UniqueFd placeholder(::mkostemp(trash.data(), O_CLOEXEC));
  if (!placeholder) throw SysError("create trash file for blob " + d.String() + " in " + trash_dir_);
  if (::rename(Path(d).c_str(), trash.c_str()) != 0) {
    int err = errno;
    ::unlink(trash.c_str());
    if (err == ENOENT) return "";
    throw SysError("rename blob " + Path(d) + " to " + trash, err);
  }
  SyncDir(blobs_dir_);
  return trash;
}

std::vector<Digest> BlobStore::List() const {
  std::vector<Digest> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(blobs_dir_, ec)) {
    const std::string name = "sha256:" + e.path().filename().string();
    if (Digest::Valid(name)) out.push_back(Digest::Parse(name));
  }
  if (ec) throw SysError("list " + blobs_dir_, ec.value());
  return out;
}

// ---- Writer ----

BlobStore::Writer::Writer(BlobStore& store, Digest expected, int64_t expected_size)
    : store_(store), expected_(std::move(expected)), expected_size_(expected_size) {
  tmp_path_ = store_.ingest_dir_ + "/" + expected_.hex + "-XXXXXX";
  fd_ = UniqueFd(::mkostemp(tmp_path_.data(), O_CLOEXEC));
  if (!fd_) throw SysError("create ingest file for blob " + expected_.String() + " in " + store_.ingest_dir_);
}

BlobStore::Writer::~Writer() {
  if (!committed_) ::unlink(tmp_path_.c_str());
}

void BlobStore::Writer::Write(std::string_view chunk) {
  if (committed_) throw FailedPrecondition("blob " + expected_.String() + ": write after commit");
  if (expected_size_ >= 0 && written_ + static_cast<int64_t>(chunk.size()) > expected_size_) {
    throw FailedPrecondition("blob " + expected_.String() + ": more than the expected " +
                             std::to_string(expected_size_) + " bytes received");
  }
  hash_.Update(chunk);
  for (size_t off = 0; off < chunk.size();) {
    ssize_t n = ::write(fd_.get(), chunk.data() + off, chunk.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SysError("write ingest file " + tmp_path_);
    off += static_cast<size_t>(n);
  }
  written_ += static_cast<int64_t>(chunk.size());
}

void BlobStore::Writer::Commit() {
  if (committed_) return;
  if (expected_size_ >= 0 && written_ != expected_size_) {
    throw FailedPrecondition("blob " + expected_.String() + ": got " + std::to_string(written_) +
                             " bytes, expected " + std::to_string(expected_size_));
  }
  const std::string got = hash_.Final();
  if (got != expected_.String()) {
    throw FailedPrecondition("blob content digest " + got + " does not match expected " + expected_.String());
  }
  if (::fchmod(fd_.get(), 0644) != 0) throw SysError("fchmod " + tmp_path_);
  if (::fsync(fd_.get()) != 0) throw SysError("fsync " + tmp_path_);
  fd_.reset();
  const std::string dest = store_.Path(expected_);
  if (::rename(tmp_path_.c_str(), dest.c_str()) != 0) throw SysError("rename " + tmp_path_ + " to " + dest);
  committed_ = true;
  SyncDir(store_.blobs_dir_);
}

}  // namespace berth::storage
