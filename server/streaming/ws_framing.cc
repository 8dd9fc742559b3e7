#include "server/streaming/ws_framing.h"

#include <algorithm>
#include <array>

#include "storage/base/error.h"

namespace berth::server::streaming {
namespace {

constexpr char kBase64Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Each byte's 6-bit value in the alphabet, -1 for any other byte.
constexpr std::array<int8_t, 256> Base64Values() {
  std::array<int8_t, 256> v{};
  v.fill(-1);
  for (int i = 0; i < 64; ++i) v[static_cast<unsigned char>(kBase64Alphabet[i])] = static_cast<int8_t>(i);
  return v;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A query component as Go's url.QueryUnescape reads it: %XX and '+' for space.
std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else if (s[i] == '%') {
      throw InvalidArgument("query of the port-forward URL has a malformed escape");
    } else {
      out += s[i];
    }
  }
  return out;
}

uint16_t ParsePort(std::string_view text) {
  const auto bad = [&] { return InvalidArgument("unable to parse \"" + std::string(text) + "\" as a port (1-65535)"); };
  if (text.empty() || text.size() > 5) throw bad();
  unsigned long value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') throw bad();
    value = value * 10 + static_cast<unsigned long>(c - '0');
  }
  if (value < 1 || value > 65535) throw bad();
  return static_cast<uint16_t>(value);
}

}  // namespace

const std::vector<WsProtocol>& WsRemoteCommandProtocols() {
  static const std::vector<WsProtocol> kProtocols{
      {"v5.channel.k8s.io", WsCodec::kBinary, 5, true},
      {"v4.channel.k8s.io", WsCodec::kBinary, 4, false},
      {"v4.base64.channel.k8s.io", WsCodec::kBase64, 4, false},
      {"channel.k8s.io", WsCodec::kBinary, 2, false},
      {"base64.channel.k8s.io", WsCodec::kBase64, 2, false},
  };
  return kProtocols;
}

const std::vector<WsProtocol>& WsPortForwardProtocols() {
  static const std::vector<WsProtocol> kProtocols{
      {"v4.channel.k8s.io", WsCodec::kBinary, 4, false},
      {"v4.base64.channel.k8s.io", WsCodec::kBase64, 4, false},
  };
  return kProtocols;
}

std::optional<WsProtocol> ChooseWsProtocol(const std::vector<std::string>& offered,
                                           const std::vector<WsProtocol>& served) {
  if (offered.empty()) {
    // The kubelet's unnamed protocol: binary, with the old error stream.
    return WsProtocol{"", WsCodec::kBinary, 2, false};
  }
  for (const auto& name : offered) {
    const auto it = std::find_if(served.begin(), served.end(), [&](const WsProtocol& p) { return p.name == name; });
    if (it != served.end()) return *it;
  }
  return std::nullopt;
}

void SplitHeaderList(std::string_view value, std::vector<std::string>& out) {
  while (!value.empty()) {
    const size_t comma = value.find(',');
    const std::string_view one = Trim(value.substr(0, comma));
    if (!one.empty()) out.emplace_back(one);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

std::string EncodeWsMessage(WsCodec codec, uint8_t channel, std::string_view payload) {
  if (codec == WsCodec::kBase64) return static_cast<char>('0' + channel) + EncodeBase64(payload);
  std::string out;
  out.reserve(payload.size() + 1);
  out += static_cast<char>(channel);
  out.append(payload);
  return out;
}

WsMessage DecodeWsMessage(const WsProtocol& protocol, std::string_view message) {
  WsMessage m;
  if (message.empty()) return m;
  const auto first = static_cast<uint8_t>(message.front());
  if (first == kWsCloseSignal && protocol.stream_close) {
    if (message.size() == 2) {
      m.kind = WsMessage::Kind::kClose;
      m.channel = static_cast<uint8_t>(message[1]);
    }
    return m;
  }
  message.remove_prefix(1);
  if (protocol.codec == WsCodec::kBinary) {
    m.channel = first;
    m.payload.assign(message);
  } else {
    if (first < '0') return m;
    m.channel = static_cast<uint8_t>(first - '0');
    std::optional<std::string> decoded = DecodeBase64(message);
    if (!decoded) return m;
    m.payload = std::move(*decoded);
  }
  m.kind = WsMessage::Kind::kData;
  return m;
}

std::string EncodeBase64(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  for (size_t i = 0; i < data.size(); i += 3) {
    const size_t n = std::min<size_t>(3, data.size() - i);
    uint32_t group = 0;
    for (size_t k = 0; k < 3; ++k) {
      group = (group << 8) | (k < n ? static_cast<unsigned char>(data[i + k]) : 0u);
    }
    for (size_t k = 0; k < 4; ++k) {
      out += k <= n ? kBase64Alphabet[(group >> (18 - 6 * k)) & 63] : '=';
    }
  }
  return out;
}

std::optional<std::string> DecodeBase64(std::string_view text) {
  static constexpr std::array<int8_t, 256> kValues = Base64Values();
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    size_t pad = 0;
    if (last && text[i + 3] == '=') pad = text[i + 2] == '=' ? 2 : 1;
    uint32_t group = 0;
    for (size_t k = 0; k < 4; ++k) {
      const int v = k < 4 - pad ? kValues[static_cast<unsigned char>(text[i + k])] : 0;
      if (v < 0) return std::nullopt;
      group = (group << 6) | static_cast<uint32_t>(v);
    }
    // Bits under the padding must be zero, as Go's strict decoder wants.
    if ((pad == 1 && (group & 0xff) != 0) || (pad == 2 && (group & 0xffff) != 0)) return std::nullopt;
    for (size_t k = 0; k < 3 - pad; ++k) out += static_cast<char>((group >> (16 - 8 * k)) & 0xff);
  }
  return out;
}

std::vector<uint16_t> QueryPorts(std::string_view target) {
  std::vector<uint16_t> ports;
  const size_t question = target.find('?');
  if (question == std::string_view::npos) return ports;
  std::string_view query = target.substr(question + 1);
  query = query.substr(0, query.find('#'));
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const size_t eq = pair.find('=');
    if (Unescape(pair.substr(0, eq)) != "port") continue;
    const std::string value = eq == std::string_view::npos ? "" : Unescape(pair.substr(eq + 1));
    if (value.empty()) throw InvalidArgument("query parameter \"port\" cannot be empty");
    std::string_view rest = value;
    for (;;) {
      const size_t comma = rest.find(',');
      ports.push_back(ParsePort(rest.substr(0, comma)));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return ports;
}

std::string PortPrefix(uint16_t port) {
  return {static_cast<char>(port & 0xff), static_cast<char>(port >> 8)};
}

}  // namespace berth::server::streaming
