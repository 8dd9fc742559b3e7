#include "network/cni_config.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace berth::network {
namespace {

using berth::testing::TempDir;

constexpr const char* kBridgeList = R"({"cniVersion":"1.0.0","name":"pods","plugins":[
  {"type":"bridge","bridge":"cni0","ipam":{"type":"host-local","subnet":"10.85.0.0/16"}},{"type":"portmap"}]})";

TEST(CniConfig, NoDirOrEmptyDirMeansNotReady) {
  TempDir d;
  auto r = FindDefaultNetwork(d / "missing");
  EXPECT_FALSE(r.network);
  EXPECT_EQ(r.NotReadyMessage(d / "missing"), "no CNI network config found in " + (d / "missing"));
  EXPECT_FALSE(FindDefaultNetwork(d.path().string()).network);
}

TEST(CniConfig, FirstFileInLexicalOrderWins) {
  TempDir d;
  d.Write("20-other.conflist", R"({"cniVersion":"1.0.0","name":"other","plugins":[{"type":"ptp"}]})");
  d.Write("10-pods.conflist", kBridgeList);
  auto r = FindDefaultNetwork(d.path().string());
  ASSERT_TRUE(r.network);
  EXPECT_EQ(r.network->name, "pods");
  EXPECT_EQ(r.network->cni_version, "1.0.0");
  EXPECT_EQ(r.network->plugin_types(), (std::vector<std::string>{"bridge", "portmap"}));
  EXPECT_EQ(r.NotReadyMessage(d.path().string()), "");
}

TEST(CniConfig, SingleConfBecomesAListOfOne) {
  TempDir d;
  d.Write("99-loop.conf", R"({"cniVersion":"0.4.0","name":"lo","type":"loopback"})");
  auto r = FindDefaultNetwork(d.path().string());
  ASSERT_TRUE(r.network);
  EXPECT_EQ(r.network->conflist["plugins"].size(), 1u);
  EXPECT_EQ(r.network->plugin_types(), std::vector<std::string>{"loopback"});
}

TEST(CniConfig, BrokenFilesAreSkippedWithTheirReason) {
  TempDir d;
  d.Write("00-broken.conflist", "{not json");
  d.Write("01-noplugins.conflist", R"({"cniVersion":"1.0.0","name":"x","plugins":[]})");
  d.Write("02-noname.conf", R"({"type":"bridge"})");
  d.Write("03-readme.txt", "ignored: not a CNI extension");
  auto r = FindDefaultNetwork(d.path().string());
  EXPECT_FALSE(r.network);
  ASSERT_EQ(r.skipped.size(), 3u);
  EXPECT_NE(r.skipped[0].find("00-broken.conflist: not valid JSON"), std::string::npos);
  EXPECT_NE(r.skipped[1].find("no \"plugins\""), std::string::npos);
  EXPECT_NE(r.skipped[2].find("no network \"name\""), std::string::npos);
  d.Write("10-pods.conflist", kBridgeList);
  EXPECT_EQ(FindDefaultNetwork(d.path().string()).network->name, "pods");
}

}  // namespace
}  // namespace berth::network
