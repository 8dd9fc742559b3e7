#pragma once
// Content digests ("sha256:<64 lowercase hex>") and streaming SHA-256, the
// identity of every blob, layer (diff_id, chain id) and image (config digest).

#include <openssl/evp.h>

#include <compare>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace berth::storage {

// True when `s` is all lowercase hex digits (and not empty).
bool IsLowerHex(std::string_view s);

struct Digest {
  std::string algorithm;  // only "sha256" is accepted
  std::string hex;        // 64 lowercase hex digits

  // Parses "sha256:<hex>"; throws berth::Error INVALID_ARGUMENT naming the
  // input for any other algorithm, a wrong length or a non-lowercase-hex digit.
  static Digest Parse(std::string_view s);
  // True when Parse would accept `s`.
  static bool Valid(std::string_view s);
  // "sha256:<hex>".
  std::string String() const;

  bool operator==(const Digest&) const = default;
  auto operator<=>(const Digest&) const = default;
};

// Streaming SHA-256 over OpenSSL EVP.
class Sha256 {
 public:
  Sha256();
  void Update(const void* data, size_t n);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  // "sha256:<hex>"; the hasher must not be used afterwards.
  std::string Final();
  Digest FinalDigest() { return Digest::Parse(Final()); }

 private:
  struct CtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  std::unique_ptr<EVP_MD_CTX, CtxFree> ctx_;
};

// "sha256:<hex>" of `data`.
std::string Sha256Of(std::string_view data);

}  // namespace berth::storage
