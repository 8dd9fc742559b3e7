#include "server/streaming/token_cache.h"

#include <sys/random.h>

#include <cerrno>

#include "storage/base/error.h"

namespace berth::server::streaming {

std::string NewToken() {
  unsigned char raw[16];
  size_t got = 0;
  while (got < sizeof raw) {
    const ssize_t n = ::getrandom(raw + got, sizeof raw - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SysError("getrandom for a streaming token");
    got += static_cast<size_t>(n);
  }
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  unsigned bits = 0, value = 0;
  for (unsigned char b : raw) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(value >> bits) & 63];
    }
  }
  if (bits > 0) out += kAlphabet[(value << (6 - bits)) & 63];
  return out;
}

void TokenCache::DropExpired(Clock::time_point now) {
  std::erase_if(entries_, [now](const auto& e) { return e.second.expires <= now; });
}

std::string TokenCache::Insert(StreamRequest r, Clock::time_point now) {
  std::string token = NewToken();
  std::lock_guard lock(mu_);
  if (entries_.size() >= max_) DropExpired(now);
  if (entries_.size() >= max_) {
    throw ResourceExhausted(std::to_string(max_) + " streaming URLs are waiting for their clients; try again later");
  }
  entries_[token] = {std::move(r), now + ttl_};
  return token;
}

std::optional<StreamRequest> TokenCache::Consume(const std::string& token, Clock::time_point now) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(token);
  if (it == entries_.end()) return std::nullopt;
  Entry e = std::move(it->second);
  entries_.erase(it);  // single use, expired or not
  if (e.expires <= now) return std::nullopt;
  return std::move(e.request);
}

size_t TokenCache::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace berth::server::streaming
