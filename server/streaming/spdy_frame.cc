#include "server/streaming/spdy_frame.h"

#include <zlib.h>

#include <algorithm>
#include <array>

namespace berth::server::streaming::spdy {
namespace {

// The SPDY/3 dictionary is the spec's list of length-prefixed words followed
// by raw text; built once from that description rather than kept as bytes.
constexpr std::array<std::string_view, 65> kDictionaryWords = {
    "options", "head", "post", "put", "delete", "trace", "accept", "accept-charset",
    "accept-encoding", "accept-language", "accept-ranges", "age", "allow", "authorization",
    "cache-control", "connection", "content-base", "content-encoding", "content-language",
    "content-length", "content-location", "content-md5", "content-range", "content-type",
    "date", "etag", "expect", "expires", "from", "host", "if-match", "if-modified-since",
    "if-none-match", "if-range", "if-unmodified-since", "last-modified", "location",
    "max-forwards", "pragma", "proxy-authenticate", "proxy-authorization", "range", "referer",
    "retry-after", "server", "te", "trailer", "transfer-encoding", "upgrade", "user-agent",
    "vary", "via", "warning", "www-authenticate", "method", "get", "status", "200 OK",
    "version", "HTTP/1.1", "url", "public", "set-cookie", "keep-alive", "origin"};
constexpr std::string_view kDictionaryTail =
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
    "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request"
    "401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented"
    "503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 "
    "Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,"
    "application/xml,application/xhtml+xml,text/plain,text/javascript,publicprivate"
    "max-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.";

constexpr uint32_t kStreamIdMask = 0x7fffffff;

void Put16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

void Put32(std::string& out, uint32_t v) {
  Put16(out, static_cast<uint16_t>(v >> 16));
  Put16(out, static_cast<uint16_t>(v & 0xffff));
}

uint32_t Get32(std::string_view s, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<unsigned char>(s[at + i]);
  return v;
}

// Reads big-endian fields off one frame's payload; running past its end is
// the peer's error, named after `what`.
class Cursor {
 public:
  Cursor(std::string_view s, std::string_view what) : s_(s), what_(what) {}
  uint32_t U32() {
    Need(4);
    pos_ += 4;
    return Get32(s_, pos_ - 4);
  }
  uint8_t U8() {
    Need(1);
    return static_cast<uint8_t>(s_[pos_++]);
  }
  std::string_view Bytes(size_t n) {
    Need(n);
    pos_ += n;
    return s_.substr(pos_ - n, n);
  }
  std::string_view Rest() { return Bytes(left()); }
  size_t left() const { return s_.size() - pos_; }

 private:
  void Need(size_t n) const {
    if (left() < n) throw ProtocolError(what_ + " is truncated");
  }
  std::string_view s_;
  std::string what_;
  size_t pos_ = 0;
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

void CheckName(std::string_view name) {
  if (name.empty()) throw ProtocolError("header block has an empty name");
  if (Lower(name) != name) throw ProtocolError("header name " + Quoted(name) + " is not lowercase");
}

Bytef* ZBytes(const char* p) { return reinterpret_cast<Bytef*>(const_cast<char*>(p)); }

}  // namespace

std::vector<std::string> SplitHeaderValue(std::string_view value) {
  std::vector<std::string> out;
  for (size_t start = 0;;) {
    const size_t nul = value.find('\0', start);
    out.emplace_back(value.substr(start, nul - start));
    if (nul == std::string_view::npos) return out;
    start = nul + 1;
  }
}

const char* FrameTypeName(FrameType type) {
  static constexpr std::array<const char*, 10> kNames = {
      "DATA", "SYN_STREAM", "SYN_REPLY", "RST_STREAM", "SETTINGS", nullptr, "PING", "GOAWAY", "HEADERS",
      "WINDOW_UPDATE"};  // 5 was SPDY/2's NOOP
  const auto i = static_cast<size_t>(type);
  return i < kNames.size() && kNames[i] != nullptr ? kNames[i] : "unknown";
}

Frame SynStreamFrame(uint32_t id, HeaderBlock headers, uint8_t flags) {
  return {.type = FrameType::kSynStream, .flags = flags, .stream_id = id, .headers = std::move(headers)};
}
Frame SynReplyFrame(uint32_t id, HeaderBlock headers, uint8_t flags) {
  return {.type = FrameType::kSynReply, .flags = flags, .stream_id = id, .headers = std::move(headers)};
}
Frame HeadersFrame(uint32_t id, HeaderBlock headers, uint8_t flags) {
  return {.type = FrameType::kHeaders, .flags = flags, .stream_id = id, .headers = std::move(headers)};
}
Frame RstStreamFrame(uint32_t id, uint32_t status) {
  return {.type = FrameType::kRstStream, .stream_id = id, .status = status};
}
Frame SettingsFrame(std::vector<Setting> settings, uint8_t flags) {
  return {.type = FrameType::kSettings, .flags = flags, .settings = std::move(settings)};
}
Frame PingFrame(uint32_t id) { return {.type = FrameType::kPing, .ping_id = id}; }
Frame GoAwayFrame(uint32_t last_good_id, uint32_t status) {
  return {.type = FrameType::kGoAway, .stream_id = last_good_id, .status = status};
}
Frame WindowUpdateFrame(uint32_t id, uint32_t delta) {
  return {.type = FrameType::kWindowUpdate, .stream_id = id, .delta_window = delta};
}
Frame DataFrame(uint32_t id, std::string data, uint8_t flags) {
  return {.type = FrameType::kData, .flags = flags, .stream_id = id, .data = std::move(data)};
}

Error ProtocolError(const std::string& message) { return InvalidArgument("spdy: " + message); }

std::string_view HeaderDictionary() {
  static const std::string dictionary = [] {
    std::string d;
    for (std::string_view word : kDictionaryWords) {
      Put32(d, static_cast<uint32_t>(word.size()));
      d += word;
    }
    return d += kDictionaryTail;
  }();
  return dictionary;
}

std::string SerializeHeaderBlock(const HeaderBlock& headers) {
  HeaderBlock merged;  // one entry per name: the peer (Go) refuses repeats
  for (const auto& [raw_name, value] : headers) {
    std::string name = Lower(raw_name);
    if (name.empty()) throw InvalidArgument("spdy: header with an empty name");
    auto same = [&](const auto& p) { return p.first == name; };
    if (auto it = std::find_if(merged.begin(), merged.end(), same); it != merged.end()) {
      (it->second += '\0') += value;
    } else {
      merged.emplace_back(std::move(name), value);
    }
  }
  std::string out;
  Put32(out, static_cast<uint32_t>(merged.size()));
  for (const auto& [name, value] : merged) {
    if (out.size() + name.size() + value.size() + 8 > kMaxHeaderBlock)
      throw InvalidArgument("spdy: header block over " + std::to_string(kMaxHeaderBlock) + " bytes");
    Put32(out, static_cast<uint32_t>(name.size()));
    out += name;
    Put32(out, static_cast<uint32_t>(value.size()));
    out += value;
  }
  return out;
}

HeaderBlock ParseHeaderBlock(std::string_view raw) {
  Cursor c(raw, "header block");
  const uint32_t count = c.U32();
  if (count > kMaxHeaderPairs || count > c.left() / 8)
    throw ProtocolError("header block claims " + std::to_string(count) + " pairs in " +
                        std::to_string(raw.size()) + " bytes");
  HeaderBlock out;
  out.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    std::string_view name = c.Bytes(c.U32());
    CheckName(name);
    std::string_view value = c.Bytes(c.U32());
    out.emplace_back(name, value);
  }
  if (c.left() != 0) throw ProtocolError("header block has " + std::to_string(c.left()) + " trailing bytes");
  return out;
}

struct HeaderCompressor::State {
  z_stream z{};
  ~State() { deflateEnd(&z); }
};

HeaderCompressor::HeaderCompressor() : state_(std::make_unique<State>()) {
  z_stream& z = state_->z;
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw Internal("spdy: deflateInit2 failed");
  const std::string_view dict = HeaderDictionary();
  if (deflateSetDictionary(&z, ZBytes(dict.data()), static_cast<uInt>(dict.size())) != Z_OK)
    throw Internal("spdy: deflateSetDictionary failed");
}

HeaderCompressor::~HeaderCompressor() = default;

std::string HeaderCompressor::Compress(const HeaderBlock& headers) {
  const std::string raw = SerializeHeaderBlock(headers);
  z_stream& z = state_->z;
  z.next_in = ZBytes(raw.data());
  z.avail_in = static_cast<uInt>(raw.size());
  std::string out;
  char buf[4096];
  do {  // Z_SYNC_FLUSH is done once deflate leaves output space unused
    z.next_out = ZBytes(buf);
    z.avail_out = sizeof buf;
    const int rc = deflate(&z, Z_SYNC_FLUSH);
    if (rc != Z_OK && rc != Z_BUF_ERROR) throw Internal("spdy: deflate failed: " + std::to_string(rc));
    out.append(buf, sizeof buf - z.avail_out);
  } while (z.avail_out == 0);
  return out;
}

struct HeaderDecompressor::State {
  z_stream z{};
  bool ended = false;  // the peer finished its zlib stream: no block may follow
  ~State() { inflateEnd(&z); }
};

HeaderDecompressor::HeaderDecompressor(size_t max_block)
    : state_(std::make_unique<State>()), max_block_(max_block) {
  if (inflateInit(&state_->z) != Z_OK) throw Internal("spdy: inflateInit failed");
}

HeaderDecompressor::~HeaderDecompressor() = default;

HeaderBlock HeaderDecompressor::Decompress(std::string_view compressed) {
  return ParseHeaderBlock(Inflate(compressed));
}

std::string HeaderDecompressor::Inflate(std::string_view compressed) {
  State& s = *state_;
  if (s.ended) throw ProtocolError("header block after the end of the peer's zlib stream");
  s.z.next_in = ZBytes(compressed.data());
  s.z.avail_in = static_cast<uInt>(compressed.size());
  std::string out;
  char buf[16384];
  for (;;) {
    s.z.next_out = ZBytes(buf);
    s.z.avail_out = sizeof buf;
    const uInt in_before = s.z.avail_in;
    int rc = inflate(&s.z, Z_SYNC_FLUSH);
    if (rc == Z_NEED_DICT) {
      const std::string_view dict = HeaderDictionary();
      rc = inflateSetDictionary(&s.z, ZBytes(dict.data()), static_cast<uInt>(dict.size()));
      if (rc != Z_OK) throw ProtocolError("header block wants a zlib dictionary other than SPDY/3's");
      continue;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR && rc != Z_STREAM_END)
      throw ProtocolError(std::string("corrupt header block: ") + (s.z.msg ? s.z.msg : "inflate failed"));
    out.append(buf, sizeof buf - s.z.avail_out);
    if (out.size() > max_block_)
      throw ProtocolError("header block inflates past " + std::to_string(max_block_) + " bytes");
    s.ended = rc == Z_STREAM_END;
    const bool progress = s.z.avail_out != sizeof buf || s.z.avail_in != in_before;
    if (s.ended || (s.z.avail_in == 0 && s.z.avail_out != 0) || !progress) break;
  }
  return out;
}

namespace {

bool NeedsStream(FrameType t) {
  return t == FrameType::kData || t == FrameType::kSynStream || t == FrameType::kSynReply ||
         t == FrameType::kRstStream || t == FrameType::kHeaders;
}

void Validate(const Frame& f) {
  const std::string name = FrameTypeName(f.type);
  auto check = [&](bool ok, const std::string& why) {
    if (!ok) throw InvalidArgument("spdy: cannot encode " + name + ": " + why);
  };
  check(name != "unknown", "unknown frame type " + std::to_string(static_cast<int>(f.type)));
  check(f.stream_id <= kMaxStreamId && f.associated_id <= kMaxStreamId, "stream id over 2^31-1");
  check(!NeedsStream(f.type) || f.stream_id != 0, "stream id 0");
  check(f.priority <= 7, "priority over 7");
  check(f.type != FrameType::kRstStream || f.status != 0, "status 0");  // Go refuses it
  check(f.type != FrameType::kPing || f.ping_id != 0, "id 0");          // Go refuses it
  check(f.type != FrameType::kWindowUpdate || (f.delta_window != 0 && f.delta_window <= kMaxStreamId),
        "delta outside 1..2^31-1");
  check(f.settings.size() <= (kMaxFrameLength - 4) / 8, "too many entries");
  for (const Setting& s : f.settings) check(s.id <= 0xffffff, "id over 24 bits");
  check(f.data.size() <= kMaxFrameLength, "data over " + std::to_string(kMaxFrameLength) + " bytes");
}

std::string ControlBody(const Frame& f, HeaderCompressor& compressor) {
  std::string b;
  switch (f.type) {
    case FrameType::kSynStream:
      Put32(b, f.stream_id);
      Put32(b, f.associated_id);
      b.push_back(static_cast<char>(f.priority << 5));
      b.push_back(0);  // slot: unused since SPDY/3.1
      return b + compressor.Compress(f.headers);
    case FrameType::kSynReply:
    case FrameType::kHeaders:
      Put32(b, f.stream_id);
      return b + compressor.Compress(f.headers);
    case FrameType::kRstStream:
    case FrameType::kGoAway:
      Put32(b, f.stream_id);
      Put32(b, f.status);
      return b;
    case FrameType::kSettings:
      Put32(b, static_cast<uint32_t>(f.settings.size()));
      for (const Setting& s : f.settings) {
        Put32(b, uint32_t{s.flags} << 24 | s.id);
        Put32(b, s.value);
      }
      return b;
    case FrameType::kPing:
      Put32(b, f.ping_id);
      return b;
    case FrameType::kWindowUpdate:
      Put32(b, f.stream_id);
      Put32(b, f.delta_window);
      return b;
    case FrameType::kData:
      break;
  }
  throw InvalidArgument("spdy: not a control frame");
}

}  // namespace

std::string Encode(const Frame& frame, HeaderCompressor& compressor) {
  Validate(frame);
  std::string out;
  if (frame.type == FrameType::kData) {
    Put32(out, frame.stream_id);
    Put32(out, uint32_t{frame.flags} << 24 | static_cast<uint32_t>(frame.data.size()));
    return out += frame.data;
  }
  const std::string body = ControlBody(frame, compressor);
  Put16(out, 0x8000 | kVersion);
  Put16(out, static_cast<uint16_t>(frame.type));
  Put32(out, uint32_t{frame.flags} << 24 | static_cast<uint32_t>(body.size()));
  return out += body;
}

namespace {

HeaderBlock DecodeHeaders(std::string_view block, HeaderDecompressor& d) {
  return block.empty() ? HeaderBlock{} : d.Decompress(block);  // lenient: no block, no pairs
}

void ExpectLength(const Frame& f, std::string_view payload, size_t want) {
  if (payload.size() != want)
    throw ProtocolError(std::string(FrameTypeName(f.type)) + " frame of " + std::to_string(payload.size()) +
                        " bytes, want " + std::to_string(want));
}

void DecodeBody(Frame& f, std::string_view payload, HeaderDecompressor& d) {
  Cursor c(payload, std::string(FrameTypeName(f.type)) + " frame");
  switch (f.type) {
    case FrameType::kSynStream:
      f.stream_id = c.U32() & kStreamIdMask;
      f.associated_id = c.U32() & kStreamIdMask;
      f.priority = static_cast<uint8_t>(c.U8() >> 5);
      c.U8();  // slot
      f.headers = DecodeHeaders(c.Rest(), d);
      return;
    case FrameType::kSynReply:
    case FrameType::kHeaders:
      f.stream_id = c.U32() & kStreamIdMask;
      f.headers = DecodeHeaders(c.Rest(), d);
      return;
    case FrameType::kRstStream:
    case FrameType::kGoAway:
      ExpectLength(f, payload, 8);
      f.stream_id = c.U32() & kStreamIdMask;
      f.status = c.U32();
      return;
    case FrameType::kSettings:
      for (uint32_t n = c.U32(); n > 0; --n) {
        const uint32_t flags_id = c.U32();
        f.settings.push_back({static_cast<uint8_t>(flags_id >> 24), flags_id & 0xffffff, c.U32()});
      }
      if (c.left() != 0) throw ProtocolError("SETTINGS frame longer than its entries");
      return;
    case FrameType::kPing:
      ExpectLength(f, payload, 4);
      f.ping_id = c.U32();
      return;
    case FrameType::kWindowUpdate:
      ExpectLength(f, payload, 8);
      f.stream_id = c.U32() & kStreamIdMask;
      f.delta_window = c.U32() & kStreamIdMask;
      return;
    case FrameType::kData:
      f.data = std::string(payload);
      return;
  }
}

bool KnownControlType(uint16_t type) {
  return type != 0 && std::string_view(FrameTypeName(static_cast<FrameType>(type))) != "unknown";
}

void RequireStream(const Frame& f) {
  if (NeedsStream(f.type) && f.stream_id == 0)
    throw ProtocolError(std::string(FrameTypeName(f.type)) + " frame on stream 0");
}

}  // namespace

void FrameReader::Feed(std::string_view bytes) {
  if (pos_ > 0 && pos_ >= buf_.size() / 2) {  // drop consumed bytes before growing
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  buf_ += bytes;
}

std::optional<Frame> FrameReader::Next(HeaderDecompressor& decompressor) {
  for (;;) {
    const std::string_view b = std::string_view(buf_).substr(pos_);
    if (b.size() < 8) return std::nullopt;
    const uint32_t first = Get32(b, 0), second = Get32(b, 4);
    const bool control = (first & 0x80000000) != 0;
    const uint32_t version = first >> 16 & 0x7fff;
    if (control && version != kVersion)
      throw ProtocolError("control frame of version " + std::to_string(version) + ", want 3");
    const size_t length = second & 0xffffff;
    if (length > max_frame_)
      throw ProtocolError("frame of " + std::to_string(length) + " bytes, over the limit of " +
                          std::to_string(max_frame_));
    if (b.size() < 8 + length) return std::nullopt;
    const std::string_view payload = b.substr(8, length);
    std::optional<Frame> frame;
    if (!control || KnownControlType(static_cast<uint16_t>(first & 0xffff))) {
      frame.emplace();
      frame->type = control ? static_cast<FrameType>(first & 0xffff) : FrameType::kData;
      frame->flags = static_cast<uint8_t>(second >> 24);
      if (!control) frame->stream_id = first & kStreamIdMask;
      DecodeBody(*frame, payload, decompressor);
      RequireStream(*frame);
    }
    pos_ += 8 + length;  // an unknown control type is skipped whole
    if (frame) return frame;
  }
}

}  // namespace berth::server::streaming::spdy
