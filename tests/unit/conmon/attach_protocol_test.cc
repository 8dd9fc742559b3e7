// The attach socket's messages (conmon/attach_protocol.h), as both sides
// encode and decode them.
#include "conmon/attach_protocol.h"

#include <gtest/gtest.h>

#include <string>

namespace berth::conmon {
namespace {

using namespace std::string_literals;

TEST(AttachProtocol, KindByteThenPayload) {
  EXPECT_EQ(EncodeAttach(AttachKind::kStdin, "ls\n"), "\x00ls\n"s);
  EXPECT_EQ(EncodeAttach(AttachKind::kStdout, "out"), "\x01out"s);
  EXPECT_EQ(EncodeAttach(AttachKind::kStderr, "err"), "\x02""err"s);
  EXPECT_EQ(EncodeAttach(AttachKind::kCloseStdin), "\x03"s);
  EXPECT_EQ(EncodeAttach(AttachKind::kStdin, "a\0b"s), "\x00""a\0b"s) << "payloads are bytes, NULs too";
}

TEST(AttachProtocol, ResizeIsBigEndianRowsThenCols) {
  EXPECT_EQ(EncodeResize({24, 80}), "\x04\x00\x18\x00\x50"s);
  EXPECT_EQ(EncodeResize({0x1234, 0xfffe}), "\x04\x12\x34\xff\xfe"s);
  const std::string encoded = EncodeResize({0x1234, 0xfffe});  // the message views into it
  const auto msg = DecodeAttach(encoded);
  ASSERT_TRUE(msg);
  EXPECT_EQ(msg->kind, AttachKind::kResize);
  const auto size = DecodeResize(msg->payload);
  ASSERT_TRUE(size);
  EXPECT_EQ(size->rows, 0x1234);
  EXPECT_EQ(size->cols, 0xfffe);
  EXPECT_FALSE(DecodeResize("\x00\x18\x00"s));
  EXPECT_FALSE(DecodeResize("\x00\x18\x00\x50\x00"s));
}

TEST(AttachProtocol, DecodesWhatItEncodes) {
  for (const auto kind : {AttachKind::kStdin, AttachKind::kStdout, AttachKind::kStderr, AttachKind::kCloseStdin}) {
    const std::string payload = kind == AttachKind::kCloseStdin ? "" : std::string(kAttachMaxPayload, 'x');
    const std::string wire = EncodeAttach(kind, payload);
    const auto msg = DecodeAttach(wire);
    ASSERT_TRUE(msg);
    EXPECT_EQ(msg->kind, kind);
    EXPECT_EQ(msg->payload, payload);
  }
}

TEST(AttachProtocol, RefusesWhatIsNoMessage) {
  EXPECT_FALSE(DecodeAttach(""));
  EXPECT_FALSE(DecodeAttach("\x05" "data"s)) << "an unknown kind";
  EXPECT_FALSE(DecodeAttach("\xff"s));
  EXPECT_FALSE(DecodeAttach("\x01"s + std::string(kAttachMaxPayload + 1, 'x'))) << "over the payload limit";
}

}  // namespace
}  // namespace berth::conmon
