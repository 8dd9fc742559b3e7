#include <gtest/gtest.h>

#include <filesystem>

#include "network/cni.h"
#include "tests/support/temp_dir.h"

namespace berth::network {
namespace {

using berth::testing::TempDir;

std::string List(const std::string& name) {
  return R"({"cniVersion":"1.0.0","name":")" + name + R"(","plugins":[{"type":"bridge"}]})";
}

TEST(CniDiscover, RereadsWhenTheConfDirOrAFileChanges) {
  TempDir d;
  Cni cni(d / "net.d", {"/usr/lib/cni"}, d / "cache");
  EXPECT_FALSE(cni.Discover().network);  // no dir yet

  d.Write("net.d/20-b.conflist", List("b"));
  ASSERT_TRUE(cni.Discover().network);
  EXPECT_EQ(cni.Discover().network->name, "b");

  d.Write("net.d/10-a.conflist", List("a"));  // a new file that sorts first
  EXPECT_EQ(cni.Discover().network->name, "a");

  // Rewritten in place (the dir's mtime does not change): the file's mtime/size does.
  d.Write("net.d/10-a.conflist", List("a-renamed"));
  EXPECT_EQ(cni.Discover().network->name, "a-renamed");

  std::filesystem::remove(d / "net.d/10-a.conflist");
  EXPECT_EQ(cni.Discover().network->name, "b");

  std::filesystem::remove_all(d / "net.d");
  EXPECT_FALSE(cni.Discover().network);
}

}  // namespace
}  // namespace berth::network
