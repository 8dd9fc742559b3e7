#pragma once
// The container log in the CRI format kubelet reads: one record per line,
//   <RFC3339Nano timestamp> <stdout|stderr> <P|F> <content>\n
// F ends a line; P is a piece of a line without its end: one longer than the
// maximum line size (the rest follows in later records), or the last bytes
// of a stream that closed without a newline (kubelet must not see a newline
// the program never wrote; containerd and conmon log it the same way). Each stream buffers its unfinished
// line on its own, so stdout and stderr never mix within a record.

#include <time.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "conmon/fd.h"

namespace berth::conmon {

enum class Stream { kStdout = 0, kStderr = 1 };

// "2016-10-06T00:17:09.669794202Z": UTC, always nine fractional digits.
std::string FormatTimestamp(const timespec& ts);

// One record, newline included.
std::string FormatRecord(const timespec& ts, Stream stream, bool partial, std::string_view content);

class LogWriter {
 public:
  static constexpr size_t kDefaultMaxLine = 16 * 1024;

  // Opens (creates, appends to) `path`; throws std::system_error.
  LogWriter(std::string path, size_t max_line = kDefaultMaxLine);

  // Appends the complete lines in `data` (and P records for over-long ones);
  // an unfinished line waits for more data. False if the file write failed.
  bool Write(Stream stream, std::string_view data, const timespec& now);
  // End of `stream`: its unfinished line, if any, is written as a P record.
  bool Flush(Stream stream, const timespec& now);
  // Opens `path` again (after the file was rotated away); on failure keeps
  // writing to the old file and throws std::system_error.
  void Reopen();

  // For a tty's output: its line discipline (ONLCR) ends lines with "\r\n";
  // drop the '\r' so a line's content is what the program printed.
  void DropCarriageReturns() { drop_cr_ = true; }

  const std::string& path() const { return path_; }

 private:
  void Append(std::string& out, const timespec& now, Stream stream, bool partial);

  std::string path_;
  size_t max_line_;
  Fd fd_;
  std::string pending_[2];  // unfinished line per stream
  bool drop_cr_ = false;
};

}  // namespace berth::conmon
