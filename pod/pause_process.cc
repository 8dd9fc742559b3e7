#include "pod/pause_process.h"

#include <algorithm>

#include "storage/base/error.h"
#include "image/manifest.h"
#include "pod/oci_defaults.h"

namespace berth::pod {
namespace {

constexpr const char* kUnprivileged = "65535:65535";

// The pod's security context as ResolveContainerUser reads it.
runtime::v1::LinuxContainerSecurityContext PodUser(const Sandbox& sb) {
  runtime::v1::LinuxContainerSecurityContext sc;
  if (sb.run_as_user) sc.mutable_run_as_user()->set_value(*sb.run_as_user);
  if (sb.run_as_group) sc.mutable_run_as_group()->set_value(*sb.run_as_group);
  return sc;
}

bool HasPath(const std::vector<std::string>& env) {
  return std::any_of(env.begin(), env.end(), [](const std::string& e) { return e.rfind("PATH=", 0) == 0; });
}

}  // namespace

PauseProcess BuiltinPauseProcess(const Sandbox& sb) {
  PauseProcess p;
  p.args = {"/pause"};
  p.env = {oci::kDefaultPathEnv};
  p.user = ResolveContainerUser(PodUser(sb), kUnprivileged, "", "");
  return p;
}

PauseProcess ImagePauseProcess(const Sandbox& sb, const PauseImage& image, const std::string& etc_passwd,
                               const std::string& etc_group) {
  const auto config = image::ImageConfig::Parse(image.config_json, "pause image " + image.ref);
  PauseProcess p;
  p.args = config.Entrypoint();
  const auto cmd = config.Cmd();
  p.args.insert(p.args.end(), cmd.begin(), cmd.end());
  if (p.args.empty()) {
    throw FailedPrecondition("pause image " + image.ref + " (config pause.image) has no Entrypoint or Cmd");
  }
  p.env = config.Env();
  if (!HasPath(p.env)) p.env.push_back(oci::kDefaultPathEnv);
  if (!config.WorkingDir().empty()) p.cwd = config.WorkingDir();
  if (p.cwd[0] != '/') {
    throw FailedPrecondition("pause image " + image.ref + ": WorkingDir \"" + p.cwd + "\" is not absolute");
  }
  const std::string user = config.User().empty() ? kUnprivileged : config.User();
  p.user = ResolveContainerUser(PodUser(sb), user, etc_passwd, etc_group);
  return p;
}

}  // namespace berth::pod
