#pragma once
// Streaming decompression of a layer blob read from an fd: gzip (possibly
// several members), zstd (possibly several frames) or uncompressed, detected
// from the first bytes. Internal to the layer unpacker.

#include <zlib.h>

#include <cstddef>
#include <string>
#include <vector>

struct ZSTD_DCtx_s;

namespace berth::storage {

class Decompressor {
 public:
  enum class Kind { kPlain, kGzip, kZstd };

  // `fd` is read from its current offset; `what` names the blob in errors.
  Decompressor(int fd, std::string what);
  ~Decompressor();
  Decompressor(const Decompressor&) = delete;
  Decompressor& operator=(const Decompressor&) = delete;

  Kind kind() const { return kind_; }
  // Up to `cap` decompressed bytes into `out`; 0 at the end of the stream.
  // Throws berth::Error FAILED_PRECONDITION for corrupt or truncated input.
  size_t Read(char* out, size_t cap);

 private:
  bool Fill();  // more compressed input; false at EOF
  size_t ReadPlain(char* out, size_t cap);
  size_t ReadGzip(char* out, size_t cap);
  size_t ReadZstd(char* out, size_t cap);

  int fd_;
  std::string what_;
  Kind kind_ = Kind::kPlain;
  std::vector<unsigned char> in_;
  size_t in_pos_ = 0, in_len_ = 0;
  bool eof_ = false;
  bool done_ = false;
  z_stream z_{};
  bool z_init_ = false;
  ZSTD_DCtx_s* zstd_ = nullptr;
  bool frame_done_ = true;  // zstd: no frame is half-decoded
};

}  // namespace berth::storage
