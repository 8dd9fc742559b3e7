// Fuzzes conmon::LogWriter: whatever a container writes to stdout and stderr,
// in whatever chunks, flushes and log rotations, comes out as well-formed CRI
// log records stamped with the write's time, whose contents reassemble to
// exactly the bytes each stream wrote (a tty's "\r\n" read as "\n").
//
// Input: byte 0 is the maximum line (bits 0-6; 0: the default 16 KiB) and
// tty mode (bit 7); bytes 1-5 the first write's seconds, 6-9 its
// nanoseconds (big-endian); then operations: 'o'/'e' + length byte + bytes
// (write stdout/stderr), 'O'/'E' (end of stdout/stderr), 'R' (rotate and
// Reopen); any other byte is one of the five by its value mod 5.

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>

#include "conmon/log_writer.h"
#include "tests/fuzz/fuzz_check.h"

namespace berth::fuzz {
namespace {

using conmon::LogWriter;
using conmon::Stream;

constexpr int64_t kMaxSeconds = 253402300799;  // 9999-12-31T23:59:59Z: four-digit years
constexpr size_t kTimeLength = 30;             // "2016-10-06T00:17:09.669794202Z"

// Reads the input front to back; past its end every byte is 0.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return pos_ >= size_; }
  uint8_t Byte() { return empty() ? 0 : data_[pos_++]; }
  uint64_t BigEndian(int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | Byte();
    return v;
  }
  std::string_view Bytes(size_t n) {
    n = std::min(n, size_ - std::min(pos_, size_));
    std::string_view s(reinterpret_cast<const char*>(data_) + pos_, n);
    pos_ += n;
    return s;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

enum class Op { kWriteOut, kWriteErr, kEndOut, kEndErr, kReopen };

Op ToOp(uint8_t b) {
  switch (b) {
    case 'o': return Op::kWriteOut;
    case 'e': return Op::kWriteErr;
    case 'O': return Op::kEndOut;
    case 'E': return Op::kEndErr;
    case 'R': return Op::kReopen;
    default: return static_cast<Op>(b % 5);
  }
}

const std::string& TempDir() {
  static const std::string dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/berth-log-fuzz.XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) Finding("mkdtemp failed", templ);
    return templ;
  }();
  return dir;
}

// The bytes of `path` from `offset` on.
std::string ReadFrom(const std::string& path, size_t offset) {
  std::ifstream in(path, std::ios::binary);
  Require(in.good(), "cannot read the log", path);
  in.seekg(static_cast<std::streamoff>(offset));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

int Digits(std::string_view s, size_t pos, size_t n) {
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" (RFC 3339, UTC, nine fractional digits),
// read without berth's code; nullopt when it is not that.
std::optional<timespec> ParseTime(std::string_view s) {
  if (s.size() != kTimeLength) return std::nullopt;
  for (auto [pos, c] : {std::pair<size_t, char>{4, '-'}, {7, '-'}, {10, 'T'}, {13, ':'}, {16, ':'}, {19, '.'}, {29, 'Z'}}) {
    if (s[pos] != c) return std::nullopt;
  }
  tm t{};
  t.tm_year = Digits(s, 0, 4) - 1900;
  t.tm_mon = Digits(s, 5, 2) - 1;
  t.tm_mday = Digits(s, 8, 2);
  t.tm_hour = Digits(s, 11, 2);
  t.tm_min = Digits(s, 14, 2);
  t.tm_sec = Digits(s, 17, 2);
  const int nsec = Digits(s, 20, 9);
  if (t.tm_year < -1900 + 1970 || t.tm_mon < 0 || t.tm_mon > 11 || t.tm_mday < 1 || t.tm_mday > 31 ||
      t.tm_hour < 0 || t.tm_hour > 23 || t.tm_min < 0 || t.tm_min > 59 || t.tm_sec < 0 || t.tm_sec > 59 || nsec < 0) {
    return std::nullopt;
  }
  const tm asked = t;
  const time_t sec = ::timegm(&t);
  if (t.tm_mday != asked.tm_mday || t.tm_mon != asked.tm_mon) return std::nullopt;  // e.g. February 30
  return timespec{sec, nsec};
}

// "\r\n" becomes "\n" in a tty's log; other bytes stay.
std::string Expected(const std::string& written, bool tty) {
  if (!tty) return written;
  std::string out;
  for (size_t i = 0; i < written.size(); ++i) {
    if (!(written[i] == '\r' && i + 1 < written.size() && written[i + 1] == '\n')) out += written[i];
  }
  return out;
}

// One log file being written and checked as it grows.
class Checker {
 public:
  Checker(size_t max_line, bool tty) : max_line_(max_line), tty_(tty) {}

  // Checks the records the last operation appended: all of `only` (none when
  // nullopt), stamped `now`, of at most max_line content bytes.
  void NewRecords(const std::string& bytes, std::optional<Stream> only, const timespec& now) {
    Require(bytes.empty() || bytes.back() == '\n', "log write ends inside a record", bytes);
    size_t pos = 0;
    while (pos < bytes.size()) {
      const size_t nl = bytes.find('\n', pos);
      Record(std::string_view(bytes).substr(pos, nl - pos), only, now);
      pos = nl + 1;
    }
  }

  void Wrote(Stream s, std::string_view data) { written_[Index(s)].append(data); }

  // What was logged of `s` so far is a prefix of what it wrote; all of it once `ended`.
  void Reassembles(Stream s, bool ended) const {
    const std::string want = Expected(written_[Index(s)], tty_);
    const std::string& got = logged_[Index(s)];
    if (ended) {
      Require(got == want, "log contents differ from what the stream wrote", "got " + got + " want " + want);
    } else {
      Require(want.starts_with(got), "log contents are not a prefix of what the stream wrote", "got " + got + " want " + want);
    }
  }

 private:
  static size_t Index(Stream s) { return static_cast<size_t>(s); }

  void Record(std::string_view line, std::optional<Stream> only, const timespec& now) {
    const std::string shown(line);
    Require(line.size() >= kTimeLength + 10, "log record too short", shown);
    const auto t = ParseTime(line.substr(0, kTimeLength));
    Require(t.has_value(), "log record timestamp is not RFC3339Nano UTC", shown);
    Require(t->tv_sec == now.tv_sec && t->tv_nsec == now.tv_nsec, "log record stamped with another time", shown);
    const std::string_view stream = line.substr(kTimeLength, 8);
    Require(stream == " stdout " || stream == " stderr ", "log record stream is not stdout or stderr", shown);
    const Stream s = stream == " stdout " ? Stream::kStdout : Stream::kStderr;
    Require(only == s, "log record of a stream the operation did not touch", shown);
    const char tag = line[kTimeLength + 8];
    Require((tag == 'P' || tag == 'F') && line[kTimeLength + 9] == ' ', "log record tag is not 'P ' or 'F '", shown);
    const std::string_view content = line.substr(kTimeLength + 10);
    Require(content.size() <= max_line_, "log record longer than the maximum line", shown);
    Require(tag == 'F' || !content.empty(), "empty P record", shown);
    logged_[Index(s)].append(content);
    if (tag == 'F') logged_[Index(s)] += '\n';
  }

  size_t max_line_;
  bool tty_;
  std::array<std::string, 2> written_, logged_;
};

timespec TimeOf(int64_t base_sec, int64_t base_nsec, int64_t op) {
  return {static_cast<time_t>(std::min(base_sec + op, kMaxSeconds)), static_cast<long>((base_nsec + op * 7919) % 1000000000)};
}

// A LogWriter on a fresh file, and its Checker reading along.
class Session {
 public:
  Session(const std::string& dir, size_t max_line, bool tty)
      : path_(dir + "/container.log"), rotated_(path_ + ".1"), log_(Fresh(path_, rotated_), max_line),
        check_(max_line, tty) {
    if (tty) log_.DropCarriageReturns();
  }

  void Write(Stream s, std::string_view data, const timespec& now) {
    if (ended_[Index(s)]) return;  // a stream's end is final
    check_.Wrote(s, data);
    Require(log_.Write(s, data, now), "LogWriter::Write failed");
    Appended(s, now);
    check_.Reassembles(s, false);
  }

  void End(Stream s, const timespec& now) {
    if (ended_[Index(s)]) return;
    ended_[Index(s)] = true;
    Require(log_.Flush(s, now), "LogWriter::Flush failed");
    Appended(s, now);
    check_.Reassembles(s, true);
  }

  // What ReopenContainerLog does after kubelet renamed the file away.
  void Rotate(const timespec& now) {
    Require(::rename(path_.c_str(), rotated_.c_str()) == 0, "cannot rotate the log", path_);
    log_.Reopen();
    offset_ = 0;
    Appended(std::nullopt, now);
  }

 private:
  static size_t Index(Stream s) { return static_cast<size_t>(s); }
  static std::string Fresh(const std::string& path, const std::string& rotated) {
    ::unlink(path.c_str());
    ::unlink(rotated.c_str());
    return path;
  }
  void Appended(std::optional<Stream> only, const timespec& now) {
    const std::string bytes = ReadFrom(path_, offset_);
    offset_ += bytes.size();
    check_.NewRecords(bytes, only, now);
  }

  std::string path_, rotated_;
  LogWriter log_;
  Checker check_;
  size_t offset_ = 0;
  std::array<bool, 2> ended_{false, false};
};

void Run(Input& in) {
  const uint8_t mode = in.Byte();
  const size_t max_line = (mode & 0x7f) == 0 ? LogWriter::kDefaultMaxLine : (mode & 0x7f);
  const int64_t base_sec = static_cast<int64_t>(in.BigEndian(5) % (kMaxSeconds + 1));
  const int64_t base_nsec = static_cast<int64_t>(in.BigEndian(4) % 1000000000);
  Session session(TempDir(), max_line, (mode & 0x80) != 0);
  int64_t op = 0;
  for (; !in.empty(); ++op) {
    const timespec now = TimeOf(base_sec, base_nsec, op);
    switch (ToOp(in.Byte())) {
      case Op::kWriteOut: session.Write(Stream::kStdout, in.Bytes(in.Byte()), now); break;
      case Op::kWriteErr: session.Write(Stream::kStderr, in.Bytes(in.Byte()), now); break;
      case Op::kEndOut: session.End(Stream::kStdout, now); break;
      case Op::kEndErr: session.End(Stream::kStderr, now); break;
      case Op::kReopen: session.Rotate(now); break;
    }
  }
  // The container exited: both pipes drained.
  session.End(Stream::kStdout, TimeOf(base_sec, base_nsec, op));
  session.End(Stream::kStderr, TimeOf(base_sec, base_nsec, op + 1));
}

}  // namespace
}  // namespace berth::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  berth::fuzz::Input in(data, size);
  berth::fuzz::Run(in);
  return 0;
}
