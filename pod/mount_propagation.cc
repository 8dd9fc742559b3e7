#include "pod/mount_propagation.h"

#include <filesystem>
#include <sstream>
#include <vector>

#include "storage/base/error.h"
#include "storage/fs.h"

namespace berth::pod {
namespace {

namespace fs = std::filesystem;

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string Unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      const std::string oct = s.substr(i + 1, 3);
      if (oct.size() == 3 && oct.find_first_not_of("01234567") == std::string::npos) {
        out += static_cast<char>(std::stoi(oct, nullptr, 8));
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

bool Holds(const std::string& mount_point, const std::string& path) {
  if (mount_point == "/") return true;
  return path == mount_point || (path.size() > mount_point.size() && path.compare(0, mount_point.size(), mount_point) == 0 &&
                                 path[mount_point.size()] == '/');
}

// The real path of `p`, or of its nearest existing parent.
std::string Resolved(const std::string& p) {
  std::error_code ec;
  fs::path cur(p);
  while (!cur.empty()) {
    const fs::path real = fs::canonical(cur, ec);
    if (!ec) return real.string();
    if (cur == cur.root_path()) break;
    cur = cur.parent_path();
  }
  return "/";
}

const char* Needs(runtime::v1::MountPropagation p) {
  return p == runtime::v1::PROPAGATION_BIDIRECTIONAL ? "a shared mount" : "a shared or slave mount";
}

}  // namespace

std::optional<SourceMount> MountHolding(const std::string& mountinfo, const std::string& path) {
  std::optional<SourceMount> best;
  std::istringstream in(mountinfo);
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::vector<std::string> f;
    for (std::string w; fields >> w;) f.push_back(w);
    if (f.size() < 7) continue;
    SourceMount m;
    m.mount_point = Unescape(f[4]);
    for (size_t i = 6; i < f.size() && f[i] != "-"; ++i) {
      if (f[i].rfind("shared:", 0) == 0) m.shared = true;
      if (f[i].rfind("master:", 0) == 0) m.slave = true;
    }
    if (!Holds(m.mount_point, path)) continue;
    if (!best || m.mount_point.size() >= best->mount_point.size()) best = std::move(m);
  }
  return best;
}

void CheckMountPropagation(const runtime::v1::ContainerConfig& config, const std::string& field) {
  std::optional<std::string> mountinfo;
  for (const auto& m : config.mounts()) {
    const auto p = m.propagation();
    if (p != runtime::v1::PROPAGATION_BIDIRECTIONAL && p != runtime::v1::PROPAGATION_HOST_TO_CONTAINER) continue;
    if (m.host_path().empty() || m.host_path()[0] != '/') continue;  // refused with the other mount checks
    if (!mountinfo) mountinfo = storage::ReadFile("/proc/self/mountinfo");
    const std::string real = Resolved(m.host_path());
    const auto src = MountHolding(*mountinfo, real);
    const bool ok = src && (src->shared || (p == runtime::v1::PROPAGATION_HOST_TO_CONTAINER && src->slave));
    if (ok) continue;
    const std::string where = src ? Quoted(src->mount_point) : std::string("no mount");
    const std::string kind = !src ? "" : src->shared ? " (shared)" : src->slave ? " (slave)" : " (private)";
    throw FailedPrecondition(field + ".mounts: host_path " + Quoted(m.host_path()) + " with propagation " +
                             runtime::v1::MountPropagation_Name(p) + " needs " + Needs(p) + ", but it is on " +
                             where + kind + "; make it shared (mount --make-rshared) or use another propagation");
  }
}

}  // namespace berth::pod
