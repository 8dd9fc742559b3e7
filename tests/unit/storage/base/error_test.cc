#include "storage/base/error.h"

#include <gtest/gtest.h>

#include <sstream>

#include "storage/base/utf8.h"

namespace berth {
namespace {

TEST(ErrorTest, SysErrorKeepsTheErrnoAndSaysItInTheMessage) {
  const Error e = SysError("open /x", ENOENT);
  EXPECT_EQ(e.code(), Code::kInternal);
  EXPECT_EQ(e.sys_errno(), ENOENT);
  EXPECT_TRUE(e.missing());
  EXPECT_STREQ(e.what(), "open /x: No such file or directory (errno 2)");
  EXPECT_FALSE(SysError("mkdir /y", EACCES).missing());
  EXPECT_EQ(NotFound("gone").sys_errno(), 0) << "no syscall, no errno";
}

TEST(ErrorTest, ANulOrControlByteInAMessageIsEscapedNotACut) {
  const Error e = InvalidArgument(std::string("id \"a\0b\"\x1b[31m\nnext", 18));
  EXPECT_EQ(std::string(e.what()), "id \"a\\x00b\"\\x1b[31m\nnext");
  EXPECT_STREQ(NotFound("plain: ok\ttab").what(), "plain: ok\ttab");
}

TEST(ErrorTest, AFullDiskIsResourceExhausted) {
  EXPECT_EQ(SysError("write", ENOSPC).code(), Code::kResourceExhausted);
  EXPECT_EQ(SysError("write", EDQUOT).code(), Code::kResourceExhausted);
  EXPECT_EQ(SysError("write", EIO).code(), Code::kInternal);
}

TEST(Utf8, WellFormedOnly) {
  for (const std::string ok : {"", "abc", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"}) EXPECT_TRUE(IsUtf8(ok)) << ok;
  for (const std::string bad : {"\xe9", "\xc3", "\xe2\x82", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff", "a\x80"})
    EXPECT_FALSE(IsUtf8(bad)) << bad;
}

TEST(ErrorTest, ContextGoesInFrontAndKeepsCodeAndErrno) {
  const Error e = SysError("mount shm", EPERM).With("sandbox abc");
  EXPECT_STREQ(e.what(), "sandbox abc: mount shm: Operation not permitted (errno 1)");
  EXPECT_EQ(e.code(), Code::kInternal);
  EXPECT_EQ(e.sys_errno(), EPERM);
  try {
    WithContext("pause image p", [] { throw FailedPrecondition("no command"); });
    FAIL() << "WithContext swallowed the error";
  } catch (const Error& got) {
    EXPECT_EQ(got.code(), Code::kFailedPrecondition);
    EXPECT_STREQ(got.what(), "pause image p: no command");
  }
  EXPECT_EQ(WithContext("x", [] { return 7; }), 7);
}

TEST(ErrorTest, CodesHaveTheirCriNames) {
  EXPECT_STREQ(CodeName(Code::kInvalidArgument), "INVALID_ARGUMENT");
  EXPECT_STREQ(CodeName(Code::kDeadlineExceeded), "DEADLINE_EXCEEDED");
  EXPECT_STREQ(CodeName(Code::kDataLoss), "DATA_LOSS");
  std::ostringstream os;
  os << Code::kNotFound;
  EXPECT_EQ(os.str(), "NOT_FOUND");
}

TEST(ErrorTest, QuotedEscapesControlBytesAndCutsLongValues) {
  EXPECT_EQ(Quoted("abc"), "\"abc\"");
  EXPECT_EQ(Quoted(std::string("a\nb\0c\"", 6)), "\"a\\x0ab\\x00c\\x22\"");
  EXPECT_EQ(Quoted(std::string(100, 'x'), 4), "\"xxxx\"... (100 bytes)");
}

}  // namespace
}  // namespace berth
