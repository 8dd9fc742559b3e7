#include "server/streaming/channels.h"

#include <gtest/gtest.h>

namespace berth::server::streaming {
namespace {

TEST(ResizeParserTest, SizesArriveInPiecesAndBackToBack) {
  ResizeParser p;
  p.Feed(R"({"Width":80,"Hei)");
  EXPECT_FALSE(p.Next().has_value());
  p.Feed(R"(ght":24}
{"Width":132,"Height":50})");
  auto a = p.Next();
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->first, 24);
  EXPECT_EQ(a->second, 80);
  auto b = p.Next();
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->first, 50);
  EXPECT_EQ(b->second, 132);
  EXPECT_FALSE(p.Next().has_value());
}

TEST(ResizeParserTest, MalformedObjectsAreSkippedAndHugeValuesClamped) {
  ResizeParser p;
  p.Feed(R"({not json}{"Width":-1,"Height":99999999}junk)");
  auto a = p.Next();
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->first, 65535);
  EXPECT_EQ(a->second, 0);
  EXPECT_FALSE(p.Next().has_value());
}

}  // namespace
}  // namespace berth::server::streaming
