#include "storage/layer_unpack.h"
#include "storage/fs.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>

#include "storage/base/error.h"
#include "tests/support/layer_tar.h"
#include "tests/support/temp_dir.h"

namespace berth::storage {
namespace {
using testing::Dir;
using testing::File;
using testing::Hardlink;
using testing::Symlink;
using testing::TarEntry;

// Unpacking keeps ownership, device nodes and trusted xattrs: root only.
#define REQUIRE_ROOT() \
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (chown, mknod, trusted.* xattrs)"

class LayerUnpack : public ::testing::Test {
 protected:
  UnpackResult Unpack(const std::string& blob) {
    std::string path = tmp_.Write("layer.blob", blob);
    std::filesystem::create_directories(dest_);
    return UnpackLayer(path, dest_);
  }
  std::string P(const std::string& rel) const { return dest_ + "/" + rel; }
  static struct stat Lstat(const std::string& p) {
    struct stat st {};
    EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
    return st;
  }
  static std::string Xattr(const std::string& p, const char* name) {
    char buf[256];
    ssize_t n = ::lgetxattr(p.c_str(), name, buf, sizeof buf);
    return n < 0 ? std::string("<none>") : std::string(buf, static_cast<size_t>(n));
  }
  // Expects FAILED_PRECONDITION whose message names `entry`.
  void ExpectRefused(const std::vector<TarEntry>& entries, const std::string& entry) {
    try {
      Unpack(testing::MakeTar(entries));
      ADD_FAILURE() << "unpack of " << entry << " succeeded";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Code::kFailedPrecondition) << e.what();
      EXPECT_NE(std::string(e.what()).find(entry), std::string::npos) << e.what();
    }
  }

  testing::TempDir tmp_;
  std::string dest_ = tmp_ / "root/diff";
};

TEST_F(LayerUnpack, FilesDirsModesOwnershipAndMtime) {
  REQUIRE_ROOT();
  TarEntry etc = Dir("etc/", 0750);
  etc.uid = 1000;
  etc.gid = 1001;
  etc.mtime = 1500000000;
  TarEntry passwd = File("etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0640);
  passwd.uid = 1002;
  passwd.gid = 1003;
  passwd.mtime = 1400000000;
  TarEntry suid = File("./bin/su", "#!", 04755);  // "./" prefix and implicit parent dir
  Unpack(testing::Gzip(testing::MakeTar({etc, passwd, suid})));

  struct stat d = Lstat(P("etc"));
  EXPECT_TRUE(S_ISDIR(d.st_mode));
  EXPECT_EQ(d.st_mode & 07777, 0750u);
  EXPECT_EQ(d.st_uid, 1000u);
  EXPECT_EQ(d.st_gid, 1001u);
  EXPECT_EQ(d.st_mtime, 1500000000);  // restored after the file inside was written
  struct stat f = Lstat(P("etc/passwd"));
  EXPECT_TRUE(S_ISREG(f.st_mode));
  EXPECT_EQ(f.st_mode & 07777, 0640u);
  EXPECT_EQ(f.st_uid, 1002u);
  EXPECT_EQ(f.st_gid, 1003u);
  EXPECT_EQ(f.st_mtime, 1400000000);
  EXPECT_EQ(ReadFile(P("etc/passwd")), "root:x:0:0::/root:/bin/sh\n");
  EXPECT_EQ(Lstat(P("bin/su")).st_mode & 07777, 04755u);
}

TEST_F(LayerUnpack, HardLinkSharesTheInode) {
  REQUIRE_ROOT();
  Unpack(testing::MakeTar({File("a", "content"), Hardlink("b", "a")}));
  struct stat a = Lstat(P("a")), b = Lstat(P("b"));
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(a.st_nlink, 2u);
}

TEST_F(LayerUnpack, SymlinkKeepsAbsoluteTargetAsContent) {
  REQUIRE_ROOT();
  Unpack(testing::MakeTar({Symlink("lnk", "/etc/passwd"), Symlink("rel", "../x")}));
  EXPECT_TRUE(S_ISLNK(Lstat(P("lnk")).st_mode));
  EXPECT_EQ(std::filesystem::read_symlink(P("lnk")).string(), "/etc/passwd");
  EXPECT_EQ(std::filesystem::read_symlink(P("rel")).string(), "../x");
}

TEST_F(LayerUnpack, WhiteoutBecomesCharDevice00) {
  REQUIRE_ROOT();
  Unpack(testing::MakeTar({File(".wh.gone", ""), File("deep/dir/.wh.x", "")}));
  for (const char* p : {"gone", "deep/dir/x"}) {
    struct stat st = Lstat(P(p));
    EXPECT_TRUE(S_ISCHR(st.st_mode)) << p;
    EXPECT_EQ(st.st_rdev, makedev(0, 0)) << p;
  }
  EXPECT_FALSE(std::filesystem::exists(P(".wh.gone")));
}

TEST_F(LayerUnpack, OpaqueMarkerSetsOverlayXattr) {
  REQUIRE_ROOT();
  // "later" gets its marker before its own dir entry: applied at the end.
  Unpack(testing::MakeTar({Dir("opq/"), File("opq/.wh..wh..opq", ""), File("opq/kept", "k"),
                           File("later/.wh..wh..opq", ""), Dir("later/", 0700)}));
  EXPECT_EQ(Xattr(P("opq"), "trusted.overlay.opaque"), "y");
  EXPECT_EQ(Xattr(P("later"), "trusted.overlay.opaque"), "y");
  EXPECT_EQ(Lstat(P("later")).st_mode & 07777, 0700u);
  EXPECT_FALSE(std::filesystem::exists(P("opq/.wh..wh..opq")));
  EXPECT_TRUE(std::filesystem::exists(P("opq/kept")));
}

TEST_F(LayerUnpack, DeviceNodesAndXattrs) {
  REQUIRE_ROOT();
  TarEntry null;
  null.path = "dev/null";
  null.type = AE_IFCHR;
  null.perm = 0666;
  null.dev_major = 1;
  null.dev_minor = 3;
  TarEntry fifo;
  fifo.path = "run/fifo";
  fifo.type = AE_IFIFO;
  TarEntry cap = File("bin/ping", "elf", 0755);
  cap.xattrs = {{"user.berth", "v"}, {"trusted.overlay.redirect", "/etc"}};
  Unpack(testing::MakeTar({null, fifo, cap}));
  struct stat st = Lstat(P("dev/null"));
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
  EXPECT_EQ(st.st_mode & 07777, 0666u);
  EXPECT_TRUE(S_ISFIFO(Lstat(P("run/fifo")).st_mode));
  EXPECT_EQ(Xattr(P("bin/ping"), "user.berth"), "v");
  // A layer must not steer overlayfs through its own xattrs.
  EXPECT_EQ(Xattr(P("bin/ping"), "trusted.overlay.redirect"), "<none>");
}

TEST_F(LayerUnpack, DotDotEntryIsRefused) {
  ExpectRefused({File("ok", "1"), File("a/../../escape", "x")}, "a/../../escape");
  EXPECT_FALSE(std::filesystem::exists(tmp_ / "escape"));
  EXPECT_FALSE(std::filesystem::exists(tmp_ / "root/escape"));
}

TEST_F(LayerUnpack, AbsolutePathIsRefused) {
  ExpectRefused({File("/etc/berth-escape", "x")}, "/etc/berth-escape");
  EXPECT_FALSE(std::filesystem::exists("/etc/berth-escape"));
}

TEST_F(LayerUnpack, HardLinkOutsideIsRefused) {
  ExpectRefused({Hardlink("shadow", "../../../etc/shadow")}, "shadow");
}

TEST_F(LayerUnpack, WriteThroughSymlinkIsRefused) {
  std::filesystem::create_directories(tmp_ / "outside");
  ExpectRefused({Symlink("evil", tmp_ / "outside"), File("evil/planted", "x")}, "evil/planted");
  EXPECT_FALSE(std::filesystem::exists(tmp_ / "outside/planted"));
  // Through a relative link, and a whiteout through a link, too.
  std::filesystem::remove_all(dest_);
  ExpectRefused({Symlink("up", "../.."), File("up/.wh.victim", "")}, "up/.wh.victim");
  ExpectRefused({Symlink("up2", "../../outside"), File("up2/.wh..wh..opq", "")}, "up2/.wh..wh..opq");
}

TEST_F(LayerUnpack, DiffIdIsSha256OfTheUncompressedTar) {
  const std::string tar = testing::MakeTar({Dir("d/"), File("d/f", std::string(300000, 'z')), File("g", "small")});
  const std::string want = Sha256Of(tar);
  for (const auto& [name, blob] : std::vector<std::pair<std::string, std::string>>{
           {"plain", tar}, {"gzip", testing::Gzip(tar)}, {"zstd", testing::Zstd(tar)},
           {"gzip-multimember", testing::Gzip(tar.substr(0, 1000)) + testing::Gzip(tar.substr(1000))}}) {
    std::filesystem::remove_all(dest_);
    UnpackResult r = Unpack(blob);
    EXPECT_EQ(r.diff_id.String(), want) << name;
    EXPECT_EQ(r.uncompressed_size, static_cast<int64_t>(tar.size())) << name;
    EXPECT_EQ(std::filesystem::file_size(P("d/f")), 300000u) << name;
  }
}

TEST_F(LayerUnpack, CorruptOrTruncatedStreamsFail) {
  const std::string gz = testing::Gzip(testing::MakeTar({File("f", std::string(100000, 'q'))}));
  const std::string zs = testing::Zstd(testing::MakeTar({File("f", std::string(100000, 'q'))}));
  for (const std::string& blob : std::vector<std::string>{gz.substr(0, gz.size() / 2), zs.substr(0, zs.size() - 5)}) {
    std::filesystem::remove_all(dest_);
    try {
      Unpack(blob);
      ADD_FAILURE() << "truncated blob unpacked";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Code::kFailedPrecondition) << e.what();
    }
  }
  std::filesystem::remove_all(dest_);
  std::string bad = gz;
  bad[bad.size() / 2] = static_cast<char>(bad[bad.size() / 2] ^ 0x55);
  EXPECT_THROW(Unpack(bad), Error);
}

}  // namespace
}  // namespace berth::storage
