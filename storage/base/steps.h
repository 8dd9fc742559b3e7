#pragma once
// Where one operation's time went: a StepLog is started with the operation
// (RunPodSandbox, StopPodSandbox, ...) and the id it works on; each Step()
// closes the span since the previous one under a name. When the log ends it
// writes one debug line ("sandbox 1234abcd StopPodSandbox 41.2 ms: kill 3.1,
// wait 2.0, cni-del 30.5, ...") and observes every step into
// berth_operation_step_seconds{operation,step}, so the shares of the CNI
// plugins and the OCI runtime are visible per pod in the log and over time
// on the metrics endpoint.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace berth {

class StepLog {
 public:
  StepLog(std::string operation, std::string subject);
  ~StepLog();
  StepLog(const StepLog&) = delete;
  StepLog& operator=(const StepLog&) = delete;

  // Ends the current step as `name` (a short literal: it becomes a label).
  void Step(std::string_view name);
  // The steps so far as "name 1.2, name 3.4" (milliseconds).
  std::string Summary() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Span {
    std::string_view name;
    double ms;
  };
  std::string operation_, subject_;
  Clock::time_point started_, last_;
  std::vector<Span> spans_;
};

}  // namespace berth
