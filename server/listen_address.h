#pragma once
// "host:port" addresses berthd listens on over TCP (metrics.address,
// streaming.address): an IP (v6 in brackets) or localhost, and a port
// 0-65535 (0: one the kernel picks); and what both servers set on a connection.

#include <cstdint>
#include <string>

namespace berth::server {

struct ListenAddress {
  std::string ip;  // numeric; "localhost" becomes 127.0.0.1
  uint16_t port = 0;
};

// Throws INVALID_ARGUMENT naming `key` and the value when malformed.
ListenAddress ParseListenAddress(const std::string& address, const std::string& key);

// Send and receive timeouts of a connected socket (0: none), so a client
// that stalls cannot hold a serving thread.
void SetSocketTimeouts(int fd, int seconds);

// "127.0.0.1:40123", "[::1]:40123".
std::string JoinHostPort(const std::string& ip, uint16_t port);

}  // namespace berth::server
