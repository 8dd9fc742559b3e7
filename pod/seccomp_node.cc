// What the node's seccomp can do, and reading Localhost profiles: the parts
// of pod/seccomp.h that touch the kernel, libseccomp and the file system.
#include <fcntl.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>

#include "pod/seccomp.h"
#include "storage/base/error.h"
#include "storage/base/unique_fd.h"

namespace berth::pod {
namespace {

namespace fs = std::filesystem;

struct Arch {
  uint32_t token;
  const char* name;
};

// The native architecture first, then those its kernel also runs (32-bit
// compat), as the filters must cover them: a filter that does not know a
// compat arch lets a 32-bit binary around it.
std::vector<Arch> NodeArches() {
  const uint32_t native = seccomp_arch_native();
  static const std::map<uint32_t, std::vector<Arch>> kFamilies = {
      {SCMP_ARCH_X86_64, {{SCMP_ARCH_X86_64, "SCMP_ARCH_X86_64"}, {SCMP_ARCH_X86, "SCMP_ARCH_X86"},
                          {SCMP_ARCH_X32, "SCMP_ARCH_X32"}}},
      {SCMP_ARCH_AARCH64, {{SCMP_ARCH_AARCH64, "SCMP_ARCH_AARCH64"}, {SCMP_ARCH_ARM, "SCMP_ARCH_ARM"}}},
      {SCMP_ARCH_PPC64LE, {{SCMP_ARCH_PPC64LE, "SCMP_ARCH_PPC64LE"}}},
      {SCMP_ARCH_S390X, {{SCMP_ARCH_S390X, "SCMP_ARCH_S390X"}, {SCMP_ARCH_S390, "SCMP_ARCH_S390"}}},
      {SCMP_ARCH_RISCV64, {{SCMP_ARCH_RISCV64, "SCMP_ARCH_RISCV64"}}},
  };
  const auto it = kFamilies.find(native);
  return it == kFamilies.end() ? std::vector<Arch>{} : it->second;
}

}  // namespace

SeccompNode DetectSeccompNode(const std::vector<std::string>& names) {
  SeccompNode node;
  node.supported = ::prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0;
  struct utsname u {};
  if (::uname(&u) == 0) std::sscanf(u.release, "%d.%d", &node.kernel_major, &node.kernel_minor);
  const auto arches = NodeArches();
  for (const auto& a : arches) node.architectures.emplace_back(a.name);
  if (arches.empty()) return node;  // an architecture berth does not list: every name kept
  for (const auto& n : names) {
    for (const auto& a : arches) {
      if (seccomp_syscall_resolve_name_arch(a.token, n.c_str()) >= 0) {
        node.known_syscalls.push_back(n);
        break;
      }
    }
  }
  return node;
}

std::string ReadSeccompProfile(const std::string& path, const std::string& root) {
  const std::string what = "seccomp profile " + Quoted(path);
  std::error_code ec;
  const fs::path real = fs::canonical(path, ec);
  if (ec) throw InvalidArgument(what + " cannot be used: " + ec.message());
  if (!root.empty()) {
    const fs::path real_root = fs::weakly_canonical(root, ec);
    const auto rel = real.lexically_relative(real_root);
    if (ec || rel.empty() || *rel.begin() == "..") {
      throw InvalidArgument(what + " resolves to " + Quoted(real.string()) + ", outside the seccomp profile root " +
                            Quoted(root));
    }
  }
  UniqueFd fd(::open(real.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (!fd) throw InvalidArgument(what + " cannot be opened: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) throw InvalidArgument(what + " is not a regular file");
  constexpr off_t kMax = 1 << 20;
  if (st.st_size > kMax) throw InvalidArgument(what + " is larger than 1 MiB");
  std::string text(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(fd.get(), text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw InvalidArgument(what + " cannot be read: " + std::strerror(n < 0 ? errno : EIO));
    got += static_cast<size_t>(n);
  }
  return text;
}

}  // namespace berth::pod
