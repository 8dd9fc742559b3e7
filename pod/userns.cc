#include "pod/userns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "storage/base/error.h"
#include "storage/base/unique_fd.h"

namespace berth::pod {
namespace {

using nlohmann::json;

std::vector<IdMapping> FromCri(const google::protobuf::RepeatedPtrField<runtime::v1::IDMapping>& in,
                               const std::string& field) {
  std::vector<IdMapping> out;
  for (const auto& m : in) {
    if (m.length() == 0) throw InvalidArgument(field + ": a mapping has length 0");
    if (uint64_t{m.container_id()} + m.length() > (uint64_t{1} << 32) ||
        uint64_t{m.host_id()} + m.length() > (uint64_t{1} << 32)) {
      throw InvalidArgument(field + ": mapping " + std::to_string(m.container_id()) + " -> " +
                            std::to_string(m.host_id()) + " (" + std::to_string(m.length()) +
                            ") runs past the 32-bit id range");
    }
    out.push_back({m.container_id(), m.host_id(), m.length()});
  }
  if (out.empty()) throw InvalidArgument(field + ": mode POD needs at least one mapping");
  if (out.size() > 340) throw InvalidArgument(field + ": more than 340 mappings (the kernel's limit)");
  return out;
}

// Two ranges [a, a+n) overlap on either side.
void CheckDisjoint(const std::vector<IdMapping>& m, const std::string& field) {
  const auto overlap = [](uint64_t a, uint64_t an, uint64_t b, uint64_t bn) { return a < b + bn && b < a + an; };
  for (size_t i = 0; i < m.size(); ++i) {
    for (size_t j = i + 1; j < m.size(); ++j) {
      if (overlap(m[i].container_id, m[i].length, m[j].container_id, m[j].length) ||
          overlap(m[i].host_id, m[i].length, m[j].host_id, m[j].length)) {
        throw InvalidArgument(field + ": mappings " + std::to_string(i) + " and " + std::to_string(j) + " overlap");
      }
    }
  }
  const bool root = std::any_of(m.begin(), m.end(), [](const IdMapping& x) { return x.container_id == 0; });
  if (!root) throw InvalidArgument(field + ": no mapping for container id 0 (the pod's root)");
}

uint32_t HostOfRoot(const std::vector<IdMapping>& m) {
  for (const auto& x : m) {
    if (x.container_id == 0) return x.host_id;
  }
  return 0;
}

void WriteProcFile(const std::string& path, const std::string& text) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd || ::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    throw SysError("write " + path);
  }
}

}  // namespace

uint32_t UsernsMappings::HostRootUid() const { return HostOfRoot(uids); }
uint32_t UsernsMappings::HostRootGid() const { return HostOfRoot(gids); }

std::optional<UsernsMappings> PodUserns(const runtime::v1::NamespaceOption& nso, const std::string& field) {
  if (!nso.has_userns_options()) return std::nullopt;
  const auto& u = nso.userns_options();
  if (u.mode() == runtime::v1::NODE) return std::nullopt;
  if (u.mode() != runtime::v1::POD) {
    throw InvalidArgument(field + ".mode " + runtime::v1::NamespaceMode_Name(u.mode()) +
                          " is not valid for a user namespace (POD or NODE)");
  }
  UsernsMappings m{FromCri(u.uids(), field + ".uids"), FromCri(u.gids(), field + ".gids")};
  CheckDisjoint(m.uids, field + ".uids");
  CheckDisjoint(m.gids, field + ".gids");
  return m;
}

void CheckContainerUserns(const runtime::v1::NamespaceOption& nso, const std::optional<UsernsMappings>& pod,
                          const std::string& field) {
  if (!nso.has_userns_options()) return;  // the pod's, whatever it is
  const auto& u = nso.userns_options();
  if (u.mode() == runtime::v1::NODE) {
    if (pod) throw InvalidArgument(field + ": mode NODE, but the pod has a user namespace of its own");
    return;
  }
  if (u.mode() != runtime::v1::POD) {
    throw InvalidArgument(field + ".mode " + runtime::v1::NamespaceMode_Name(u.mode()) +
                          " is not valid for a container's user namespace (POD or NODE)");
  }
  if (!pod) throw InvalidArgument(field + ": mode POD, but the pod has no user namespace");
  if (u.uids().empty() && u.gids().empty()) return;
  const UsernsMappings asked{FromCri(u.uids(), field + ".uids"), FromCri(u.gids(), field + ".gids")};
  if (!(asked == *pod)) throw InvalidArgument(field + ": the mappings differ from the pod's");
}

std::string IdMapText(const std::vector<IdMapping>& m) {
  std::string out;
  for (const auto& x : m) {
    out += std::to_string(x.container_id) + " " + std::to_string(x.host_id) + " " + std::to_string(x.length) + "\n";
  }
  return out;
}

json OciIdMappings(const std::vector<IdMapping>& m) {
  json a = json::array();
  for (const auto& x : m) a.push_back({{"containerID", x.container_id}, {"hostID", x.host_id}, {"size", x.length}});
  return a;
}

json UsernsToJson(const UsernsMappings& m) { return {{"uids", OciIdMappings(m.uids)}, {"gids", OciIdMappings(m.gids)}}; }

UsernsMappings UsernsFromJson(const json& j) {
  const auto list = [](const json& a) {
    std::vector<IdMapping> out;
    for (const auto& x : a) out.push_back({x.at("containerID"), x.at("hostID"), x.at("size")});
    return out;
  };
  return {list(j.at("uids")), list(j.at("gids"))};
}

void CreateUsernsWithNetns(const UsernsMappings& m, const std::string& userns_pin,
                           const std::function<void(const std::string& netns_file)>& pin_netns) {
  int ready[2], done[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) throw SysError("pipe");
  UniqueFd ready_r(ready[0]), ready_w(ready[1]);
  if (::pipe2(done, O_CLOEXEC) != 0) throw SysError("pipe");
  UniqueFd done_r(done[0]), done_w(done[1]);
  const pid_t pid = ::fork();
  if (pid < 0) throw SysError("fork (user namespace helper)");
  if (pid == 0) {
    // Only async-signal-safe calls: berthd has threads. CLONE_NEWUSER with
    // CLONE_NEWNET in one call makes the netns owned by the new user ns.
    ::close(ready[0]);
    ::close(done[1]);  // else the child's own copy keeps the pipe from ending
    char c = ::unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0 ? 'y' : 'n';
    if (::write(ready[1], &c, 1) != 1) ::_exit(1);
    const ssize_t n = ::read(done[0], &c, 1);  // returns at EOF too: the parent is done or gone
    ::_exit(n < 0 ? 1 : 0);
  }
  ready_w.reset();
  done_r.reset();
  struct Reap {
    pid_t pid;
    UniqueFd* done;
    ~Reap() {
      // A byte (not only EOF: a child forked meanwhile by another thread
      // may hold a copy of the write end) lets the child go.
      const char go = 'g';
      if (::write(done->get(), &go, 1) < 0) {
      }
      done->reset();
      int status = 0;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
    }
  } reap{pid, &done_w};
  char c = 0;
  if (::read(ready_r.get(), &c, 1) != 1 || c != 'y') {
    throw SysError("unshare(CLONE_NEWUSER | CLONE_NEWNET) in the user namespace helper", c ? EPERM : EIO);
  }
  const std::string proc = "/proc/" + std::to_string(pid);
  // As root with CAP_SETUID/CAP_SETGID in the parent namespace, berthd may
  // write any mapping (no setgroups "deny" needed).
  WriteProcFile(proc + "/uid_map", IdMapText(m.uids));
  WriteProcFile(proc + "/gid_map", IdMapText(m.gids));
  {
    UniqueFd f(::open(userns_pin.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
    if (!f) throw SysError("create user namespace pin " + userns_pin);
  }
  if (::mount((proc + "/ns/user").c_str(), userns_pin.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    const int err = errno;
    ::unlink(userns_pin.c_str());
    throw SysError("bind mount of the pod's user namespace onto " + userns_pin, err);
  }
  try {
    pin_netns(proc + "/ns/net");
  } catch (...) {
    ::umount2(userns_pin.c_str(), MNT_DETACH);
    ::unlink(userns_pin.c_str());
    throw;
  }
}

}  // namespace berth::pod
