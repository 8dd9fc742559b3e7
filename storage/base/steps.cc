#include "storage/base/steps.h"

#include <spdlog/spdlog.h>

#include <cstdio>

#include "storage/base/metrics.h"

namespace berth {
namespace {

metrics::HistogramFamily& StepSeconds() {
  static auto& h = metrics::Registry::Global().Histogram(
      "berth_operation_step_seconds",
      "Time of each step of a pod or container operation (the CNI plugins, the OCI runtime, berth's own work), "
      "by operation and step.",
      {"operation", "step"}, metrics::LatencyBuckets());
  return h;
}

}  // namespace

StepLog::StepLog(std::string operation, std::string subject)
    : operation_(std::move(operation)), subject_(std::move(subject)), started_(Clock::now()), last_(started_) {
  spans_.reserve(12);
}

void StepLog::Step(std::string_view name) {
  const auto now = Clock::now();
  spans_.push_back({name, std::chrono::duration<double, std::milli>(now - last_).count()});
  last_ = now;
}

std::string StepLog::Summary() const {
  std::string out;
  char buf[32];
  for (const auto& s : spans_) {
    std::snprintf(buf, sizeof buf, " %.1f", s.ms);
    out += (out.empty() ? "" : ",");
    out += s.name;
    out += buf;
  }
  return out;
}

StepLog::~StepLog() {
  try {
    auto& h = StepSeconds();
    for (const auto& s : spans_) h.Observe({operation_, std::string(s.name)}, s.ms / 1000);
    if (spdlog::should_log(spdlog::level::debug)) {
      const double total = std::chrono::duration<double, std::milli>(Clock::now() - started_).count();
      spdlog::debug("{} {} {:.1f} ms: {}", subject_, operation_, total, Summary());
    }
  } catch (...) {
    // a destructor logs or counts what it can, never throws
  }
}

}  // namespace berth
