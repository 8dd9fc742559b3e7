// Decompressor: the format is detected from the first bytes, gzip members and
// zstd frames are read back to back, output comes out whatever the caller's
// chunk size, and corrupt or truncated input is an error rather than a short
// layer.
#include "storage/decompress.h"

#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

#include "storage/base/error.h"
#include "storage/base/unique_fd.h"
#include "storage/fs.h"
#include "tests/support/layer_tar.h"

namespace berth::storage {
namespace {

// An fd holding `data` (a memfd: no disk), positioned at `offset`.
UniqueFd Blob(const std::string& data, off_t offset = 0) {
  UniqueFd fd(::memfd_create("blob", MFD_CLOEXEC));
  if (!fd) throw std::runtime_error("memfd_create failed");
  for (size_t done = 0; done < data.size();) {
    ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
    if (n <= 0) throw std::runtime_error("write failed");
    done += static_cast<size_t>(n);
  }
  ::lseek(fd.get(), offset, SEEK_SET);
  return fd;
}

// Everything the decompressor yields, read `cap` bytes at a time.
std::string ReadAll(Decompressor& d, size_t cap) {
  std::string out, buf(cap, '\0');
  while (size_t n = d.Read(buf.data(), cap)) {
    EXPECT_LE(n, cap);
    out.append(buf.data(), n);
  }
  return out;
}

// Bytes that neither gzip nor zstd can shrink, so the compressed stream is
// larger than the decompressor's 128 KiB input buffer.
std::string Noise(size_t size) {
  std::string out(size, '\0');
  uint32_t x = 12345;
  for (auto& c : out) {
    x = x * 1103515245 + 12345;
    c = static_cast<char>(x >> 24);
  }
  return out;
}

// Compressible text with some structure (not a single repeated byte).
std::string Text(size_t size) {
  std::string out;
  for (size_t i = 0; out.size() < size; ++i) out += "line " + std::to_string(i) + " of the layer\n";
  out.resize(size);
  return out;
}

// The message of the berth::Error reading all of `blob` throws ("" if none).
std::string ReadError(const std::string& blob, size_t cap = 4096) {
  UniqueFd fd = Blob(blob);
  try {
    Decompressor d(fd.get(), "layer sha256:abc");
    ReadAll(d, cap);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Decompressor, PlainInputPassesThroughUnchanged) {
  const std::string data = Noise(300000);
  UniqueFd fd = Blob(data);
  Decompressor d(fd.get(), "plain");
  EXPECT_EQ(d.kind(), Decompressor::Kind::kPlain);
  EXPECT_EQ(ReadAll(d, 7000), data);
}

TEST(Decompressor, ShortAndEmptyInputsArePlain) {
  // Fewer bytes than any magic number: nothing to detect, passed through.
  for (const std::string data : {"", "a", "\x1f", "\x28\xb5\x2f"}) {
    UniqueFd fd = Blob(data);
    Decompressor d(fd.get(), "short");
    EXPECT_EQ(d.kind(), Decompressor::Kind::kPlain) << data.size();
    EXPECT_EQ(ReadAll(d, 16), data);
  }
}

TEST(Decompressor, ReadsFromTheFdsCurrentOffset) {
  // The gzip stream starts after 5 bytes the caller has already consumed.
  const std::string gz = testing::Gzip("payload");
  UniqueFd fd = Blob("junk!" + gz, 5);
  Decompressor d(fd.get(), "offset");
  EXPECT_EQ(d.kind(), Decompressor::Kind::kGzip);
  EXPECT_EQ(ReadAll(d, 100), "payload");
}

TEST(Decompressor, GzipRoundTripsWhateverTheChunkSize) {
  for (const std::string& data : {Text(1 << 20), Noise(400000)}) {
    const std::string gz = testing::Gzip(data);
    for (size_t cap : {size_t{1}, size_t{1000}, size_t{1} << 17, size_t{1} << 21}) {
      if (cap == 1 && data.size() > 100000) continue;  // one byte a call: slow, covered by a smaller stream below
      UniqueFd fd = Blob(gz);
      Decompressor d(fd.get(), "gzip");
      ASSERT_EQ(d.kind(), Decompressor::Kind::kGzip);
      EXPECT_EQ(ReadAll(d, cap), data) << "cap " << cap;
    }
  }
  UniqueFd fd = Blob(testing::Gzip(Text(5000)));
  Decompressor d(fd.get(), "gzip");
  EXPECT_EQ(ReadAll(d, 1), Text(5000));
}

TEST(Decompressor, ConcatenatedGzipMembersAreOneStream) {
  // Including an empty member in the middle, which yields no bytes of its own.
  const std::string a = Text(200000), b = Noise(150000);
  const std::string gz = testing::Gzip(a) + testing::Gzip("") + testing::Gzip(b);
  UniqueFd fd = Blob(gz);
  Decompressor d(fd.get(), "gzip");
  EXPECT_EQ(ReadAll(d, 65536), a + b);
}

TEST(Decompressor, ReadAfterTheEndKeepsReturningZero) {
  UniqueFd fd = Blob(testing::Gzip("x"));
  Decompressor d(fd.get(), "gzip");
  char buf[8];
  EXPECT_EQ(d.Read(buf, 0), 0u);  // a zero cap reads nothing and does not end the stream
  ASSERT_EQ(d.Read(buf, sizeof buf), 1u);
  EXPECT_EQ(buf[0], 'x');
  EXPECT_EQ(d.Read(buf, sizeof buf), 0u);
  EXPECT_EQ(d.Read(buf, sizeof buf), 0u);
}

TEST(Decompressor, TruncatedGzipIsAnErrorNotAShortLayer) {
  const std::string gz = testing::Gzip(Noise(300000));
  for (size_t keep : {gz.size() / 2, gz.size() - 4, size_t{10}}) {
    const std::string m = ReadError(gz.substr(0, keep));
    EXPECT_NE(m.find("layer sha256:abc: gzip stream is truncated"), std::string::npos) << keep << ": " << m;
  }
}

TEST(Decompressor, CorruptGzipNamesTheBlob) {
  std::string gz = testing::Gzip(Text(100000));
  gz[gz.size() / 2] = static_cast<char>(gz[gz.size() / 2] ^ 0x55);
  const std::string m = ReadError(gz);
  EXPECT_NE(m.find("layer sha256:abc: corrupt gzip stream"), std::string::npos) << m;
  // A flipped byte in the CRC trailer: all data decoded, still refused.
  std::string crc = testing::Gzip("hello");
  crc[crc.size() - 6] = static_cast<char>(crc[crc.size() - 6] ^ 1);
  EXPECT_NE(ReadError(crc).find("corrupt gzip stream"), std::string::npos);
}

TEST(Decompressor, BytesAfterAGzipMemberThatAreNoMemberAreRefused) {
  // After a member ends, what follows must be another member.
  const std::string m = ReadError(testing::Gzip("hello") + "trailing garbage");
  EXPECT_NE(m.find("corrupt gzip stream"), std::string::npos) << m;
}

TEST(Decompressor, ZstdRoundTripsWhateverTheChunkSize) {
  for (const std::string& data : {Text(1 << 20), Noise(400000)}) {
    const std::string zs = testing::Zstd(data);
    for (size_t cap : {size_t{1000}, size_t{1} << 17, size_t{1} << 21}) {
      UniqueFd fd = Blob(zs);
      Decompressor d(fd.get(), "zstd");
      ASSERT_EQ(d.kind(), Decompressor::Kind::kZstd);
      EXPECT_EQ(ReadAll(d, cap), data) << "cap " << cap;
    }
  }
}

TEST(Decompressor, ConcatenatedZstdFramesAreOneStream) {
  const std::string a = Text(300000), b = Noise(100000);
  UniqueFd fd = Blob(testing::Zstd(a) + testing::Zstd(b));
  Decompressor d(fd.get(), "zstd");
  EXPECT_EQ(ReadAll(d, 50000), a + b);
}

TEST(Decompressor, TruncatedZstdIsAnError) {
  const std::string zs = testing::Zstd(Noise(300000));
  for (size_t keep : {zs.size() / 2, zs.size() - 1, size_t{6}}) {
    const std::string m = ReadError(zs.substr(0, keep));
    EXPECT_NE(m.find("layer sha256:abc: zstd stream is truncated"), std::string::npos) << keep << ": " << m;
  }
}

TEST(Decompressor, CorruptZstdNamesTheBlob) {
  // A frame header with reserved bits set is rejected by the decoder.
  std::string zs = testing::Zstd(Text(100000));
  zs[4] = static_cast<char>(0xff);
  const std::string m = ReadError(zs);
  EXPECT_NE(m.find("layer sha256:abc: corrupt zstd stream"), std::string::npos) << m;
}

}  // namespace
}  // namespace berth::storage
