#include "server/streaming/token_cache.h"

#include <gtest/gtest.h>

#include <set>

#include "storage/base/error.h"

namespace berth::server::streaming {
namespace {

using namespace std::chrono_literals;

StreamRequest Exec(const std::string& id) {
  StreamRequest r;
  r.id = id;
  r.cmd = {"sh"};
  return r;
}

TEST(TokenCacheTest, ATokenGivesItsRequestOnceOnly) {
  TokenCache cache(60s);
  const auto t0 = TokenCache::Clock::now();
  const std::string token = cache.Insert(Exec("c1"), t0);
  auto got = cache.Consume(token, t0 + 1s);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->id, "c1");
  EXPECT_EQ(got->cmd, std::vector<std::string>{"sh"});
  EXPECT_FALSE(cache.Consume(token, t0 + 2s).has_value()) << "reused";
  EXPECT_FALSE(cache.Consume("nope", t0).has_value()) << "unknown";
}

TEST(TokenCacheTest, AnExpiredTokenFindsNothingAndIsDropped) {
  TokenCache cache(60s);
  const auto t0 = TokenCache::Clock::now();
  const std::string token = cache.Insert(Exec("c1"), t0);
  EXPECT_FALSE(cache.Consume(token, t0 + 60s).has_value());
  EXPECT_EQ(cache.size(), 0u);
}

TEST(TokenCacheTest, AFullCacheDropsExpiredEntriesThenRefuses) {
  TokenCache cache(10s, 2);
  const auto t0 = TokenCache::Clock::now();
  cache.Insert(Exec("a"), t0);
  cache.Insert(Exec("b"), t0);
  try {
    cache.Insert(Exec("c"), t0 + 1s);
    FAIL() << "a third entry fit";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::kResourceExhausted);
  }
  const std::string t = cache.Insert(Exec("c"), t0 + 11s);  // a and b expired meanwhile
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.Consume(t, t0 + 12s)->id, "c");
}

TEST(TokenCacheTest, TokensAreUrlSafeAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string t = NewToken();
    EXPECT_EQ(t.size(), 22u);
    EXPECT_EQ(t.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), std::string::npos);
    seen.insert(t);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

}  // namespace
}  // namespace berth::server::streaming
