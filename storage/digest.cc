#include "storage/digest.h"

#include "storage/base/error.h"

namespace berth::storage {

bool IsLowerHex(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

namespace {

constexpr std::string_view kSha256 = "sha256";

std::string ToHex(const unsigned char* p, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[p[i] >> 4];
    out[2 * i + 1] = kDigits[p[i] & 0xf];
  }
  return out;
}

}  // namespace

bool Digest::Valid(std::string_view s) {
  auto colon = s.find(':');
  if (colon == std::string_view::npos || s.substr(0, colon) != kSha256) return false;
  auto hex = s.substr(colon + 1);
  return hex.size() == 64 && IsLowerHex(hex);
}

Digest Digest::Parse(std::string_view s) {
  auto colon = s.find(':');
  if (colon == std::string_view::npos) {
    throw InvalidArgument("digest \"" + std::string(s) + "\": want <algorithm>:<hex>");
  }
  if (s.substr(0, colon) != kSha256) {
    throw InvalidArgument("digest \"" + std::string(s) + "\": unsupported algorithm \"" +
                          std::string(s.substr(0, colon)) + "\" (only sha256)");
  }
  auto hex = s.substr(colon + 1);
  if (hex.size() != 64 || !IsLowerHex(hex)) {
    throw InvalidArgument("digest \"" + std::string(s) + "\": sha256 needs 64 lowercase hex digits");
  }
  return Digest{std::string(kSha256), std::string(hex)};
}

std::string Digest::String() const { return algorithm + ":" + hex; }

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) throw Internal("EVP_DigestInit_ex sha256 failed");
}

void Sha256::Update(const void* data, size_t n) {
  if (n == 0) return;
  if (EVP_DigestUpdate(ctx_.get(), data, n) != 1) throw Internal("EVP_DigestUpdate failed");
}

std::string Sha256::Final() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), md, &len) != 1) throw Internal("EVP_DigestFinal_ex failed");
  return std::string(kSha256) + ":" + ToHex(md, len);
}

std::string Sha256Of(std::string_view data) {
  Sha256 h;
  h.Update(data);
  return h.Final();
}

}  // namespace berth::storage
