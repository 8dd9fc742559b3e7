#include "storage/layer_unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <filesystem>
#include <memory>
#include <vector>

#include "storage/base/error.h"
#include "storage/base/unique_fd.h"
#include "storage/decompress.h"
#include "storage/fs.h"

namespace berth::storage {
namespace {
namespace fs = std::filesystem;

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";

struct ArchiveReadFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct ArchiveWriteFree {
  void operator()(archive* a) const { archive_write_free(a); }
};

// The uncompressed tar stream as libarchive sees it; every byte also goes
// into the diff_id hash, so the digest covers exactly what was unpacked.
struct Source {
  Source(int fd, const std::string& what) : dec(fd, what) {}
  Decompressor dec;
  Sha256 hash;
  int64_t size = 0;
  std::vector<char> buf = std::vector<char>(1 << 17);
  std::exception_ptr error;

  size_t Pull() {
    size_t n = dec.Read(buf.data(), buf.size());
    hash.Update(buf.data(), n);
    size += static_cast<int64_t>(n);
    return n;
  }
};

la_ssize_t ReadCallback(archive* a, void* ctx, const void** out) {
  auto* src = static_cast<Source*>(ctx);
  try {
    size_t n = src->Pull();
    *out = src->buf.data();
    return static_cast<la_ssize_t>(n);
  } catch (...) {
    src->error = std::current_exception();
    archive_set_error(a, EIO, "layer stream read failed");
    return -1;
  }
}

// The entry path relative to the layer root, without "." components or a
// trailing "/"; "" for the root itself. Refuses absolute paths and "..".
std::string CleanPath(const std::string& raw, const std::string& what) {
  if (!raw.empty() && raw[0] == '/') throw FailedPrecondition("layer entry \"" + raw + "\"" + what + " is an absolute path");
  std::string out;
  size_t pos = 0;
  while (pos <= raw.size()) {
    size_t next = raw.find('/', pos);
    if (next == std::string::npos) next = raw.size();
    std::string_view part(raw.data() + pos, next - pos);
    if (part == "..") throw FailedPrecondition("layer entry \"" + raw + "\"" + what + " has a \"..\" component");
    if (!part.empty() && part != ".") {
      if (!out.empty()) out += '/';
      out += part;
    }
    pos = next + 1;
  }
  return out;
}

// Refuses a path under `root` whose parent components (or, with
// `check_last`, the path itself) include a symlink: nothing is written through one.
void CheckNoSymlink(const std::string& root, const std::string& rel, bool check_last, const std::string& entry) {
  std::string cur = root;
  size_t pos = 0;
  while (pos < rel.size()) {
    size_t next = rel.find('/', pos);
    bool last = next == std::string::npos;
    if (last && !check_last) return;
    // Appended in two steps: `"/" + substr` trips GCC 12's false -Wrestrict at -O3.
    cur += '/';
    cur.append(rel, pos, last ? std::string::npos : next - pos);
    struct stat st {};
    if (::lstat(cur.c_str(), &st) != 0) {
      if (errno == ENOENT) return;  // created fresh below: no symlink possible
      throw SysError("lstat " + cur);
    }
    if (S_ISLNK(st.st_mode)) {
      throw FailedPrecondition("layer entry \"" + entry + "\" would be written through the symlink \"" +
                               cur.substr(root.size() + 1) + "\"");
    }
    if (last) return;
    pos = next + 1;
  }
}

// Drops trusted.overlay.* xattrs a layer could use to steer overlayfs.
void DropOverlayXattrs(archive_entry* e) {
  struct Xattr {
    std::string name;
    std::string value;
  };
  std::vector<Xattr> keep;
  bool dropped = false;
  archive_entry_xattr_reset(e);
  const char* name = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
    if (std::string_view(name).starts_with("trusted.overlay.")) {
      dropped = true;
      continue;
    }
    keep.push_back({name, std::string(static_cast<const char*>(value), size)});
  }
  if (!dropped) return;
  archive_entry_xattr_clear(e);
  for (const auto& x : keep) archive_entry_xattr_add_entry(e, x.name.c_str(), x.value.data(), x.value.size());
}

void MakeWhiteout(const std::string& root, const std::string& rel, const std::string& entry) {
  const std::string path = root + "/" + rel;
  const std::string parent = fs::path(path).parent_path().string();
  MakeDirs(parent);
  std::error_code ec;
  fs::remove_all(path, ec);  // the whited-out name may exist from earlier in this layer
  if (ec) throw SysError("remove " + path + " for whiteout " + entry, ec.value());
  if (::mknod(path.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0) throw SysError("mknod whiteout " + path);
}

void MakeOpaque(const std::string& root, const std::string& rel_dir, const std::string& entry) {
  CheckNoSymlink(root, rel_dir, true, entry);
  const std::string dir = rel_dir.empty() ? root : root + "/" + rel_dir;
  MakeDirs(dir);
  if (::lsetxattr(dir.c_str(), "trusted.overlay.opaque", "y", 1, 0) != 0) {
    throw SysError("setxattr trusted.overlay.opaque on " + dir);
  }
}

class Unpacker {
 public:
  Unpacker(int fd, std::string root, std::string what)
      : root_(std::move(root)), src_(fd, what), what_(std::move(what)) {}

  UnpackResult Run() {
    std::unique_ptr<archive, ArchiveReadFree> in(archive_read_new());
    std::unique_ptr<archive, ArchiveWriteFree> out(archive_write_disk_new());
    if (!in || !out) throw Internal("libarchive: out of memory");
    archive_read_support_format_tar(in.get());
    archive_read_support_filter_none(in.get());
    // Paths are made absolute under root_ (archive_write_disk has no dirfd
    // API), so NOABSOLUTEPATHS cannot apply: CleanPath refuses them instead.
    archive_write_disk_set_options(out.get(), ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
                                                  ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_UNLINK |
                                                  ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT);
    if (archive_read_open(in.get(), &src_, nullptr, ReadCallback, nullptr) != ARCHIVE_OK) {
      Fail(in.get(), "open tar stream");
    }
    for (;;) {
      archive_entry* e = nullptr;
      int rc = archive_read_next_header(in.get(), &e);
      if (rc == ARCHIVE_EOF) break;
      if (rc < ARCHIVE_WARN) Fail(in.get(), "read tar header");
      Entry(in.get(), out.get(), e);
    }
    // Directory times and modes are fixed up here, after every entry.
    if (archive_write_close(out.get()) != ARCHIVE_OK) Fail(out.get(), "finish unpacking");
    for (const auto& [dir, entry] : opaque_) MakeOpaque(root_, dir, entry);
    // The diff_id covers the whole stream, including padding after the tar end.
    while (src_.Pull() > 0) {
    }
    return {src_.hash.FinalDigest(), src_.size};
  }

 private:
  [[noreturn]] void Fail(archive* a, const std::string& doing) {
    if (src_.error) std::rethrow_exception(src_.error);
    const char* msg = archive_error_string(a);
    throw FailedPrecondition(what_ + ": " + doing + ": " + (msg ? msg : "libarchive error"));
  }

  void Entry(archive* in, archive* out, archive_entry* e) {
    const char* raw_c = archive_entry_pathname(e);
    if (raw_c == nullptr) raw_c = archive_entry_pathname_utf8(e);
    if (raw_c == nullptr) throw FailedPrecondition(what_ + ": tar entry without a path");
    const std::string raw = raw_c;
    const std::string rel = CleanPath(raw, "");
    if (rel.empty()) return;  // the layer root itself: the diff dir is ours
    CheckNoSymlink(root_, rel, false, raw);

    const std::string base = fs::path(rel).filename().string();
    const std::string parent = fs::path(rel).parent_path().string();
    if (base == kOpaqueMarker) {
      opaque_.emplace_back(parent, raw);
      return;
    }
    if (base.starts_with(kWhiteoutPrefix)) {
      if (base.starts_with(".wh..wh.")) return;  // aufs metadata (e.g. .wh..wh.plnk): not content
      std::string name = base.substr(kWhiteoutPrefix.size());
      MakeWhiteout(root_, parent.empty() ? name : parent + "/" + name, raw);
      return;
    }

    archive_entry_copy_pathname(e, (root_ + "/" + rel).c_str());
    if (const char* link = archive_entry_hardlink(e); link != nullptr) {
      const std::string target = CleanPath(link, " (hard link target)");
      if (target.empty()) throw FailedPrecondition("layer entry \"" + raw + "\" hard-links to the layer root");
      CheckNoSymlink(root_, target, false, raw);  // link(2) does not follow a final symlink
      archive_entry_copy_hardlink(e, (root_ + "/" + target).c_str());
    }
    DropOverlayXattrs(e);

    int rc = archive_write_header(out, e);
    if (rc == ARCHIVE_WARN) {
      spdlog::warn("{}: entry {}: {}", what_, raw, archive_error_string(out) ? archive_error_string(out) : "warning");
    } else if (rc != ARCHIVE_OK) {
      const char* msg = archive_error_string(out);
      throw FailedPrecondition(what_ + ": layer entry \"" + raw + "\" refused: " + (msg ? msg : "libarchive error"));
    }
    if (archive_entry_size(e) > 0 && archive_entry_hardlink(e) == nullptr) CopyData(in, out, raw);
    if (archive_write_finish_entry(out) < ARCHIVE_WARN) Fail(out, "finish entry \"" + raw + "\"");
  }

  void CopyData(archive* in, archive* out, const std::string& entry) {
    for (;;) {
      const void* buf = nullptr;
      size_t size = 0;
      la_int64_t offset = 0;
      int rc = archive_read_data_block(in, &buf, &size, &offset);
      if (rc == ARCHIVE_EOF) return;
      if (rc < ARCHIVE_WARN) Fail(in, "read data of \"" + entry + "\"");
      if (archive_write_data_block(out, buf, size, offset) < ARCHIVE_WARN) Fail(out, "write \"" + entry + "\"");
    }
  }

  std::string root_;
  Source src_;
  std::string what_;
  std::vector<std::pair<std::string, std::string>> opaque_;  // (dir relative to root, entry)
};

}  // namespace

UnpackResult UnpackLayer(int fd, const std::string& dest) {
  std::error_code ec;
  // SECURE_SYMLINKS checks every component of the absolute path, so it must have none.
  const std::string root = fs::canonical(dest, ec).string();
  if (ec) throw SysError("resolve layer dir " + dest, ec.value());
  return Unpacker(fd, root, "layer into " + dest).Run();
}

UnpackResult UnpackLayer(const std::string& blob_path, const std::string& dest) {
  UniqueFd fd(::open(blob_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) throw NotFound("layer blob " + blob_path + " does not exist");
    throw SysError("open layer blob " + blob_path);
  }
  std::error_code ec;
  const std::string root = fs::canonical(dest, ec).string();
  if (ec) throw SysError("resolve layer dir " + dest, ec.value());
  return Unpacker(fd.get(), root, "layer " + blob_path).Run();
}

}  // namespace berth::storage
