#include "server/streaming/exit_status.h"

#include <nlohmann/json.hpp>

namespace berth::server::streaming {
namespace {

bool Succeeded(const Outcome& o) { return o.error.empty() && o.exit_code.value_or(-1) == 0; }

// kubectl prints this for a non-zero exit ("command terminated with ...").
std::string FailureText(const Outcome& o) {
  if (!o.error.empty()) return o.error;
  const std::string code = std::to_string(o.exit_code.value_or(-1));
  return "command terminated with non-zero exit code: error executing command " + o.command + ", exit code " + code;
}

}  // namespace

std::string StatusJson(const Outcome& o) {
  nlohmann::json s = {{"metadata", nlohmann::json::object()}};
  if (Succeeded(o)) {
    s["status"] = "Success";
    return s.dump();
  }
  s["status"] = "Failure";
  s["message"] = FailureText(o);
  if (o.error.empty()) {
    s["reason"] = "NonZeroExitCode";
    s["details"] = {{"causes", {{{"reason", "ExitCode"}, {"message", std::to_string(o.exit_code.value_or(-1))}}}}};
  } else {
    s["reason"] = "InternalError";
    s["code"] = 500;
  }
  return s.dump();
}

std::string ErrorStreamMessage(const Outcome& o, int protocol_version) {
  if (protocol_version >= 4) return StatusJson(o);
  return Succeeded(o) ? std::string() : FailureText(o);
}

}  // namespace berth::server::streaming
