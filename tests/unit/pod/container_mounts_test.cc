// BuildContainerMounts on its own: the default mounts and the pod's files in
// order, CRI mounts replacing defaults (one at /dev replacing all of /dev),
// duplicate and malformed mounts refused, rootfs propagation from the CRI
// mounts, image volumes numbered by their place in the image, parents
// mounted before children; and CleanPath's lexical normalisation.
#include "pod/container_mounts.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "storage/base/error.h"
#include "tests/support/pod_sandbox.h"

namespace berth::pod {
namespace {

using nlohmann::json;
namespace v1 = runtime::v1;

image::ImageConfig Image(json config) {
  json body = {{"architecture", "amd64"},
               {"os", "linux"},
               {"rootfs", {{"type", "layers"}, {"diff_ids", json::array()}}}};
  body["config"] = std::move(config);
  return image::ImageConfig::Parse(body.dump(), "test");
}

// What BuildContainerMounts reads, with defaults a test changes.
struct Case {
  v1::ContainerConfig config;
  image::ImageConfig image = Image({{"Cmd", {"/bin/sh"}}});
  Sandbox sb = berth::testing::PodSandbox();
  std::string hosts = "/run/pod/hosts", resolv = "/run/pod/resolv.conf", hostname = "/run/pod/hostname";
  std::string volumes_dir = "/var/lib/berth/containers/c1/volumes";

  v1::Mount* Add(const std::string& dest, const std::string& host,
                 v1::MountPropagation p = v1::PROPAGATION_PRIVATE) {
    auto* m = config.add_mounts();
    m->set_container_path(dest);
    m->set_host_path(host);
    m->set_propagation(p);
    return m;
  }
  v1::LinuxContainerSecurityContext& sc() { return *config.mutable_linux()->mutable_security_context(); }
  ContainerMounts Build() const {
    return BuildContainerMounts({.config = config,
                                 .image = image,
                                 .sandbox = sb,
                                 .container_id = "c1",
                                 .rootfs = "/var/lib/berth/containers/c1/rootfs",
                                 .cgroups_path = "/kubepods/c1",
                                 .pause_pid = 0,
                                 .target_pid = 0,
                                 .hosts_path = hosts,
                                 .resolv_conf_path = resolv,
                                 .hostname_path = hostname,
                                 .volumes_dir = volumes_dir,
                                 .etc_passwd = "",
                                 .etc_group = "",
                                 .own_oom_score_adj = 0,
                                 .stat_device = {},
                                 .own_capabilities = {},
                                 .cgroups = {}});
  }
  // The message of the berth::Error Build() throws ("" if none).
  std::string Failure() const {
    try {
      Build();
    } catch (const Error& e) {
      return e.what();
    }
    ADD_FAILURE() << "BuildContainerMounts did not throw";
    return "";
  }
};

std::vector<std::string> Destinations(const json& mounts) {
  std::vector<std::string> out;
  for (const auto& m : mounts) out.push_back(m["destination"]);
  return out;
}

const json& At(const json& mounts, const std::string& dest) {
  for (const auto& m : mounts) {
    if (m["destination"] == dest) return m;
  }
  static const json none;
  ADD_FAILURE() << "no mount at " << dest;
  return none;
}

TEST(CleanPath, LexicalNormalisationWithoutTrailingSlash) {
  EXPECT_EQ(CleanPath("/a//b/./c/"), "/a/b/c");
  EXPECT_EQ(CleanPath("/a/b/../c"), "/a/c");
  EXPECT_EQ(CleanPath("/../etc"), "/etc");  // ".." at the root stays at the root
  EXPECT_EQ(CleanPath("/"), "/");
  EXPECT_EQ(CleanPath("/data///"), "/data");
  EXPECT_EQ(CleanPath("rel/./x/"), "rel/x");
}

TEST(BuildContainerMounts, DefaultsInMountOrderThenThePodsFilesByDepth) {
  Case c;
  const ContainerMounts m = c.Build();
  EXPECT_EQ(Destinations(m.mounts),
            (std::vector<std::string>{"/proc", "/dev", "/sys", "/dev/pts", "/dev/shm", "/dev/mqueue", "/etc/hosts",
                                      "/etc/resolv.conf", "/etc/hostname", "/sys/fs/cgroup"}));
  EXPECT_EQ(At(m.mounts, "/dev/shm")["source"], c.sb.shm_path);
  EXPECT_EQ(At(m.mounts, "/etc/hosts"), json({{"destination", "/etc/hosts"},
                                             {"type", "bind"},
                                             {"source", "/run/pod/hosts"},
                                             {"options", {"rbind", "rprivate", "rw"}}}));
  EXPECT_EQ(At(m.mounts, "/sys/fs/cgroup")["options"], json({"nosuid", "noexec", "nodev", "relatime", "ro"}));
  EXPECT_EQ(At(m.mounts, "/sys")["options"].back(), "ro");
  EXPECT_TRUE(m.volume_dirs.empty());
  EXPECT_EQ(m.rootfs_propagation, "");
}

TEST(BuildContainerMounts, ReadOnlyRootfsPrivilegedAndMissingPodFiles) {
  Case c;
  c.sc().set_readonly_rootfs(true);
  c.sc().set_privileged(true);
  c.hostname.clear();  // a pod file that does not exist is not mounted
  const ContainerMounts m = c.Build();
  EXPECT_EQ(At(m.mounts, "/etc/hosts")["options"], json({"rbind", "rprivate", "ro"}));
  EXPECT_EQ(At(m.mounts, "/etc/resolv.conf")["options"], json({"rbind", "rprivate", "ro"}));
  EXPECT_EQ(At(m.mounts, "/sys/fs/cgroup")["options"].back(), "rw");
  EXPECT_EQ(At(m.mounts, "/sys")["options"].back(), "rw");
  const auto d = Destinations(m.mounts);
  EXPECT_EQ(std::find(d.begin(), d.end(), "/etc/hostname"), d.end());
}

TEST(BuildContainerMounts, ShmComesFromTheHostWithHostIpcAndIsRequiredOtherwise) {
  Case c;
  c.sb.ns.ipc = NsMode::kNode;
  c.sb.shm_path.clear();
  EXPECT_EQ(At(c.Build().mounts, "/dev/shm")["source"], "/dev/shm");
  c.sb.ns.ipc = NsMode::kPod;
  EXPECT_NE(c.Failure().find("sandbox " + c.sb.id + " has no /dev/shm of its own"), std::string::npos);
}

TEST(BuildContainerMounts, CriMountsAreCleanedBindsWithPropagationAndMode) {
  Case c;
  c.Add("/data//x/", "/srv/x")->set_readonly(true);
  c.Add("/slave", "/srv/slave", v1::PROPAGATION_HOST_TO_CONTAINER);
  const ContainerMounts m = c.Build();
  EXPECT_EQ(At(m.mounts, "/data/x"),
            json({{"destination", "/data/x"},
                  {"type", "bind"},
                  {"source", "/srv/x"},
                  {"options", {"rbind", "rprivate", "ro"}}}));
  EXPECT_EQ(At(m.mounts, "/slave")["options"], json({"rbind", "rslave", "rw"}));
  EXPECT_EQ(m.rootfs_propagation, "rslave");
}

TEST(BuildContainerMounts, SharedPropagationNeedsASharedRootfsWhateverTheOrder) {
  for (bool shared_first : {true, false}) {
    Case c;
    if (shared_first) c.Add("/shared", "/srv/shared", v1::PROPAGATION_BIDIRECTIONAL);
    c.Add("/slave", "/srv/slave", v1::PROPAGATION_HOST_TO_CONTAINER);
    if (!shared_first) c.Add("/shared", "/srv/shared", v1::PROPAGATION_BIDIRECTIONAL);
    const ContainerMounts m = c.Build();
    EXPECT_EQ(m.rootfs_propagation, "rshared") << shared_first;
    EXPECT_EQ(At(m.mounts, "/shared")["options"], json({"rbind", "rshared", "rw"}));
  }
}

TEST(BuildContainerMounts, ACriMountReplacesTheDefaultAtItsPath) {
  Case c;
  c.Add("/etc/hosts", "/kubelet/hosts");
  c.Add("/sys/fs/cgroup/", "/kubelet/cgroup");  // the same path once cleaned
  const ContainerMounts m = c.Build();
  const auto d = Destinations(m.mounts);
  EXPECT_EQ(std::count(d.begin(), d.end(), "/etc/hosts"), 1);
  EXPECT_EQ(std::count(d.begin(), d.end(), "/sys/fs/cgroup"), 1);
  EXPECT_EQ(At(m.mounts, "/etc/hosts")["source"], "/kubelet/hosts");
  EXPECT_EQ(At(m.mounts, "/sys/fs/cgroup")["type"], "bind");
}

TEST(BuildContainerMounts, ACriMountAtDevReplacesEverythingUnderDev) {
  Case c;
  c.Add("/dev", "/host/dev");
  const ContainerMounts m = c.Build();
  const auto d = Destinations(m.mounts);
  for (const char* gone : {"/dev/pts", "/dev/shm", "/dev/mqueue"}) {
    EXPECT_EQ(std::find(d.begin(), d.end(), gone), d.end()) << gone;
  }
  EXPECT_EQ(std::count(d.begin(), d.end(), "/dev"), 1);
  EXPECT_EQ(At(m.mounts, "/dev")["source"], "/host/dev");
  // A CRI mount below /dev keeps the default /dev and the others.
  Case below;
  below.Add("/dev/fuse-dir", "/host/fuse");
  const auto d2 = Destinations(below.Build().mounts);
  EXPECT_NE(std::find(d2.begin(), d2.end(), "/dev/pts"), d2.end());
  EXPECT_NE(std::find(d2.begin(), d2.end(), "/dev/fuse-dir"), d2.end());
}

TEST(BuildContainerMounts, TwoMountsAtOnePathAreRefused) {
  Case c;
  c.Add("/data", "/srv/a");
  c.Add("/data/./", "/srv/b");
  EXPECT_NE(c.Failure().find("two mounts at \"/data\""), std::string::npos);
}

TEST(BuildContainerMounts, ParentsBeforeChildrenAfterTheDefaults) {
  Case c;
  c.Add("/data/logs/app", "/srv/app");
  c.Add("/data/logs", "/srv/logs");
  c.Add("/data", "/srv/data");
  c.Add("/cache", "/srv/cache");  // same depth as /data: kept in request order
  const auto d = Destinations(c.Build().mounts);
  const auto at = [&](const std::string& dest) { return std::find(d.begin(), d.end(), dest) - d.begin(); };
  EXPECT_LT(at("/data"), at("/cache"));
  EXPECT_LT(at("/cache"), at("/data/logs"));
  EXPECT_LT(at("/data/logs"), at("/data/logs/app"));
  EXPECT_LT(at("/data/logs/app"), static_cast<long>(d.size()));
  EXPECT_EQ(d.front(), "/proc");
}

// A CRI mount at /etc must not cover the pod's /etc/hosts, /etc/resolv.conf
// and /etc/hostname binds: they go on top of it.
TEST(BuildContainerMounts, ACriMountAtEtcGoesBeneathThePodsFiles) {
  Case c;
  c.Add("/etc", "/srv/etc");
  const auto d = Destinations(c.Build().mounts);
  const auto at = [&](const std::string& dest) { return std::find(d.begin(), d.end(), dest) - d.begin(); };
  ASSERT_LT(at("/etc"), static_cast<long>(d.size()));
  for (const char* f : {"/etc/hosts", "/etc/resolv.conf", "/etc/hostname"}) EXPECT_LT(at("/etc"), at(f)) << f;
}

TEST(BuildContainerMounts, AMountAtTheRootIsRefused) {
  Case c;
  c.Add("/", "/srv/root");
  EXPECT_NE(c.Failure().find("cannot replace the rootfs"), std::string::npos);
  Case dots;
  dots.Add("/../", "/srv/root");
  EXPECT_NE(dots.Failure().find("cannot replace the rootfs"), std::string::npos);
}

TEST(BuildContainerMounts, ImageVolumesGetNumberedHostDirsUnlessMountedElsewhere) {
  Case c;
  // Keys in the image's (sorted) order: /cache 0, /data 1, /proc 2, var/log 3.
  c.image = Image({{"Cmd", {"sh"}},
                   {"Volumes", {{"/cache/", json::object()}, {"/data", json::object()}, {"/proc", json::object()},
                                {"var/log", json::object()}}}});
  c.Add("/data", "/pv/data");
  const ContainerMounts m = c.Build();
  EXPECT_EQ(m.volume_dirs, (std::vector<std::string>{c.volumes_dir + "/0", c.volumes_dir + "/3"}));
  EXPECT_EQ(At(m.mounts, "/cache"), json({{"destination", "/cache"},
                                          {"type", "bind"},
                                          {"source", c.volumes_dir + "/0"},
                                          {"options", {"rbind", "rprivate", "rw"}}}));
  EXPECT_EQ(At(m.mounts, "/var/log")["source"], c.volumes_dir + "/3");
  EXPECT_EQ(At(m.mounts, "/data")["source"], "/pv/data");
  EXPECT_EQ(At(m.mounts, "/proc")["type"], "proc");  // a default path is no volume
}

TEST(BuildContainerMounts, ImageVolumesNeedAVolumesDir) {
  Case c;
  c.image = Image({{"Cmd", {"sh"}}, {"Volumes", {{"/cache", json::object()}}}});
  c.volumes_dir.clear();
  EXPECT_NE(c.Failure().find("container c1: no volumes_dir for image volumes"), std::string::npos);
  // Not needed when a CRI mount covers every volume.
  c.Add("/cache", "/pv/cache");
  EXPECT_TRUE(c.Build().volume_dirs.empty());
}

TEST(BuildContainerMounts, MalformedMountsAreInvalidArgumentNamingThePath) {
  for (const auto& [dest, host, want] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"", "/srv", "mount at \"\": container_path must be an absolute path"},
           {"data", "/srv", "mount at \"data\": container_path must be an absolute path"},
           {"/data", "", "mount at \"/data\": host_path \"\" must be an absolute path"},
           {"/data", "srv/data", "host_path \"srv/data\" must be an absolute path"}}) {
    Case c;
    c.Add(dest, host);
    const std::string m = c.Failure();
    EXPECT_NE(m.find(want), std::string::npos) << m;
  }
}

TEST(BuildContainerMounts, WhatRunc11CannotDoIsRefused) {
  Case image_mount;
  image_mount.Add("/models", "")->mutable_image()->set_image("registry.example/models:1");
  EXPECT_NE(image_mount.Failure().find("image volumes are not supported"), std::string::npos);

  Case idmap;
  idmap.Add("/data", "/srv/data")->add_uidmappings()->set_length(65536);
  EXPECT_NE(idmap.Failure().find("per-mount id mappings are not supported"), std::string::npos);
  Case gidmap;
  gidmap.Add("/data", "/srv/data")->add_gidmappings()->set_length(1);
  EXPECT_NE(gidmap.Failure().find("per-mount id mappings"), std::string::npos);

  Case rro;
  auto* m = rro.Add("/data", "/srv/data");
  m->set_readonly(true);
  m->set_recursive_read_only(true);
  EXPECT_NE(rro.Failure().find("recursive read-only mounts are not supported"), std::string::npos);

  // An ImageSpec without an image name is no image mount.
  Case empty_image;
  empty_image.Add("/data", "/srv/data")->mutable_image();
  EXPECT_NO_THROW(empty_image.Build());
}

}  // namespace
}  // namespace berth::pod
