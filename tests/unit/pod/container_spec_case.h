#pragma once
// A container case for the container spec tests: a CRI config, an image
// config and a sandbox with defaults a test changes, and helpers to read the spec.
#include <gtest/gtest.h>

#include <algorithm>

#include "storage/base/error.h"
#include "pod/container_spec.h"
#include "tests/support/pod_sandbox.h"

namespace berth::pod::testing {

using nlohmann::json;
namespace v1 = runtime::v1;

inline const std::string kId(64, 'c');

inline image::ImageConfig Image(json config) {
  json body = {{"architecture", "amd64"}, {"os", "linux"}, {"rootfs", {{"type", "layers"}, {"diff_ids", json::array()}}}};
  body["config"] = std::move(config);
  return image::ImageConfig::Parse(body.dump(), "test");
}

using berth::testing::PodSandbox;

// One container and everything BuildContainerSpec reads, with defaults a test changes.
struct Case {
  v1::ContainerConfig config;
  image::ImageConfig image = Image({{"Cmd", {"/bin/sh"}}});
  Sandbox sb = PodSandbox();
  std::string passwd = "root:x:0:0:root:/root:/bin/sh\nwww:x:33:33::/var/www:/bin/false\n";
  std::string group = "root:x:0:\nwww:x:33:\naudio:x:29:www,bob\nvideo:x:44:bob\n";
  int own_oom = 0;
  std::vector<std::string> own_caps;
  pid_t target_pid = 0;
  CgroupSupport cgroups;  // undetected: every limit kept
  ProcessSecurity security;  // unconfined
  SeccompNode seccomp_node{.supported = true, .architectures = {"SCMP_ARCH_X86_64"}, .known_syscalls = {}};

  Case() {
    config.mutable_metadata()->set_name("app");
    config.mutable_image()->set_image("docker.io/library/busybox:latest");
    // As kubelet sends it for the sandbox below (the proto default is POD).
    sc().mutable_namespace_options()->set_pid(v1::CONTAINER);
  }
  v1::LinuxContainerSecurityContext& sc() { return *config.mutable_linux()->mutable_security_context(); }
  v1::LinuxContainerResources& res() { return *config.mutable_linux()->mutable_resources(); }
  ContainerSpec Build() const {
    return BuildContainerSpec({.config = config,
                               .image = image,
                               .sandbox = sb,
                               .container_id = kId,
                               .rootfs = "/var/lib/berth/containers/" + kId + "/rootfs",
                               .cgroups_path = "/kubepods/poduid-1/" + kId,
                               .pause_pid = sb.pause_pid,
                               .target_pid = target_pid,
                               .hosts_path = "/run/berth/pod/hosts",
                               .resolv_conf_path = "/run/berth/pod/resolv.conf",
                               .hostname_path = "/run/berth/pod/hostname",
                               .volumes_dir = "/var/lib/berth/containers/" + kId + "/volumes",
                               .etc_passwd = passwd,
                               .etc_group = group,
                               .own_oom_score_adj = own_oom,
                               .stat_device = [](const std::string& p) -> std::optional<DeviceInfo> {
                                 if (p == "/dev/fuse") return DeviceInfo{'c', 10, 229, 0666, 0, 0};
                                 if (p == "/dev/loop0") return DeviceInfo{'b', 7, 0, 0660, 0, 6};
                                 return std::nullopt;
                               },
                               .own_capabilities = own_caps,
                               .cgroups = cgroups,
                               .security = &security,
                               .seccomp_node = &seccomp_node});
  }
  json Spec() const { return Build().spec; }
};

// The status and message of what Build() throws.
inline std::pair<std::optional<Code>, std::string> Failure(const Case& c) {
  try {
    c.Build();
  } catch (const Error& e) {
    return {e.code(), e.what()};
  }
  ADD_FAILURE() << "BuildContainerSpec did not throw";
  return {std::nullopt, ""};
}

inline void SetArgs(google::protobuf::RepeatedPtrField<std::string>* field, std::vector<std::string> v) {
  field->Clear();
  for (auto& s : v) field->Add(std::move(s));
}

inline const json* Find(const json& arr, const std::string& key, const std::string& value) {
  for (const auto& e : arr) {
    if (e.value(key, "") == value) return &e;
  }
  return nullptr;
}
inline const json* FindMount(const json& spec, const std::string& dest) { return Find(spec["mounts"], "destination", dest); }
inline const json* FindNs(const json& spec, const std::string& type) { return Find(spec["linux"]["namespaces"], "type", type); }
inline bool HasOption(const json& mount, const std::string& opt) {
  const auto& o = mount["options"];
  return std::find(o.begin(), o.end(), opt) != o.end();
}
inline std::vector<std::string> Strings(const json& j) { return j.get<std::vector<std::string>>(); }

}  // namespace berth::pod::testing
