#include "config/layout.h"

#include <gtest/gtest.h>

namespace berth::config {
namespace {

TEST(LayoutTest, SpellsTheRootAndTheRunRoot) {
  Config cfg;
  cfg.root = "/var/lib/b";
  cfg.run_root = "/run/b";
  const Layout l(cfg);
  EXPECT_EQ(l.SandboxRecords(), "/var/lib/b/sandboxes");
  EXPECT_EQ(l.ContainerDir("c1"), "/var/lib/b/containers/c1");
  EXPECT_EQ(l.Blobs(), "/var/lib/b/blobs");
  EXPECT_EQ(l.Layers(), "/var/lib/b/layers");
  EXPECT_EQ(l.Images(), "/var/lib/b/images");
  EXPECT_EQ(l.PauseRootfs(), "/var/lib/b/pause-rootfs");
  EXPECT_EQ(l.CniCache(), "/var/lib/b/cni-cache");
  EXPECT_EQ(l.RootLock(), "/var/lib/b/berthd.lock");
  EXPECT_EQ(l.SandboxRunDir("s1"), "/run/b/sandboxes/s1");
  EXPECT_EQ(l.ContainerRunDir("c1"), "/run/b/containers/c1");
  EXPECT_EQ(l.Netns("s1"), "/run/b/netns/s1");
  EXPECT_EQ(l.RuntimeRoot("runc"), "/run/b/runtimes/runc");
  EXPECT_EQ(Layout::ExitFile(l.ContainerRunDir("c1")), "/run/b/containers/c1/exit");
  EXPECT_EQ(Layout::Bundle(l.SandboxRunDir("s1")), "/run/b/sandboxes/s1/bundle");
  EXPECT_EQ(Layout::Rootfs(l.ContainerRunDir("c1")), "/run/b/containers/c1/rootfs");
}

}  // namespace
}  // namespace berth::config
