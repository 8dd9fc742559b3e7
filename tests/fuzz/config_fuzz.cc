// Fuzzes config::ApplyYaml and config::ToYaml: YAML text is refused with
// ConfigError (the config library's error) or gives a config whose ToYaml
// dump loads back, over the defaults, to the same dump.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "tests/fuzz/fuzz_check.h"

namespace berth::fuzz {
namespace {

// Applies `text` to `cfg`: the ConfigError's message when it is refused,
// nullopt when it applies; any other exception is a finding.
std::optional<std::string> ConfigRefusal(config::Config& cfg, const std::string& text, const std::string& origin) {
  try {
    config::ApplyYaml(cfg, text, origin);
    return std::nullopt;
  } catch (const config::ConfigError& e) {
    return e.what();
  } catch (const std::exception& e) {
    Finding("ApplyYaml(" + origin + ") threw " + CurrentExceptionType() + ", not ConfigError", e.what());
  } catch (...) {
    Finding("ApplyYaml(" + origin + ") threw " + CurrentExceptionType());
  }
}

// Validate refuses with ConfigError or passes; nothing else.
void CheckValidate(const config::Config& cfg) {
  try {
    config::Validate(cfg);
  } catch (const config::ConfigError&) {
  } catch (const std::exception& e) {
    Finding("Validate threw " + CurrentExceptionType() + ", not ConfigError", e.what());
  }
}

std::string Dump(const config::Config& cfg) {
  try {
    return config::ToYaml(cfg);
  } catch (const std::exception& e) {
    Finding("ToYaml threw " + CurrentExceptionType(), e.what());
  }
}

// Every string setting of `c`, handler names and registry hosts included.
std::vector<std::string> Strings(const config::Config& c) {
  std::vector<std::string> out{c.root, c.run_root, c.listen, c.log_level, c.runtime.default_handler,
                               c.runtime.conmon, c.cni.conf_dir, c.pause.image, c.pause.binary,
                               c.streaming.address, c.metrics.address, c.security.seccomp_default,
                               c.security.seccomp_profile_root, c.security.apparmor_default_profile};
  out.insert(out.end(), c.cni.bin_dirs.begin(), c.cni.bin_dirs.end());
  for (const auto& [name, h] : c.runtime.handlers) {
    out.insert(out.end(), {name, h.path, h.root, h.max_capability});
    out.insert(out.end(), h.args.begin(), h.args.end());
  }
  for (const auto& [host, r] : c.images.registries) {
    out.push_back(host);
    out.insert(out.end(), r.mirrors.begin(), r.mirrors.end());
    out.insert(out.end(), r.ca_files.begin(), r.ca_files.end());
  }
  return out;
}

// The settings of `a` and `b` are the same (beyond what their dumps say:
// two configs may dump alike if ToYaml rewrites a value).
bool SameSettings(const config::Config& a, const config::Config& b) {
  return Strings(a) == Strings(b) && a.runtime.handlers == b.runtime.handlers &&
         a.runtime.cgroup_manager == b.runtime.cgroup_manager && a.images.registries == b.images.registries &&
         a.images.max_parallel_downloads == b.images.max_parallel_downloads;
}

}  // namespace
}  // namespace berth::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace berth::fuzz;
  using berth::config::Config;
  const std::string text(reinterpret_cast<const char*>(data), size);
  Config cfg = Config::Defaults();
  if (ConfigRefusal(cfg, text, "fuzz.yaml")) return 0;
  CheckValidate(cfg);
  const std::string dump = Dump(cfg);
  Config again = Config::Defaults();
  if (auto why = ConfigRefusal(again, dump, "dump")) Finding("ToYaml's dump is refused by ApplyYaml", *why + "\n" + dump);
  const std::string dump_again = Dump(again);
  Require(dump_again == dump, "ToYaml's dump loads to another config", dump + "\n---- reloaded:\n" + dump_again);
  Require(SameSettings(again, cfg), "ToYaml's dump loads to other settings", text + "\n---- dump:\n" + dump);
  return 0;
}
