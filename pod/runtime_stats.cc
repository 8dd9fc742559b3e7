#include "pod/runtime_stats.h"

#include <optional>

namespace berth::pod {
namespace {

std::optional<uint64_t> Field(const nlohmann::json& data, const char* a, const char* b, const char* c = nullptr) {
  const nlohmann::json* j = &data;
  for (const char* key : {a, b, c}) {
    if (key == nullptr) break;
    if (!j->is_object() || !j->contains(key)) return std::nullopt;
    j = &(*j)[key];
  }
  if (!j->is_number_unsigned() && !j->is_number_integer()) return std::nullopt;
  const int64_t v = j->get<int64_t>();
  if (v < 0) return std::nullopt;
  return static_cast<uint64_t>(v);
}

}  // namespace

CgroupSample SampleFromRuntimeStats(const nlohmann::json& data, int64_t now_ns) {
  CgroupSample s;
  s.timestamp = now_ns;
  s.found = data.is_object();
  s.cpu_usage_ns = Field(data, "cpu", "usage", "total");
  s.memory_usage = Field(data, "memory", "usage", "usage");
  // The sandbox's kernel reclaims nothing the host could: all of it is working set.
  s.working_set = s.memory_usage;
  if (auto limit = Field(data, "memory", "usage", "limit"); limit && *limit > 0) s.memory_limit = limit;
  s.processes = Field(data, "pids", "current");
  return s;
}

}  // namespace berth::pod
