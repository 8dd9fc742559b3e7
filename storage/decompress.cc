#include "storage/decompress.h"

#include <unistd.h>
#include <zstd.h>

#include <cstring>

#include "storage/base/error.h"

namespace berth::storage {

Decompressor::Decompressor(int fd, std::string what) : fd_(fd), what_(std::move(what)), in_(1 << 17) {
  // Read until 4 bytes are known (or EOF) to recognise the magic numbers.
  while (in_len_ < 4 && Fill()) {
  }
  const unsigned char* p = in_.data();
  if (in_len_ >= 2 && p[0] == 0x1f && p[1] == 0x8b) {
    kind_ = Kind::kGzip;
    if (inflateInit2(&z_, 15 + 16) != Z_OK) throw Internal("inflateInit2 for " + what_ + " failed");
    z_init_ = true;
  } else if (in_len_ >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd) {
    kind_ = Kind::kZstd;
    zstd_ = ZSTD_createDCtx();
    if (zstd_ == nullptr) throw Internal("ZSTD_createDCtx for " + what_ + " failed");
  }
}

Decompressor::~Decompressor() {
  if (z_init_) inflateEnd(&z_);
  if (zstd_ != nullptr) ZSTD_freeDCtx(zstd_);
}

bool Decompressor::Fill() {
  if (eof_) return false;
  if (in_pos_ == in_len_) in_pos_ = in_len_ = 0;
  if (in_len_ == in_.size()) return true;  // buffer full: caller consumes first
  for (;;) {
    ssize_t n = ::read(fd_, in_.data() + in_len_, in_.size() - in_len_);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SysError("read " + what_);
    if (n == 0) {
      eof_ = true;
      return false;
    }
    in_len_ += static_cast<size_t>(n);
    return true;
  }
}

size_t Decompressor::Read(char* out, size_t cap) {
  if (done_ || cap == 0) return 0;
  switch (kind_) {
    case Kind::kPlain: return ReadPlain(out, cap);
    case Kind::kGzip: return ReadGzip(out, cap);
    case Kind::kZstd: return ReadZstd(out, cap);
  }
  return 0;
}

size_t Decompressor::ReadPlain(char* out, size_t cap) {
  if (in_pos_ == in_len_ && !Fill()) {
    done_ = true;
    return 0;
  }
  size_t n = std::min(cap, in_len_ - in_pos_);
  std::memcpy(out, in_.data() + in_pos_, n);
  in_pos_ += n;
  return n;
}

size_t Decompressor::ReadGzip(char* out, size_t cap) {
  for (;;) {
    if (in_pos_ == in_len_ && !Fill()) {
      throw FailedPrecondition(what_ + ": gzip stream is truncated");
    }
    z_.next_in = in_.data() + in_pos_;
    z_.avail_in = static_cast<uInt>(in_len_ - in_pos_);
    z_.next_out = reinterpret_cast<Bytef*>(out);
    z_.avail_out = static_cast<uInt>(cap);
    int rc = inflate(&z_, Z_NO_FLUSH);
    in_pos_ = in_len_ - z_.avail_in;
    size_t produced = cap - z_.avail_out;
    if (rc == Z_STREAM_END) {
      // Another gzip member may follow (concatenated gzip is valid).
      if (in_pos_ < in_len_ || Fill()) {
        inflateReset(&z_);
      } else {
        done_ = true;
      }
      if (produced > 0 || done_) return produced;
      continue;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      throw FailedPrecondition(what_ + ": corrupt gzip stream: " + (z_.msg ? z_.msg : "inflate error " + std::to_string(rc)));
    }
    if (produced > 0) return produced;
  }
}

size_t Decompressor::ReadZstd(char* out, size_t cap) {
  for (;;) {
    if (in_pos_ == in_len_ && !Fill()) {
      if (!frame_done_) throw FailedPrecondition(what_ + ": zstd stream is truncated");
      done_ = true;
      return 0;
    }
    ZSTD_inBuffer in{in_.data(), in_len_, in_pos_};
    ZSTD_outBuffer o{out, cap, 0};
    size_t rc = ZSTD_decompressStream(zstd_, &o, &in);
    in_pos_ = in.pos;
    if (ZSTD_isError(rc)) throw FailedPrecondition(what_ + ": corrupt zstd stream: " + ZSTD_getErrorName(rc));
    frame_done_ = rc == 0;
    if (o.pos > 0) return o.pos;
  }
}

}  // namespace berth::storage
