#include "server/streaming/exit_status.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace berth::server::streaming {
namespace {

using nlohmann::json;

TEST(ExitStatusTest, ZeroIsSuccess) {
  const json s = json::parse(StatusJson({.exit_code = 0, .error = {}, .command = "[true]"}));
  EXPECT_EQ(s.at("status"), "Success");
  EXPECT_FALSE(s.contains("reason"));
  EXPECT_EQ(ErrorStreamMessage({.exit_code = 0, .error = {}, .command = "[true]"}, 3), "");
}

TEST(ExitStatusTest, NonZeroCarriesTheCodeAsKubernetesClientsReadIt) {
  const Outcome o{.exit_code = 7, .error = {}, .command = "[sh -c exit 7]"};
  const json s = json::parse(StatusJson(o));
  EXPECT_EQ(s.at("status"), "Failure");
  EXPECT_EQ(s.at("reason"), "NonZeroExitCode");
  EXPECT_EQ(s.at("details").at("causes").at(0).at("reason"), "ExitCode");
  EXPECT_EQ(s.at("details").at("causes").at(0).at("message"), "7");
  EXPECT_NE(s.at("message").get<std::string>().find("[sh -c exit 7]"), std::string::npos);
  EXPECT_EQ(ErrorStreamMessage(o, 4), StatusJson(o));
  EXPECT_NE(ErrorStreamMessage(o, 2).find("exit code 7"), std::string::npos);
}

TEST(ExitStatusTest, AProcessThatCouldNotRunIsAnInternalError) {
  const Outcome o{.exit_code = std::nullopt, .error = "container abc is not running", .command = "[sh]"};
  const json s = json::parse(StatusJson(o));
  EXPECT_EQ(s.at("status"), "Failure");
  EXPECT_EQ(s.at("message"), "container abc is not running");
  EXPECT_EQ(s.at("reason"), "InternalError");
  EXPECT_EQ(ErrorStreamMessage(o, 3), "container abc is not running");
}

}  // namespace
}  // namespace berth::server::streaming
