#pragma once
// Traffic counters of the interfaces in a network namespace, read over
// rtnetlink from a socket opened inside it. The socket is opened by a
// short-lived thread that joins the namespace and ends with it, so no
// gRPC thread (nor any other of berthd's) ever changes its namespace.

#include <cstdint>
#include <string>
#include <vector>

namespace berth::network {

struct LinkCounters {
  std::string name;
  uint64_t rx_bytes = 0, rx_errors = 0, tx_bytes = 0, tx_errors = 0;
};

// Every interface but loopback in the netns pinned at `netns_path`. Throws
// berth::Error (NOT_FOUND if the pin is gone, INTERNAL naming the syscall
// or libnl call otherwise).
std::vector<LinkCounters> ReadLinkCounters(const std::string& netns_path);

}  // namespace berth::network
