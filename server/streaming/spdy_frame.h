#pragma once
// SPDY/3.1 framing, the wire format under Kubernetes' streaming protocols
// (exec, attach, port-forward): clients (kubectl, crictl, the kubelet; Go's
// moby/spdystream) upgrade an HTTP connection with "Upgrade: SPDY/3.1" and
// then speak these frames. Control frames carry version 3 (3.1 changed no
// layout, it added session flow control: WINDOW_UPDATE on stream 0).
//
// Pure bytes in, bytes out: no sockets, no threads (spdy_session.h runs a
// connection). Header blocks are zlib-compressed with SPDY/3's dictionary in
// ONE zlib stream per direction per connection, so a connection owns one
// HeaderCompressor and one HeaderDecompressor, and frames must be encoded in
// the order they are sent and decoded in the order they arrived.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/base/error.h"

namespace berth::server::streaming::spdy {

// Name/value pairs in order. Names are lowercase (SPDY requires it; Encode
// lowercases, decoding rejects capitals). A name may repeat here; on the wire
// repeats travel as one value joined by NULs (SplitHeaderValue undoes it).
using HeaderBlock = std::vector<std::pair<std::string, std::string>>;

// "a\0b" -> {"a", "b"}; "" -> {""}.
std::vector<std::string> SplitHeaderValue(std::string_view value);

inline constexpr uint16_t kVersion = 3;
inline constexpr size_t kMaxFrameLength = (size_t{1} << 24) - 1;  // the 24-bit length field
inline constexpr size_t kMaxHeaderBlock = size_t{1} << 20;        // inflated, per frame
inline constexpr size_t kMaxHeaderPairs = 4096;
inline constexpr uint32_t kMaxStreamId = 0x7fffffff;

enum class FrameType : uint16_t {
  kData = 0,  // not a control type: the frame without the control bit
  kSynStream = 1,
  kSynReply = 2,
  kRstStream = 3,
  kSettings = 4,
  kPing = 6,
  kGoAway = 7,
  kHeaders = 8,
  kWindowUpdate = 9,
};
const char* FrameTypeName(FrameType type);

inline constexpr uint8_t kFlagFin = 0x01;             // DATA, SYN_STREAM, SYN_REPLY, HEADERS
inline constexpr uint8_t kFlagUnidirectional = 0x02;  // SYN_STREAM
inline constexpr uint8_t kFlagClearSettings = 0x01;   // SETTINGS

// RST_STREAM status codes.
inline constexpr uint32_t kRstProtocolError = 1;
inline constexpr uint32_t kRstInvalidStream = 2;
inline constexpr uint32_t kRstRefusedStream = 3;
inline constexpr uint32_t kRstUnsupportedVersion = 4;
inline constexpr uint32_t kRstCancel = 5;
inline constexpr uint32_t kRstInternalError = 6;
inline constexpr uint32_t kRstFlowControlError = 7;
inline constexpr uint32_t kRstStreamInUse = 8;
inline constexpr uint32_t kRstStreamAlreadyClosed = 9;
inline constexpr uint32_t kRstFrameTooLarge = 11;

// GOAWAY status codes.
inline constexpr uint32_t kGoAwayOk = 0;
inline constexpr uint32_t kGoAwayProtocolError = 1;
inline constexpr uint32_t kGoAwayInternalError = 2;

// SETTINGS ids (24 bits on the wire) and per-entry flags.
inline constexpr uint32_t kSettingsMaxConcurrentStreams = 4;
inline constexpr uint32_t kSettingsInitialWindowSize = 7;
inline constexpr uint8_t kSettingsPersistValue = 0x01;
inline constexpr uint8_t kSettingsPersisted = 0x02;

struct Setting {
  uint8_t flags = 0;
  uint32_t id = 0;
  uint32_t value = 0;
  bool operator==(const Setting&) const = default;
};

// One frame, any type; only the fields of its type mean anything.
struct Frame {
  FrameType type = FrameType::kData;
  uint8_t flags = 0;
  // The stream of SYN_STREAM, SYN_REPLY, RST_STREAM, HEADERS, WINDOW_UPDATE
  // (0: the session) and DATA; GOAWAY's last-good-stream-id.
  uint32_t stream_id = 0;
  uint32_t associated_id = 0;  // SYN_STREAM
  uint8_t priority = 0;        // SYN_STREAM: 0 (highest) to 7
  uint32_t status = 0;         // RST_STREAM, GOAWAY
  uint32_t ping_id = 0;        // PING
  uint32_t delta_window = 0;   // WINDOW_UPDATE: 1 to 2^31-1
  std::vector<Setting> settings{};  // SETTINGS
  HeaderBlock headers{};            // SYN_STREAM, SYN_REPLY, HEADERS
  std::string data{};               // DATA

  bool fin() const { return (flags & kFlagFin) != 0; }
  bool operator==(const Frame&) const = default;
};

// Builders for the frames a session sends.
Frame SynStreamFrame(uint32_t id, HeaderBlock headers, uint8_t flags = 0);
Frame SynReplyFrame(uint32_t id, HeaderBlock headers, uint8_t flags = 0);
Frame HeadersFrame(uint32_t id, HeaderBlock headers, uint8_t flags = 0);
Frame RstStreamFrame(uint32_t id, uint32_t status);
Frame SettingsFrame(std::vector<Setting> settings, uint8_t flags = 0);
Frame PingFrame(uint32_t id);
Frame GoAwayFrame(uint32_t last_good_id, uint32_t status);
Frame WindowUpdateFrame(uint32_t id, uint32_t delta);
Frame DataFrame(uint32_t id, std::string data, uint8_t flags = 0);

// The malformed-input error: INVALID_ARGUMENT, "spdy: " + message.
Error ProtocolError(const std::string& message);

// SPDY/3's zlib dictionary for header blocks (1423 bytes).
std::string_view HeaderDictionary();

// The uncompressed header block: count, then length-prefixed name and value
// per pair (all 32-bit big endian). Serialize lowercases names and joins
// repeated names' values with NULs; throws INVALID_ARGUMENT for an empty
// name or a block over kMaxHeaderBlock. Parse throws ProtocolError for an
// empty or capitalised name, lengths past the end, trailing bytes, or more
// pairs than kMaxHeaderPairs.
std::string SerializeHeaderBlock(const HeaderBlock& headers);
HeaderBlock ParseHeaderBlock(std::string_view raw);

// Our outgoing zlib stream: each block is flushed (Z_SYNC_FLUSH) so the
// peer can decode it alone, but the history carries over to the next.
class HeaderCompressor {
 public:
  HeaderCompressor();  // throws INTERNAL if zlib cannot start
  ~HeaderCompressor();
  HeaderCompressor(const HeaderCompressor&) = delete;
  HeaderCompressor& operator=(const HeaderCompressor&) = delete;

  // Validates (SerializeHeaderBlock) before it touches the stream, so a
  // throw leaves the stream as it was.
  std::string Compress(const HeaderBlock& headers);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The peer's zlib stream. Refuses a block that inflates past `max_block`
// bytes; any error leaves it unusable (the connection must end).
class HeaderDecompressor {
 public:
  explicit HeaderDecompressor(size_t max_block = kMaxHeaderBlock);
  ~HeaderDecompressor();
  HeaderDecompressor(const HeaderDecompressor&) = delete;
  HeaderDecompressor& operator=(const HeaderDecompressor&) = delete;

  HeaderBlock Decompress(std::string_view compressed);

 private:
  std::string Inflate(std::string_view compressed);

  struct State;
  std::unique_ptr<State> state_;
  size_t max_block_;
};

// The frame's bytes. Throws INVALID_ARGUMENT for fields the wire cannot
// carry or a peer would reject (stream id 0 on a stream frame, ids over
// 2^31-1, priority over 7, PING id 0, delta 0, data over kMaxFrameLength).
std::string Encode(const Frame& frame, HeaderCompressor& compressor);

// Cuts a byte stream into frames. Unknown control frame types are skipped,
// as SPDY asks; Next throws ProtocolError for a control frame of another
// version, a frame longer than `max_frame`, a known frame of the wrong size,
// stream id 0 where a stream is needed, or a bad header block.
class FrameReader {
 public:
  explicit FrameReader(size_t max_frame = kMaxFrameLength) : max_frame_(max_frame) {}

  void Feed(std::string_view bytes);
  // The next complete frame; nullopt until more bytes are fed.
  std::optional<Frame> Next(HeaderDecompressor& decompressor);
  size_t buffered() const { return buf_.size() - pos_; }

 private:
  std::string buf_;
  size_t pos_ = 0;  // consumed bytes at the front of buf_
  size_t max_frame_;
};

}  // namespace berth::server::streaming::spdy
