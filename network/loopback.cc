#include "network/loopback.h"

#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include <memory>
#include <string>

#include "storage/base/error.h"

namespace berth::network {
namespace {

struct SockDeleter {
  void operator()(nl_sock* s) const { nl_socket_free(s); }  // also closes it
};
struct LinkDeleter {
  void operator()(rtnl_link* l) const { rtnl_link_put(l); }
};

Error NlError(const std::string& what, int err) {
  return Internal(what + ": " + nl_geterror(err) + " (libnl error " + std::to_string(err) + ")");
}

}  // namespace

void BringUpLoopback() {
  std::unique_ptr<nl_sock, SockDeleter> sock(nl_socket_alloc());
  if (!sock) throw Internal("nl_socket_alloc: out of memory");
  // The socket is bound to the netns of the thread that opens it.
  if (int err = nl_connect(sock.get(), NETLINK_ROUTE); err < 0) throw NlError("nl_connect NETLINK_ROUTE", err);

  rtnl_link* raw = nullptr;
  if (int err = rtnl_link_get_kernel(sock.get(), 0, "lo", &raw); err < 0) throw NlError("rtnl_link_get_kernel lo", err);
  std::unique_ptr<rtnl_link, LinkDeleter> lo(raw);

  std::unique_ptr<rtnl_link, LinkDeleter> change(rtnl_link_alloc());
  if (!change) throw Internal("rtnl_link_alloc: out of memory");
  rtnl_link_set_flags(change.get(), IFF_UP);
  if (int err = rtnl_link_change(sock.get(), lo.get(), change.get(), 0); err < 0)
    throw NlError("rtnl_link_change lo up", err);
}

}  // namespace berth::network
