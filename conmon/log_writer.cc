#include "conmon/log_writer.h"

#include <fcntl.h>

#include <algorithm>
#include <chrono>
#include <system_error>

namespace berth::conmon {
namespace {

Fd OpenLog(const std::string& path) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640));
  if (!fd) throw std::system_error(errno, std::generic_category(), "open log " + path);
  return fd;
}

size_t Index(Stream s) { return static_cast<size_t>(s); }

}  // namespace

namespace {

// `n` as exactly `width` decimal digits, zero-padded, at `out`.
char* Digits(char* out, long n, int width) {
  for (int i = width - 1; i >= 0; --i, n /= 10) out[i] = static_cast<char>('0' + n % 10);
  return out + width;
}

}  // namespace

std::string FormatTimestamp(const timespec& ts) {
  // The date by arithmetic and the digits by hand, not gmtime_r/strftime
  // (their first call loads the time zone, /etc/localtime, into the heap of
  // every monitor, for a UTC stamp that needs none) nor snprintf (whose frame
  // alone is a page of stack the idle monitor would keep dirty).
  using namespace std::chrono;
  const sys_seconds at{seconds{ts.tv_sec}};
  const sys_days day = floor<days>(at);
  const year_month_day ymd{day};
  const hh_mm_ss hms{at - day};
  char buf[32];  // "YYYY-MM-DDTHH:MM:SS.NNNNNNNNNZ"
  char* p = Digits(buf, static_cast<int>(ymd.year()), 4);
  *p++ = '-';
  p = Digits(p, static_cast<unsigned>(ymd.month()), 2);
  *p++ = '-';
  p = Digits(p, static_cast<unsigned>(ymd.day()), 2);
  *p++ = 'T';
  p = Digits(p, hms.hours().count(), 2);
  *p++ = ':';
  p = Digits(p, hms.minutes().count(), 2);
  *p++ = ':';
  p = Digits(p, static_cast<long>(hms.seconds().count()), 2);
  *p++ = '.';
  p = Digits(p, ts.tv_nsec, 9);
  *p++ = 'Z';
  return std::string(buf, p);
}

std::string FormatRecord(const timespec& ts, Stream stream, bool partial, std::string_view content) {
  std::string out = FormatTimestamp(ts);
  out += stream == Stream::kStdout ? " stdout " : " stderr ";
  out += partial ? "P " : "F ";
  out += content;
  out += '\n';
  return out;
}

LogWriter::LogWriter(std::string path, size_t max_line)
    : path_(std::move(path)), max_line_(std::max<size_t>(max_line, 1)), fd_(OpenLog(path_)) {}

void LogWriter::Append(std::string& out, const timespec& now, Stream stream, bool partial) {
  std::string& buf = pending_[Index(stream)];
  if (drop_cr_ && !partial && !buf.empty() && buf.back() == '\r') buf.pop_back();
  out += FormatRecord(now, stream, partial, buf);
  buf.clear();
}

bool LogWriter::Write(Stream stream, std::string_view data, const timespec& now) {
  std::string& buf = pending_[Index(stream)];
  std::string out;
  size_t pos = 0;
  while (pos < data.size()) {
    size_t nl = data.find('\n', pos);
    size_t end = nl == std::string_view::npos ? data.size() : nl;
    while (pos < end) {
      // A full buffer becomes a P record only once more of the line arrives:
      // a line of exactly max_line bytes is still one F record.
      if (buf.size() == max_line_) Append(out, now, stream, true);
      size_t take = std::min(end - pos, max_line_ - buf.size());
      buf.append(data.substr(pos, take));
      pos += take;
    }
    if (nl == std::string_view::npos) break;
    Append(out, now, stream, false);
    pos = nl + 1;
  }
  return WriteAll(fd_.get(), out);
}

bool LogWriter::Flush(Stream stream, const timespec& now) {
  if (pending_[Index(stream)].empty()) return true;
  std::string out;
  Append(out, now, stream, true);
  return WriteAll(fd_.get(), out);
}

void LogWriter::Reopen() { fd_ = OpenLog(path_); }

}  // namespace berth::conmon
