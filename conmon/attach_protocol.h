#pragma once
// The attach socket's wire protocol, shared by berth-conmon (conmon/attach.h)
// and berthd's client (pod/oci/attach.h). Header-only: conmon links no berth
// library.
//
// A unix SOCK_SEQPACKET socket: one message is one datagram (no framing),
// its first byte the kind, then at most kAttachMaxPayload bytes.
//   conmon -> client: kStdout + bytes, kStderr + bytes (a tty's output is all
//                     kStdout): every chunk conmon reads from the container
//                     from the moment the client attached.
//   client -> conmon: kStdin + bytes (ignored without --stdin);
//                     kCloseStdin (after the stdin sent before it; ignored
//                     with --tty); kResize + rows, cols as big-endian uint16
//                     (ignored without --tty, or when either is 0).
// Once the container's output has ended, conmon shuts the connection down:
// the client's recv returns 0 (EOF).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace berth::conmon {

enum class AttachKind : uint8_t { kStdin = 0, kStdout = 1, kStderr = 2, kCloseStdin = 3, kResize = 4 };

inline constexpr size_t kAttachMaxPayload = 32 * 1024;
inline constexpr size_t kAttachMaxMessage = 1 + kAttachMaxPayload;

struct AttachMessage {
  AttachKind kind;
  std::string_view payload;  // into the datagram decoded
};

struct WindowSize {
  uint16_t rows = 0;
  uint16_t cols = 0;
};

// One message; `payload` must fit (at most kAttachMaxPayload bytes).
inline std::string EncodeAttach(AttachKind kind, std::string_view payload = {}) {
  std::string msg(1, static_cast<char>(kind));
  msg.append(payload);
  return msg;
}

inline std::string EncodeResize(WindowSize size) {
  const char payload[4] = {static_cast<char>(size.rows >> 8), static_cast<char>(size.rows & 0xff),
                           static_cast<char>(size.cols >> 8), static_cast<char>(size.cols & 0xff)};
  return EncodeAttach(AttachKind::kResize, std::string_view(payload, sizeof payload));
}

// nullopt for what is no message of this protocol: empty, an unknown kind,
// or a payload too long.
inline std::optional<AttachMessage> DecodeAttach(std::string_view datagram) {
  if (datagram.empty() || datagram.size() > kAttachMaxMessage) return std::nullopt;
  const auto kind = static_cast<uint8_t>(datagram[0]);
  if (kind > static_cast<uint8_t>(AttachKind::kResize)) return std::nullopt;
  return AttachMessage{static_cast<AttachKind>(kind), datagram.substr(1)};
}

// A resize's payload; nullopt unless it is exactly the 4 bytes.
inline std::optional<WindowSize> DecodeResize(std::string_view payload) {
  if (payload.size() != 4) return std::nullopt;
  auto byte = [&](size_t i) { return static_cast<uint16_t>(static_cast<uint8_t>(payload[i])); };
  return WindowSize{static_cast<uint16_t>(byte(0) << 8 | byte(1)), static_cast<uint16_t>(byte(2) << 8 | byte(3))};
}

}  // namespace berth::conmon
