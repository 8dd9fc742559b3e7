#pragma once
// What a sandbox's pause process runs: berth's built-in /pause, or the
// command of a configured pause image (config pause.image). Pure functions,
// unit-tested.

#include <functional>
#include <string>
#include <vector>

#include "image/images.h"
#include "pod/container_user.h"
#include "pod/sandbox.h"

namespace berth::pod {

// A pause image as the store holds it (pulled on first use, pinned).
struct PauseImage {
  std::string ref;                      // as configured
  std::string id;                       // the config digest
  std::vector<std::string> layer_dirs;  // bottom layer first
  std::string config_json;              // the image config blob
};

// Finds the configured pause image, pulling it when the store lacks it
// (image::Images::ForPause). Throws berth::Error naming the image.
using PauseImageFn = std::function<image::RunnableImage()>;

struct PauseProcess {
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd = "/";
  ContainerUser user;
};

// /pause as the pod's run_as_user/run_as_group, else 65535:65535 (pause
// needs no privilege).
PauseProcess BuiltinPauseProcess(const Sandbox& sb);

// The image's Entrypoint + Cmd, Env (PATH added when missing) and
// WorkingDir, as the pod's run_as_user/run_as_group, else the image's User,
// else 65535:65535; user and group names are looked up in the image's
// /etc/passwd and /etc/group. Throws FAILED_PRECONDITION when the image
// names no command or a relative WorkingDir, INVALID_ARGUMENT for a user the
// image lacks or a run_as_group without run_as_user.
PauseProcess ImagePauseProcess(const Sandbox& sb, const PauseImage& image, const std::string& etc_passwd,
                               const std::string& etc_group);

}  // namespace berth::pod
