#include "pod/oci/runtime_errors.h"

#include <array>
#include <string_view>

namespace berth::pod::oci {
namespace {

bool Has(const std::string& text, std::string_view s) { return text.find(s) != std::string::npos; }

}  // namespace

RuntimeFault ClassifyRuntimeError(const std::string& text) {
  // runc: `exec: "x": executable file not found in $PATH`, `exec: "/x": stat
  // /x: no such file or directory`, `exec: "/etc": permission denied`;
  // crun: `executable file `x` not found in $PATH`.
  const bool exec_failed = Has(text, "exec: \"") || Has(text, "executable file");
  if (exec_failed && (Has(text, "not found") || Has(text, "no such file or directory") ||
                      Has(text, "permission denied") || Has(text, "is a directory") ||
                      Has(text, "exec format error") || Has(text, "not a directory"))) {
    return {Code::kFailedPrecondition,
            "the container's command is not in its image, or not an executable there (config.command, "
            "config.args and the image's entrypoint)"};
  }
  // runc: `write sysctl key net.x: open /proc/sys/net/x: no such file or
  // directory` or `...: invalid argument`; crun: `open /proc/sys/...`.
  if (Has(text, "sysctl") || Has(text, "/proc/sys/")) {
    return {Code::kInvalidArgument, "the kernel refused a sysctl of the pod (config.linux.sysctls)"};
  }
  return {};
}

Error RuntimeError(const std::string& context, const std::string& text) {
  const RuntimeFault f = ClassifyRuntimeError(text);
  if (f.what.empty()) return {f.code, context + ": " + text};
  return {f.code, context + ": " + f.what + ": " + text};
}

}  // namespace berth::pod::oci
