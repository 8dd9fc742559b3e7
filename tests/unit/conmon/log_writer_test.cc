// berth-conmon's CRI log writer: record format, P/F lines, per-stream
// buffering and reopening after rotation.
#include "conmon/log_writer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "tests/support/temp_dir.h"

namespace berth::conmon {
namespace {

const timespec kT{1475712429, 669794202};  // 2016-10-06T00:07:09.669794202Z
const std::string kTs = "2016-10-06T00:07:09.669794202Z";

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ConmonLogWriter, TimestampIsRfc3339NanoUtc) {
  EXPECT_EQ(FormatTimestamp(kT), kTs);
  EXPECT_EQ(FormatTimestamp({0, 5}), "1970-01-01T00:00:00.000000005Z");
  EXPECT_EQ(FormatTimestamp({1709251199, 999999999}), "2024-02-29T23:59:59.999999999Z");  // a leap day's last ns
  EXPECT_EQ(FormatTimestamp({4102444800, 0}), "2100-01-01T00:00:00.000000000Z");
}

TEST(ConmonLogWriter, RecordFormat) {
  EXPECT_EQ(FormatRecord(kT, Stream::kStdout, false, "hello world"), kTs + " stdout F hello world\n");
  EXPECT_EQ(FormatRecord(kT, Stream::kStderr, true, "part"), kTs + " stderr P part\n");
  EXPECT_EQ(FormatRecord(kT, Stream::kStdout, false, ""), kTs + " stdout F \n");
}

TEST(ConmonLogWriter, CompleteLinesAreFullRecords) {
  testing::TempDir dir;
  LogWriter w(dir / "c.log");
  ASSERT_TRUE(w.Write(Stream::kStdout, "one\ntwo\n\n", kT));
  EXPECT_EQ(Slurp(dir / "c.log"), kTs + " stdout F one\n" + kTs + " stdout F two\n" + kTs + " stdout F \n");
}

TEST(ConmonLogWriter, TtyLineEndsLoseTheirCarriageReturn) {
  testing::TempDir dir;
  LogWriter w(dir / "c.log");
  w.DropCarriageReturns();
  ASSERT_TRUE(w.Write(Stream::kStdout, "one\r\ntwo\r", kT));  // "\r\n" split across reads
  ASSERT_TRUE(w.Write(Stream::kStdout, "\nprogress\r50%\r\n\r\n", kT));
  EXPECT_EQ(Slurp(dir / "c.log"), kTs + " stdout F one\n" + kTs + " stdout F two\n" + kTs +
                                      " stdout F progress\r50%\n" + kTs + " stdout F \n");
}

TEST(ConmonLogWriter, UnfinishedLineWaitsForItsNewline) {
  testing::TempDir dir;
  LogWriter w(dir / "c.log");
  ASSERT_TRUE(w.Write(Stream::kStdout, "abc", kT));
  EXPECT_EQ(Slurp(dir / "c.log"), "");
  ASSERT_TRUE(w.Write(Stream::kStdout, "def\nxy", kT));
  EXPECT_EQ(Slurp(dir / "c.log"), kTs + " stdout F abcdef\n");
  ASSERT_TRUE(w.Flush(Stream::kStdout, kT));  // end of stream: the rest, with no newline, is partial
  EXPECT_EQ(Slurp(dir / "c.log"), kTs + " stdout F abcdef\n" + kTs + " stdout P xy\n");
  ASSERT_TRUE(w.Flush(Stream::kStdout, kT));  // nothing pending: nothing written
  EXPECT_EQ(Slurp(dir / "c.log"), kTs + " stdout F abcdef\n" + kTs + " stdout P xy\n");
}

TEST(ConmonLogWriter, LongLinesSplitIntoPartialRecordsAtMaxSize) {
  testing::TempDir dir;
  LogWriter w(dir / "c.log", 4);
  ASSERT_TRUE(w.Write(Stream::kStdout, "abcdefghij\n", kT));
  EXPECT_EQ(Slurp(dir / "c.log"),
            kTs + " stdout P abcd\n" + kTs + " stdout P efgh\n" + kTs + " stdout F ij\n");
}

TEST(ConmonLogWriter, LineOfExactlyMaxSizeIsOneFullRecord) {
  testing::TempDir dir;
  LogWriter w(dir / "c.log", 4);
  // Split across writes: the buffer is full before the newline arrives.
  ASSERT_TRUE(w.Write(Stream::kStdout, "abcd", kT));
  ASSERT_TRUE(w.Write(Stream::kStdout, "\nabcde", kT));
  ASSERT_TRUE(w.Write(Stream::kStdout, "\n", kT));
  EXPECT_EQ(Slurp(dir / "c.log"),
            kTs + " stdout F abcd\n" + kTs + " stdout P abcd\n" + kTs + " stdout F e\n");
}

TEST(ConmonLogWriter, DefaultMaxLineIs16KiB) {
  testing::TempDir dir;
  LogWriter w(dir / "c.log");
  ASSERT_TRUE(w.Write(Stream::kStderr, std::string(16 * 1024 + 1, 'x') + "\n", kT));
  EXPECT_EQ(Slurp(dir / "c.log"), kTs + " stderr P " + std::string(16 * 1024, 'x') + "\n" + kTs + " stderr F x\n");
}

TEST(ConmonLogWriter, StdoutAndStderrBufferSeparately) {
  testing::TempDir dir;
  LogWriter w(dir / "c.log");
  ASSERT_TRUE(w.Write(Stream::kStdout, "out-", kT));
  ASSERT_TRUE(w.Write(Stream::kStderr, "err\n", kT));
  ASSERT_TRUE(w.Write(Stream::kStdout, "line\n", kT));
  EXPECT_EQ(Slurp(dir / "c.log"), kTs + " stderr F err\n" + kTs + " stdout F out-line\n");
}

TEST(ConmonLogWriter, AppendsToAnExistingLog) {
  testing::TempDir dir;
  const std::string path = dir.Write("c.log", "earlier\n");
  LogWriter w(path);
  ASSERT_TRUE(w.Write(Stream::kStdout, "later\n", kT));
  EXPECT_EQ(Slurp(path), "earlier\n" + kTs + " stdout F later\n");
}

TEST(ConmonLogWriter, ReopenWritesToANewFileAfterRename) {
  testing::TempDir dir;
  const std::string path = dir / "c.log";
  LogWriter w(path);
  ASSERT_TRUE(w.Write(Stream::kStdout, "before\nhalf", kT));
  ASSERT_EQ(std::rename(path.c_str(), (dir / "c.log.1").c_str()), 0);
  w.Reopen();
  ASSERT_TRUE(w.Write(Stream::kStdout, "-done\nafter\n", kT));
  EXPECT_EQ(Slurp(dir / "c.log.1"), kTs + " stdout F before\n");
  EXPECT_EQ(Slurp(path), kTs + " stdout F half-done\n" + kTs + " stdout F after\n");
}

TEST(ConmonLogWriter, OpenAndReopenFailuresThrow) {
  testing::TempDir dir;
  EXPECT_THROW(LogWriter(dir / "missing-dir/c.log"), std::system_error);
  const std::string sub = dir / "sub";
  std::filesystem::create_directories(sub);
  LogWriter w(sub + "/c.log");
  std::filesystem::remove_all(sub);
  EXPECT_THROW(w.Reopen(), std::system_error);
  EXPECT_EQ(w.path(), sub + "/c.log");
}

}  // namespace
}  // namespace berth::conmon
