#include "server/streaming/ws_framing.h"

#include <gtest/gtest.h>

#include "storage/base/error.h"

namespace berth::server::streaming {
namespace {

TEST(WsFramingTest, TheClientsFirstServedOfferWins) {
  const auto& served = WsRemoteCommandProtocols();
  auto p = ChooseWsProtocol({"v4.channel.k8s.io", "v5.channel.k8s.io"}, served);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->name, "v4.channel.k8s.io");
  EXPECT_EQ(p->status_version, 4);
  EXPECT_FALSE(p->stream_close);

  p = ChooseWsProtocol({"v9.channel.k8s.io", "v5.channel.k8s.io"}, served);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->name, "v5.channel.k8s.io");
  EXPECT_EQ(p->status_version, 5);
  EXPECT_TRUE(p->stream_close);
  EXPECT_EQ(p->codec, WsCodec::kBinary);

  p = ChooseWsProtocol({"base64.channel.k8s.io"}, served);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->codec, WsCodec::kBase64);
  EXPECT_EQ(p->status_version, 2);

  EXPECT_FALSE(ChooseWsProtocol({"v5.base64.channel.k8s.io", "portforward.k8s.io"}, served).has_value());
}

TEST(WsFramingTest, NoOfferGetsTheUnnamedBinaryProtocol) {
  auto p = ChooseWsProtocol({}, WsRemoteCommandProtocols());
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->name, "");
  EXPECT_EQ(p->codec, WsCodec::kBinary);
  EXPECT_EQ(p->status_version, 2);
}

TEST(WsFramingTest, PortForwardServesV4Only) {
  const auto& served = WsPortForwardProtocols();
  EXPECT_FALSE(ChooseWsProtocol({"v5.channel.k8s.io", "channel.k8s.io", "portforward.k8s.io"}, served));
  auto p = ChooseWsProtocol({"v4.base64.channel.k8s.io", "v4.channel.k8s.io"}, served);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->name, "v4.base64.channel.k8s.io");
}

TEST(WsFramingTest, HeaderListsSplitAtCommas) {
  std::vector<std::string> out{"first"};
  SplitHeaderList(" v5.channel.k8s.io,v4.channel.k8s.io ,, \tbase64.channel.k8s.io ", out);
  EXPECT_EQ(out,
            (std::vector<std::string>{"first", "v5.channel.k8s.io", "v4.channel.k8s.io", "base64.channel.k8s.io"}));
  SplitHeaderList("", out);
  EXPECT_EQ(out.size(), 4u);
}

TEST(WsFramingTest, BinaryMessagesArePrefixedByTheChannelByte) {
  EXPECT_EQ(EncodeWsMessage(WsCodec::kBinary, 1, "hi"), std::string("\x01hi"));
  EXPECT_EQ(EncodeWsMessage(WsCodec::kBinary, 3, ""), std::string("\x03"));
  const WsProtocol v4{"v4.channel.k8s.io", WsCodec::kBinary, 4, false};
  WsMessage m = DecodeWsMessage(v4, std::string("\x00\x00x", 3));
  EXPECT_EQ(m.kind, WsMessage::Kind::kData);
  EXPECT_EQ(m.channel, 0);
  EXPECT_EQ(m.payload, std::string("\0x", 2));
  m = DecodeWsMessage(v4, "\x04");
  EXPECT_EQ(m.kind, WsMessage::Kind::kData);
  EXPECT_EQ(m.channel, 4);
  EXPECT_EQ(m.payload, "");
  EXPECT_EQ(DecodeWsMessage(v4, "").kind, WsMessage::Kind::kIgnored);
  // Before v5, 255 is just a channel nobody listens on.
  m = DecodeWsMessage(v4, std::string("\xff\x00", 2));
  EXPECT_EQ(m.kind, WsMessage::Kind::kData);
  EXPECT_EQ(m.channel, 255);
}

TEST(WsFramingTest, V5ClosesAChannel) {
  const WsProtocol v5{"v5.channel.k8s.io", WsCodec::kBinary, 5, true};
  WsMessage m = DecodeWsMessage(v5, std::string("\xff\x00", 2));
  EXPECT_EQ(m.kind, WsMessage::Kind::kClose);
  EXPECT_EQ(m.channel, 0);
  EXPECT_EQ(DecodeWsMessage(v5, "\xff").kind, WsMessage::Kind::kIgnored);
  EXPECT_EQ(DecodeWsMessage(v5, std::string("\xff\x00\x00", 3)).kind, WsMessage::Kind::kIgnored);
  m = DecodeWsMessage(v5, std::string("\x00" "stdin", 6));
  EXPECT_EQ(m.kind, WsMessage::Kind::kData);
  EXPECT_EQ(m.payload, "stdin");
}

TEST(WsFramingTest, Base64MessagesAreAChannelDigitAndBase64) {
  // Kubernetes' own example: "foo\n" on stdin.
  EXPECT_EQ(EncodeWsMessage(WsCodec::kBase64, 0, "foo\n"), "0Zm9vCg==");
  EXPECT_EQ(EncodeWsMessage(WsCodec::kBase64, 1, "\n"), "1Cg==");
  EXPECT_EQ(EncodeWsMessage(WsCodec::kBase64, 3, ""), "3");
  const WsProtocol b64{"v4.base64.channel.k8s.io", WsCodec::kBase64, 4, false};
  WsMessage m = DecodeWsMessage(b64, "0Zm9vCg==");
  EXPECT_EQ(m.kind, WsMessage::Kind::kData);
  EXPECT_EQ(m.channel, 0);
  EXPECT_EQ(m.payload, "foo\n");
  m = DecodeWsMessage(b64, "4");
  EXPECT_EQ(m.kind, WsMessage::Kind::kData);
  EXPECT_EQ(m.channel, 4);
  EXPECT_EQ(DecodeWsMessage(b64, "0Zm9vCg=").kind, WsMessage::Kind::kIgnored);
  EXPECT_EQ(DecodeWsMessage(b64, "0Zm9v!g==").kind, WsMessage::Kind::kIgnored);
  EXPECT_EQ(DecodeWsMessage(b64, " Zm9v").kind, WsMessage::Kind::kIgnored);
}

TEST(WsFramingTest, Base64RoundTripsEveryLengthAndByte) {
  std::string data;
  for (int i = 0; i < 300; ++i) {
    const std::string text = EncodeBase64(data);
    EXPECT_EQ(text.size(), (data.size() + 2) / 3 * 4);
    auto back = DecodeBase64(text);
    ASSERT_TRUE(back.has_value()) << text;
    EXPECT_EQ(*back, data);
    data += static_cast<char>(i * 37 + 11);
  }
  EXPECT_EQ(EncodeBase64("Man"), "TWFu");
  EXPECT_EQ(EncodeBase64("Ma"), "TWE=");
  EXPECT_EQ(EncodeBase64("M"), "TQ==");
}

TEST(WsFramingTest, Base64DecodingIsStrict) {
  EXPECT_EQ(DecodeBase64(""), std::string());
  EXPECT_FALSE(DecodeBase64("TQ="));        // length
  EXPECT_FALSE(DecodeBase64("TR=="));       // bits under the padding
  EXPECT_FALSE(DecodeBase64("TWE=TWFu"));   // padding inside
  EXPECT_FALSE(DecodeBase64("T===").has_value());
  EXPECT_FALSE(DecodeBase64("TW-u"));       // base64url is not the standard alphabet
  EXPECT_EQ(DecodeBase64("TWFu"), std::string("Man"));
}

TEST(WsFramingTest, QueryPortsInOrderWithListsAndEscapes) {
  EXPECT_EQ(QueryPorts("/portforward/tok?port=80&port=8080,81"), (std::vector<uint16_t>{80, 8080, 81}));
  EXPECT_EQ(QueryPorts("/portforward/tok?x=1&port=8%30&portx=2&port%3D=3"), (std::vector<uint16_t>{80}));
  EXPECT_EQ(QueryPorts("/portforward/tok?port=443%2C444#frag"), (std::vector<uint16_t>{443, 444}));
  EXPECT_TRUE(QueryPorts("/portforward/tok").empty());
  EXPECT_TRUE(QueryPorts("/portforward/tok?").empty());
  EXPECT_EQ(QueryPorts("/p?port=65535")[0], 65535);
}

TEST(WsFramingTest, QueryPortsRefusesWhatIsNoPort) {
  for (const char* target : {"/p?port=", "/p?port", "/p?port=0", "/p?port=65536", "/p?port=80,", "/p?port=-1",
                             "/p?port=8a", "/p?port=%zz", "/p?port=1234567"}) {
    try {
      QueryPorts(target);
      ADD_FAILURE() << target << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Code::kInvalidArgument) << target;
    }
  }
}

TEST(WsFramingTest, PortPrefixIsLittleEndian) {
  EXPECT_EQ(PortPrefix(8080), std::string("\x90\x1f", 2));
  EXPECT_EQ(PortPrefix(80), std::string("\x50\x00", 2));
}

}  // namespace
}  // namespace berth::server::streaming
