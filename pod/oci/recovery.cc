#include "pod/oci/recovery.h"

#include <filesystem>

#include "pod/oci/container.h"

namespace berth::pod::oci {

void SweepOrphans(const config::Config& cfg, const std::string& run_dirs, const std::set<std::string>& known,
                  const std::string& kind) {
  const std::string prefix = run_dirs + "/";
  for (const auto& [name, handler] : cfg.runtime.handlers) {
    TryStep("runtime " + name, [&] {
      const Runtime rt = Runtime::ForHandler(cfg, name);
      if (!std::filesystem::exists(rt.root()) || !std::filesystem::exists(rt.path())) return;
      for (const auto& entry : rt.List()) {
        const std::string id = entry.value("id", ""), bundle = entry.value("bundle", "");
        if (id.empty() || known.contains(id) || bundle.rfind(prefix, 0) != 0) continue;
        TryStep("orphan " + kind + " " + id, [&] {
          Container(rt, id, prefix + id).KillAndDelete();
          spdlog::info("recovery: deleted orphan {} {} ({})", kind, id, name);
        });
      }
    });
  }
}

}  // namespace berth::pod::oci
