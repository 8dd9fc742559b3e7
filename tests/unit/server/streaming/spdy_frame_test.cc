#include "server/streaming/spdy_frame.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>
#include <vector>

namespace berth::server::streaming::spdy {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

// Decodes `wire` alone with a fresh decompressor: exactly one frame.
Frame DecodeOne(const std::string& wire) {
  HeaderDecompressor d;
  FrameReader r;
  r.Feed(wire);
  std::optional<Frame> f = r.Next(d);
  EXPECT_TRUE(f.has_value());
  EXPECT_EQ(r.buffered(), 0u);
  return f.value_or(Frame{});
}

void ExpectRejected(const std::string& wire, const std::string& needle) {
  HeaderDecompressor d;
  FrameReader r;
  r.Feed(wire);
  try {
    r.Next(d);
    ADD_FAILURE() << "accepted; wanted an error mentioning " << needle;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(SpdyFrame, EveryTypeRoundTrips) {
  const std::vector<Frame> frames = {
      SynStreamFrame(1, {{"streamtype", "stdout"}, {"port", "8080"}}, kFlagFin | kFlagUnidirectional),
      SynReplyFrame(1, {}),
      SynReplyFrame(3, {{"status", "200"}}, kFlagFin),
      HeadersFrame(5, {{"x-a", "b"}}),
      HeadersFrame(17, {{"big", std::string(50000, 'q')}, {"after", "big"}}),  // inflates over several calls
      RstStreamFrame(7, kRstFlowControlError),
      SettingsFrame({{kSettingsPersistValue, kSettingsInitialWindowSize, 1 << 20}, {0, 4, 100}}),
      SettingsFrame({}, kFlagClearSettings),
      PingFrame(0xfffffffe),
      GoAwayFrame(9, kGoAwayInternalError),
      WindowUpdateFrame(0, 0x7fffffff),
      WindowUpdateFrame(11, 1),
      DataFrame(13, "hello", kFlagFin),
      DataFrame(15, ""),
      DataFrame(kMaxStreamId, std::string(70000, 'x')),
  };
  HeaderCompressor c;
  HeaderDecompressor d;
  FrameReader r;
  for (const Frame& f : frames) r.Feed(Encode(f, c));
  for (const Frame& want : frames) {
    std::optional<Frame> got = r.Next(d);
    ASSERT_TRUE(got.has_value()) << FrameTypeName(want.type);
    EXPECT_EQ(*got, want) << FrameTypeName(want.type);
  }
  EXPECT_FALSE(r.Next(d).has_value());
}

TEST(SpdyFrame, SynStreamFieldsSurvive) {
  Frame f = SynStreamFrame(0x7ffffffd, {{"a", "1"}});
  f.associated_id = 0x12345;
  f.priority = 7;
  HeaderCompressor c;
  EXPECT_EQ(DecodeOne(Encode(f, c)), f);
}

TEST(SpdyFrame, KnownBytes) {
  HeaderCompressor c;
  EXPECT_EQ(Encode(PingFrame(1), c), Bytes({0x80, 0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01}));
  EXPECT_EQ(Encode(WindowUpdateFrame(5, 0x10000), c),
            Bytes({0x80, 0x03, 0x00, 0x09, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00}));
  EXPECT_EQ(Encode(DataFrame(1, "hi", kFlagFin), c), Bytes({0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x02, 'h', 'i'}));
  EXPECT_EQ(Encode(RstStreamFrame(3, kRstCancel), c),
            Bytes({0x80, 0x03, 0x00, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x05}));
  EXPECT_EQ(Encode(GoAwayFrame(7, kGoAwayOk), c),
            Bytes({0x80, 0x03, 0x00, 0x07, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00}));
  EXPECT_EQ(Encode(SettingsFrame({{kSettingsPersisted, kSettingsInitialWindowSize, 0x10000}}), c),
            Bytes({0x80, 0x03, 0x00, 0x04, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x07,
                   0x00, 0x01, 0x00, 0x00}));
}

TEST(SpdyFrame, DictionaryIsSpdy3s) {
  const std::string_view dict = HeaderDictionary();
  EXPECT_EQ(dict.size(), 1423u);
  const auto adler = adler32(adler32(0, nullptr, 0), reinterpret_cast<const Bytef*>(dict.data()),
                             static_cast<uInt>(dict.size()));
  EXPECT_EQ(adler, 0xe3c6a7c2u);  // the dictionary id every SPDY/3 header stream starts with
  EXPECT_EQ(dict.substr(0, 11), std::string_view("\0\0\0\7options", 11));
  EXPECT_EQ(dict.substr(dict.size() - 8), "*,enq=0.");
}

TEST(SpdyFrame, FirstHeaderBlockNamesTheDictionary) {
  HeaderCompressor c;
  const std::string wire = Encode(SynReplyFrame(1, {}), c);
  ASSERT_GT(wire.size(), 18u);
  EXPECT_EQ(wire.substr(14, 4), Bytes({0xe3, 0xc6, 0xa7, 0xc2}));  // after the 12-byte header and zlib's 2
  EXPECT_EQ(wire.substr(wire.size() - 4), Bytes({0x00, 0x00, 0xff, 0xff}));  // Z_SYNC_FLUSH's marker
}

// Two SYN_STREAMs as another zlib user (Python's, level 9) wrote them, one
// zlib stream across both, as Kubernetes clients open "error" then "stdout".
TEST(SpdyFrame, DecodesAnotherEncodersStream) {
  const std::string first =
      Bytes({0x80, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
             0x00, 0x00, 0x78, 0xf9, 0xe3, 0xc6, 0xa7, 0xc2, 0x02, 0xa6, 0x23, 0x46, 0x70, 0x3a, 0x2b, 0x29,
             0x4a, 0x4d, 0xcc, 0x85, 0x16, 0x25, 0xac, 0xa9, 0xa0, 0x80, 0x06, 0x00, 0x00, 0x00, 0xff, 0xff});
  const std::string second =
      Bytes({0x80, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00,
             0x00, 0x00, 0x02, 0x65, 0x1c, 0x0c, 0x29, 0x60, 0x62, 0x4e, 0xc9, 0x07, 0x97, 0xd1, 0xec, 0x15,
             0xba, 0xb9, 0xa5, 0x39, 0x25, 0x99, 0xe0, 0x82, 0x94, 0x21, 0x09, 0x00, 0x00, 0x00, 0xff, 0xff});
  HeaderDecompressor d;
  FrameReader r;
  r.Feed(first + second);
  std::optional<Frame> a = r.Next(d), b = r.Next(d);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->type, FrameType::kSynStream);
  EXPECT_EQ(a->stream_id, 1u);
  EXPECT_EQ(a->headers, (HeaderBlock{{"streamtype", "error"}}));
  EXPECT_EQ(b->stream_id, 3u);
  EXPECT_EQ(b->headers, (HeaderBlock{{"streamtype", "stdout"}, {"x-multi", std::string("a\0b", 3)}}));
  EXPECT_EQ(SplitHeaderValue(b->headers[1].second), (std::vector<std::string>{"a", "b"}));
}

TEST(SpdyFrame, OneZlibStreamAcrossFrames) {
  HeaderCompressor c;
  const HeaderBlock h{{"streamtype", "stdout"}, {"requestid", "0"}, {"port", "8080"}};
  const std::string one = Encode(SynStreamFrame(1, h), c);
  const std::string two = Encode(SynStreamFrame(3, h), c);
  const std::string three = Encode(SynStreamFrame(5, {{"streamtype", "error"}}), c);
  EXPECT_LT(two.size(), one.size());  // the second refers back to the first
  HeaderDecompressor d;
  FrameReader r;
  r.Feed(one + two + three);
  EXPECT_EQ(r.Next(d)->headers, h);
  EXPECT_EQ(r.Next(d)->headers, h);
  EXPECT_EQ(r.Next(d)->headers, (HeaderBlock{{"streamtype", "error"}}));
  // Alone, the second block cannot be read: it needs the stream's history.
  EXPECT_THROW(DecodeOne(two), Error);
}

TEST(SpdyFrame, HeaderBlockLowercasesAndJoinsRepeats) {
  HeaderCompressor c;
  const Frame got = DecodeOne(Encode(SynReplyFrame(1, {{"X-Tag", "a"}, {"other", "1"}, {"x-tag", "b"}}), c));
  EXPECT_EQ(got.headers, (HeaderBlock{{"x-tag", std::string("a\0b", 3)}, {"other", "1"}}));
  EXPECT_EQ(SplitHeaderValue(got.headers[0].second), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(SplitHeaderValue(""), (std::vector<std::string>{""}));
}

TEST(SpdyFrame, FedByteByByte) {
  HeaderCompressor c;
  const Frame want = SynStreamFrame(1, {{"streamtype", "stdin"}});
  const std::string wire = Encode(want, c) + Encode(DataFrame(1, "abc"), c);
  HeaderDecompressor d;
  FrameReader r;
  std::vector<Frame> got;
  for (char ch : wire) {
    r.Feed(std::string_view(&ch, 1));
    while (std::optional<Frame> f = r.Next(d)) got.push_back(*f);
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], want);
  EXPECT_EQ(got[1].data, "abc");
}

TEST(SpdyFrame, SkipsUnknownControlTypes) {
  HeaderCompressor c;
  // Type 10 (SPDY/3's CREDENTIAL) and 5 (SPDY/2's NOOP): skipped whole.
  const std::string unknown = Bytes({0x80, 0x03, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x03, 1, 2, 3}) +
                              Bytes({0x80, 0x03, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00});
  EXPECT_EQ(DecodeOne(unknown + Encode(PingFrame(2), c)), PingFrame(2));
}

TEST(SpdyFrame, RejectsMalformedInput) {
  ExpectRejected(Bytes({0x80, 0x02, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 1}), "version 2");
  ExpectRejected(Bytes({0x80, 0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x05, 0, 0, 0, 1, 0}), "PING frame of 5 bytes");
  ExpectRejected(Bytes({0x80, 0x03, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 1}), "RST_STREAM frame of 4");
  ExpectRejected(Bytes({0x80, 0x03, 0x00, 0x09, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 1}), "WINDOW_UPDATE");
  ExpectRejected(Bytes({0x80, 0x03, 0x00, 0x04, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 1}), "SETTINGS frame is truncated");
  ExpectRejected(Bytes({0x80, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0, 0, 0, 1, 0, 0}), "SYN_STREAM frame is truncated");
  ExpectRejected(Bytes({0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 'x'}), "DATA frame on stream 0");
  ExpectRejected(Bytes({0x80, 0x03, 0x00, 0x02, 0x00, 0x00, 0x00, 0x08, 0, 0, 0, 1, 1, 2, 3, 4}), "corrupt header block");
  // A frame over the reader's limit is refused from its header alone.
  HeaderDecompressor d;
  FrameReader small(100);
  small.Feed(Bytes({0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x65}));
  EXPECT_THROW(small.Next(d), Error);
}

TEST(SpdyFrame, RejectsBadHeaderBlocks) {
  auto block = [](std::initializer_list<int> b) { return Bytes(b); };
  EXPECT_THROW(ParseHeaderBlock(block({0, 0, 0, 1, 0, 0, 0, 1, 'A', 0, 0, 0, 0})), Error);   // capital
  EXPECT_THROW(ParseHeaderBlock(block({0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0})), Error);        // empty name
  EXPECT_THROW(ParseHeaderBlock(block({0, 0, 0, 1, 0, 0, 0, 9, 'a', 0, 0, 0, 0})), Error);   // past the end
  EXPECT_THROW(ParseHeaderBlock(block({0, 0, 0, 0, 1})), Error);                              // trailing byte
  EXPECT_THROW(ParseHeaderBlock(block({0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0})), Error);         // absurd count
  EXPECT_EQ(ParseHeaderBlock(block({0, 0, 0, 1, 0, 0, 0, 1, 'a', 0, 0, 0, 0})), (HeaderBlock{{"a", ""}}));
}

TEST(SpdyFrame, RefusesHeaderBombs) {
  HeaderCompressor c;
  // 200 KiB of one byte compresses to almost nothing but inflates past 100 KiB.
  const std::string wire = Encode(SynReplyFrame(1, {{"x", std::string(200 * 1024, 'a')}}), c);
  EXPECT_LT(wire.size(), 2000u);
  HeaderDecompressor d(100 * 1024);
  FrameReader r;
  r.Feed(wire);
  try {
    r.Next(d);
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("inflates past 102400 bytes"), std::string::npos) << e.what();
  }
  EXPECT_THROW(SerializeHeaderBlock({{"x", std::string(kMaxHeaderBlock, 'a')}}), Error);
}

TEST(SpdyFrame, EncodeRefusesWhatTheWireCannotCarry) {
  HeaderCompressor c;
  EXPECT_THROW(Encode(DataFrame(0, "x"), c), Error);
  EXPECT_THROW(Encode(SynStreamFrame(0, {}), c), Error);
  EXPECT_THROW(Encode(DataFrame(0x80000000u, "x"), c), Error);
  EXPECT_THROW(Encode(PingFrame(0), c), Error);
  EXPECT_THROW(Encode(WindowUpdateFrame(1, 0), c), Error);
  EXPECT_THROW(Encode(RstStreamFrame(1, 0), c), Error);
  EXPECT_THROW(Encode(SynReplyFrame(1, {{"", "v"}}), c), Error);
  Frame bad_priority = SynStreamFrame(1, {});
  bad_priority.priority = 8;
  EXPECT_THROW(Encode(bad_priority, c), Error);
  // A refused header block leaves the zlib stream usable.
  HeaderDecompressor d;
  FrameReader r;
  r.Feed(Encode(SynReplyFrame(1, {{"a", "b"}}), c));
  EXPECT_EQ(r.Next(d)->headers, (HeaderBlock{{"a", "b"}}));
}

}  // namespace
}  // namespace berth::server::streaming::spdy
