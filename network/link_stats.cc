#include "network/link_stats.h"

#include <fcntl.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <sched.h>

#include <cerrno>
#include <exception>
#include <memory>
#include <thread>

#include "storage/base/error.h"
#include "storage/base/unique_fd.h"

namespace berth::network {
namespace {

struct SockFree {
  void operator()(nl_sock* s) const { nl_socket_free(s); }
};
struct CacheFree {
  void operator()(nl_cache* c) const { nl_cache_free(c); }
};

Error LibnlError(const std::string& what, int err) {
  return Internal(what + ": " + nl_geterror(err) + " (libnl error " + std::to_string(err) + ")");
}

// In the worker thread, already inside the netns.
std::vector<LinkCounters> DumpLinks(const std::string& netns_path) {
  std::unique_ptr<nl_sock, SockFree> sock(nl_socket_alloc());
  if (!sock) throw Internal("nl_socket_alloc: out of memory");
  if (int err = nl_connect(sock.get(), NETLINK_ROUTE); err < 0) throw LibnlError("nl_connect in " + netns_path, err);
  nl_cache* raw = nullptr;
  if (int err = rtnl_link_alloc_cache(sock.get(), AF_UNSPEC, &raw); err < 0) {
    throw LibnlError("rtnl_link_alloc_cache in " + netns_path, err);
  }
  std::unique_ptr<nl_cache, CacheFree> cache(raw);
  std::vector<LinkCounters> out;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* link = reinterpret_cast<rtnl_link*>(o);
    if (rtnl_link_get_flags(link) & IFF_LOOPBACK) continue;
    LinkCounters c;
    const char* name = rtnl_link_get_name(link);
    c.name = name ? name : "";
    c.rx_bytes = rtnl_link_get_stat(link, RTNL_LINK_RX_BYTES);
    c.rx_errors = rtnl_link_get_stat(link, RTNL_LINK_RX_ERRORS);
    c.tx_bytes = rtnl_link_get_stat(link, RTNL_LINK_TX_BYTES);
    c.tx_errors = rtnl_link_get_stat(link, RTNL_LINK_TX_ERRORS);
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

std::vector<LinkCounters> ReadLinkCounters(const std::string& netns_path) {
  UniqueFd ns(::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns) {
    if (errno == ENOENT) throw NotFound("network namespace " + netns_path + " is gone");
    throw SysError("open network namespace " + netns_path);
  }
  std::vector<LinkCounters> out;
  std::exception_ptr error;
  std::thread worker([&] {
    try {
      if (::setns(ns.get(), CLONE_NEWNET) != 0) throw SysError("setns(" + netns_path + ", CLONE_NEWNET)");
      out = DumpLinks(netns_path);
    } catch (...) {
      error = std::current_exception();
    }
  });
  worker.join();
  if (error) std::rethrow_exception(error);
  return out;
}

}  // namespace berth::network
