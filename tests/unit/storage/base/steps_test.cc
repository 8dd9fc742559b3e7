#include "storage/base/steps.h"

#include <gtest/gtest.h>

#include <thread>

#include "storage/base/metrics.h"

namespace berth {
namespace {

TEST(StepLog, SummaryNamesEveryStepInOrderWithItsMilliseconds) {
  StepLog steps("TestOperation", "thing 1");
  std::this_thread::sleep_for(std::chrono::milliseconds(3));
  steps.Step("first");
  steps.Step("second");
  const std::string s = steps.Summary();
  ASSERT_EQ(s.rfind("first ", 0), 0u) << s;
  EXPECT_NE(s.find(",second "), std::string::npos) << s;
  EXPECT_GE(std::stod(s.substr(6)), 3.0) << s;
}

TEST(StepLog, EveryStepIsObservedUnderItsOperation) {
  { StepLog("TestObserved", "thing 2").Step("only"); }
  const std::string text = metrics::Registry::Global().Text();
  EXPECT_NE(text.find("berth_operation_step_seconds_count{operation=\"TestObserved\",step=\"only\"} 1\n"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace berth
