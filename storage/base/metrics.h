#pragma once
// berthd's own metrics, served as Prometheus text on metrics.address
// (server/metrics_http.h): counters and histograms that the libraries
// update where things happen (RPCs, pulls, CNI calls, runtime failures),
// and gauges computed when scraped. Names follow Prometheus' rules
// (berth_ prefix, base units, _total for counters, _seconds, _bytes).
// Prometheus' C++ client is not in Debian 12; the text format is small.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace berth::metrics {

using Labels = std::vector<std::string>;  // values, in the family's label order

class CounterFamily {
 public:
  CounterFamily(std::string name, std::string help, std::vector<std::string> label_names);
  void Inc(const Labels& labels, double by = 1);
  double Value(const Labels& labels) const;
  void Write(std::string& out) const;

 private:
  const std::string name_, help_;
  const std::vector<std::string> label_names_;
  mutable std::mutex mu_;
  std::map<Labels, double> values_;
};

class HistogramFamily {
 public:
  // `bounds`: upper bounds of the buckets, ascending (+Inf is implied).
  HistogramFamily(std::string name, std::string help, std::vector<std::string> label_names, std::vector<double> bounds);
  void Observe(const Labels& labels, double value);
  void Write(std::string& out) const;

 private:
  struct Series {
    std::vector<uint64_t> buckets;  // per bound, not cumulative
    uint64_t count = 0;
    double sum = 0;
  };
  const std::string name_, help_;
  const std::vector<std::string> label_names_;
  const std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::map<Labels, Series> series_;
};

// A gauge family whose samples are computed at scrape time.
struct GaugeSample {
  Labels labels;
  double value;
};
using GaugeFn = std::function<std::vector<GaugeSample>()>;

class Registry {
 public:
  // The process's registry: what berthd serves.
  static Registry& Global();

  // Registered once per name (a second call returns the same family).
  CounterFamily& Counter(const std::string& name, const std::string& help, std::vector<std::string> label_names);
  HistogramFamily& Histogram(const std::string& name, const std::string& help, std::vector<std::string> label_names,
                             std::vector<double> bounds);
  // A gauge (or, with counter = true, a counter read from elsewhere, like
  // the process's CPU time), computed by `fn` at every scrape.
  void Gauge(const std::string& name, const std::string& help, std::vector<std::string> label_names, GaugeFn fn,
             bool counter = false);
  // Removes a computed family (its owner goes away before the registry).
  void RemoveGauge(const std::string& name);

  // Prometheus text exposition format, version 0.0.4.
  std::string Text() const;

 private:
  struct Computed {
    std::string help;
    std::vector<std::string> label_names;
    GaugeFn fn;
    bool counter;
  };
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<CounterFamily>> counters_;
  std::map<std::string, std::unique_ptr<HistogramFamily>> histograms_;
  std::map<std::string, Computed> gauges_;
};

// Times a call into `h`: labels, then a last label "result" of "ok" once
// Ok() was called, else "error" (an exception left the scope).
class CallTimer {
 public:
  CallTimer(HistogramFamily& h, Labels labels);
  ~CallTimer();
  CallTimer(const CallTimer&) = delete;
  CallTimer& operator=(const CallTimer&) = delete;
  void Ok() { ok_ = true; }
  double Seconds() const;

 private:
  HistogramFamily& h_;
  Labels labels_;
  std::chrono::steady_clock::time_point started_;
  bool ok_ = false;
};

// Bucket bounds in seconds for calls from a millisecond to a minute.
const std::vector<double>& LatencyBuckets();

// The text format's escaping of a label value (backslash, quote, newline).
std::string EscapeLabelValue(const std::string& v);

}  // namespace berth::metrics
