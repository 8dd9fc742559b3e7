#include "storage/base/metrics.h"

#include <gtest/gtest.h>

namespace berth::metrics {
namespace {

TEST(Metrics, TextFormatOfCountersHistogramsAndGauges) {
  Registry r;
  auto& c = r.Counter("berth_test_calls_total", "Calls.\nTwo lines.", {"method", "code"});
  c.Inc({"Version", "OK"});
  c.Inc({"Version", "OK"}, 2);
  c.Inc({"Odd", "a\"b\\c\nd"});
  EXPECT_EQ(c.Value({"Version", "OK"}), 3);
  auto& h = r.Histogram("berth_test_seconds", "Latency.", {"op"}, {0.1, 1});
  h.Observe({"x"}, 0.05);
  h.Observe({"x"}, 0.5);
  h.Observe({"x"}, 5);
  r.Gauge("berth_test_things", "Things.", {"state"}, [] { return std::vector<GaugeSample>{{{"ready"}, 2}}; });
  EXPECT_EQ(&r.Counter("berth_test_calls_total", "", {}), &c);  // one family per name
  const std::string text = r.Text();
  EXPECT_NE(text.find("# HELP berth_test_calls_total Calls.\\nTwo lines.\n# TYPE berth_test_calls_total counter\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("berth_test_calls_total{method=\"Version\",code=\"OK\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("berth_test_calls_total{method=\"Odd\",code=\"a\\\"b\\\\c\\nd\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE berth_test_seconds histogram\n"), std::string::npos);
  EXPECT_NE(text.find("berth_test_seconds_bucket{op=\"x\",le=\"0.1\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("berth_test_seconds_bucket{op=\"x\",le=\"1\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("berth_test_seconds_bucket{op=\"x\",le=\"+Inf\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("berth_test_seconds_sum{op=\"x\"} 5.55\n"), std::string::npos) << text;
  EXPECT_NE(text.find("berth_test_seconds_count{op=\"x\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE berth_test_things gauge\nberth_test_things{state=\"ready\"} 2\n"), std::string::npos)
      << text;
  r.RemoveGauge("berth_test_things");
  EXPECT_EQ(r.Text().find("berth_test_things"), std::string::npos);
}

TEST(Metrics, ACallTimerSaysHowTheCallEnded) {
  Registry r;
  auto& h = r.Histogram("berth_test_op_seconds", "Op.", {"op", "result"}, LatencyBuckets());
  { CallTimer t(h, {"ADD"}); t.Ok(); }
  try {
    CallTimer t(h, {"ADD"});
    throw 1;
  } catch (int) {
  }
  const std::string text = r.Text();
  EXPECT_NE(text.find("berth_test_op_seconds_count{op=\"ADD\",result=\"ok\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("berth_test_op_seconds_count{op=\"ADD\",result=\"error\"} 1\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace berth::metrics
