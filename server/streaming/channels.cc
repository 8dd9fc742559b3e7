#include "server/streaming/channels.h"

#include <nlohmann/json.hpp>

#include <tuple>

namespace berth::server::streaming {
namespace {

constexpr size_t kMaxPending = 64 * 1024;  // a client sending no closing brace cannot grow us

uint16_t Dimension(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number_unsigned()) return 0;
  return static_cast<uint16_t>(std::min<uint64_t>(it->get<uint64_t>(), UINT16_MAX));
}

}  // namespace

std::optional<std::pair<uint16_t, uint16_t>> ResizeParser::Next() {
  for (;;) {
    const size_t open = buf_.find('{');
    if (open == std::string::npos) {
      buf_.clear();
      return std::nullopt;
    }
    const size_t close = buf_.find('}', open);
    if (close == std::string::npos) {
      buf_.erase(0, open);
      if (buf_.size() > kMaxPending) buf_.clear();
      return std::nullopt;
    }
    const std::string object = buf_.substr(open, close - open + 1);
    buf_.erase(0, close + 1);
    const nlohmann::json j = nlohmann::json::parse(object, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) continue;  // malformed: skipped
    return std::make_pair(Dimension(j, "Height"), Dimension(j, "Width"));
  }
}

bool ResizeParser::Read(const std::function<bool(std::string&)>& more, uint16_t& rows, uint16_t& cols) {
  for (;;) {
    if (auto size = Next()) {
      std::tie(rows, cols) = *size;
      return true;
    }
    std::string data;
    if (!more(data)) return false;
    Feed(data);
  }
}

}  // namespace berth::server::streaming
