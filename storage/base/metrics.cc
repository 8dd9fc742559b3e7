#include "storage/base/metrics.h"

#include <charconv>
#include <cmath>

namespace berth::metrics {
namespace {

std::string FormatValue(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);  // the shortest text that reads back the same
  return ec == std::errc() ? std::string(buf, end) : "NaN";
}

// `{a="x",b="y"}` (empty when there are no labels); `extra` is a last pair already formatted (le="...").
std::string LabelSet(const std::vector<std::string>& names, const Labels& values, const std::string& extra = "") {
  std::string out;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    out += (out.empty() ? "" : ",") + names[i] + "=\"" + EscapeLabelValue(values[i]) + "\"";
  }
  if (!extra.empty()) out += (out.empty() ? "" : ",") + extra;
  return out.empty() ? "" : "{" + out + "}";
}

void Header(std::string& out, const std::string& name, const std::string& help, const char* type) {
  out += "# HELP " + name + " ";
  for (char c : help) out += c == '\n' ? std::string("\\n") : c == '\\' ? std::string("\\\\") : std::string(1, c);
  out += "\n# TYPE " + name + " " + type + "\n";
}

}  // namespace

std::string EscapeLabelValue(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

CallTimer::CallTimer(HistogramFamily& h, Labels labels)
    : h_(h), labels_(std::move(labels)), started_(std::chrono::steady_clock::now()) {}

double CallTimer::Seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
}

CallTimer::~CallTimer() {
  labels_.push_back(ok_ ? "ok" : "error");
  h_.Observe(labels_, Seconds());
}

const std::vector<double>& LatencyBuckets() {
  static const std::vector<double> b = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  return b;
}

CounterFamily::CounterFamily(std::string name, std::string help, std::vector<std::string> label_names)
    : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)) {}

void CounterFamily::Inc(const Labels& labels, double by) {
  std::lock_guard lock(mu_);
  values_[labels] += by;
}

double CounterFamily::Value(const Labels& labels) const {
  std::lock_guard lock(mu_);
  auto it = values_.find(labels);
  return it == values_.end() ? 0 : it->second;
}

void CounterFamily::Write(std::string& out) const {
  Header(out, name_, help_, "counter");
  std::lock_guard lock(mu_);
  for (const auto& [labels, v] : values_) out += name_ + LabelSet(label_names_, labels) + " " + FormatValue(v) + "\n";
}

HistogramFamily::HistogramFamily(std::string name, std::string help, std::vector<std::string> label_names,
                                 std::vector<double> bounds)
    : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)), bounds_(std::move(bounds)) {}

void HistogramFamily::Observe(const Labels& labels, double value) {
  std::lock_guard lock(mu_);
  Series& s = series_[labels];
  if (s.buckets.empty()) s.buckets.assign(bounds_.size(), 0);
  for (size_t i = 0; i < bounds_.size(); ++i) {
    if (value <= bounds_[i]) {
      ++s.buckets[i];
      break;
    }
  }
  ++s.count;
  s.sum += value;
}

void HistogramFamily::Write(std::string& out) const {
  Header(out, name_, help_, "histogram");
  std::lock_guard lock(mu_);
  for (const auto& [labels, s] : series_) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i < bounds_.size(); ++i) {
      cumulative += s.buckets[i];
      out += name_ + "_bucket" + LabelSet(label_names_, labels, "le=\"" + FormatValue(bounds_[i]) + "\"") + " " +
             std::to_string(cumulative) + "\n";
    }
    out += name_ + "_bucket" + LabelSet(label_names_, labels, "le=\"+Inf\"") + " " + std::to_string(s.count) + "\n";
    out += name_ + "_sum" + LabelSet(label_names_, labels) + " " + FormatValue(s.sum) + "\n";
    out += name_ + "_count" + LabelSet(label_names_, labels) + " " + std::to_string(s.count) + "\n";
  }
}

Registry& Registry::Global() {
  static Registry* r = new Registry();  // never destroyed: threads may still count at exit
  return *r;
}

CounterFamily& Registry::Counter(const std::string& name, const std::string& help,
                                 std::vector<std::string> label_names) {
  std::lock_guard lock(mu_);
  auto& slot = counters_[name];
  if (!slot) slot = std::make_unique<CounterFamily>(name, help, std::move(label_names));
  return *slot;
}

HistogramFamily& Registry::Histogram(const std::string& name, const std::string& help,
                                     std::vector<std::string> label_names, std::vector<double> bounds) {
  std::lock_guard lock(mu_);
  auto& slot = histograms_[name];
  if (!slot) slot = std::make_unique<HistogramFamily>(name, help, std::move(label_names), std::move(bounds));
  return *slot;
}

void Registry::Gauge(const std::string& name, const std::string& help, std::vector<std::string> label_names,
                     GaugeFn fn, bool counter) {
  std::lock_guard lock(mu_);
  gauges_[name] = Computed{help, std::move(label_names), std::move(fn), counter};
}

void Registry::RemoveGauge(const std::string& name) {
  std::lock_guard lock(mu_);
  gauges_.erase(name);
}

std::string Registry::Text() const {
  std::map<std::string, Computed> gauges;
  std::string out;
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, c] : counters_) c->Write(out);
    for (const auto& [name, h] : histograms_) h->Write(out);
    gauges = gauges_;
  }
  // Computed outside the lock: a gauge may take its owner's locks.
  for (const auto& [name, g] : gauges) {
    Header(out, name, g.help, g.counter ? "counter" : "gauge");
    for (const auto& s : g.fn()) out += name + LabelSet(g.label_names, s.labels) + " " + FormatValue(s.value) + "\n";
  }
  return out;
}

}  // namespace berth::metrics
