// berth's RuntimeDefault seccomp profile: EPERM for every syscall but an
// allow-list of what ordinary programs use. What the kernel guards by a
// capability is allowed only when the process has it, so adding the
// capability (e.g. SYS_ADMIN for sethostname) keeps working under the profile.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "pod/seccomp.h"

namespace berth::pod {
namespace {

using nlohmann::json;

// Allowed for every process. Names of other architectures (socketcall,
// stat64, arm_fadvise64_64...) are in the list for 32-bit compat processes
// and dropped where libseccomp does not know them.
const std::vector<std::string>& Allowed() {
  static const std::vector<std::string> kNames = {
      "accept", "accept4", "access", "adjtimex", "alarm", "arch_prctl", "arm_fadvise64_64", "arm_sync_file_range",
      "bind", "breakpoint", "brk", "cacheflush", "cachestat", "capget", "capset", "chdir", "chmod", "chown",
      "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres", "clock_getres_time64", "clock_gettime",
      "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64", "close", "close_range", "connect",
      "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl",
      "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2",
      "execve", "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64",
      "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat",
      "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr",
      "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex",
      "futex_requeue", "futex_time64", "futex_wait", "futex_waitv", "futex_wake", "futimesat", "getcpu", "getcwd",
      "getdents", "getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups",
      "getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority",
      "getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit", "get_robust_list",
      "getrusage", "getsid", "getsockname", "getsockopt", "get_thread_area", "gettid", "gettimeofday", "getuid",
      "getuid32", "getxattr", "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch",
      "io_cancel", "ioctl", "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64", "ioprio_get",
      "ioprio_set", "io_setup", "io_submit", "ipc", "kill", "landlock_add_rule", "landlock_create_ruleset",
      "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link", "linkat", "listen", "listxattr",
      "llistxattr", "_llseek", "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise",
      "map_shadow_stack", "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod",
      "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr", "mq_notify",
      "mq_open", "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink",
      "mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall", "munmap",
      "name_to_handle_at", "nanosleep", "newfstatat", "_newselect", "open", "openat", "openat2", "pause",
      "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll",
      "ppoll", "ppoll_time64", "prctl", "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease",
      "pselect6", "pselect6_time64", "ptrace", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink",
      "readlinkat", "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "remap_file_pages",
      "removexattr", "rename", "renameat", "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction",
      "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
      "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr", "sched_getparam",
      "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler", "sched_rr_get_interval",
      "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr", "sched_setparam",
      "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl", "semget", "semop", "semtimedop",
      "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto", "setfsgid",
      "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setitimer",
      "setpgid", "setpriority", "setregid", "setregid32", "setresgid", "setresgid32", "setresuid", "setresuid32",
      "setreuid", "setreuid32", "setrlimit", "set_robust_list", "setsid", "setsockopt", "set_thread_area",
      "set_tid_address", "set_tls", "setuid", "setuid32", "setxattr", "shmat", "shmctl", "shmdt", "shmget",
      "shutdown", "sigaltstack", "signalfd", "signalfd4", "sigprocmask", "sigreturn", "socketcall", "socketpair",
      "splice", "stat", "stat64", "statfs", "statfs64", "statx", "symlink", "symlinkat", "sync",
      "sync_file_range", "sync_file_range2", "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create",
      "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64",
      "timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times",
      "tkill", "truncate", "truncate64", "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "utime",
      "utimensat", "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write",
      "writev"};
  return kNames;
}

struct CapGated {
  const char* cap;
  std::vector<std::string> names;
};

// Allowed only with the capability that the kernel checks for them anyway:
// without it the filter refuses them before any kernel code runs.
const std::vector<CapGated>& Gated() {
  static const std::vector<CapGated> kGated = {
      {"CAP_SYS_ADMIN",
       {"bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick", "lookup_dcookie",
        "mount", "mount_setattr", "move_mount", "open_tree", "perf_event_open", "quotactl", "quotactl_fd",
        "setdomainname", "sethostname", "setns", "syslog", "umount", "umount2", "unshare"}},
      {"CAP_BPF", {"bpf"}},
      {"CAP_PERFMON", {"perf_event_open"}},
      {"CAP_SYSLOG", {"syslog"}},
      {"CAP_SYS_BOOT", {"reboot"}},
      {"CAP_SYS_CHROOT", {"chroot"}},
      {"CAP_SYS_MODULE", {"delete_module", "finit_module", "init_module"}},
      {"CAP_SYS_PACCT", {"acct"}},
      {"CAP_SYS_PTRACE", {"kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev"}},
      {"CAP_SYS_RAWIO", {"ioperm", "iopl"}},
      {"CAP_SYS_TIME", {"clock_settime", "clock_settime64", "settimeofday", "stime"}},
      {"CAP_SYS_TTY_CONFIG", {"vhangup"}},
      {"CAP_SYS_NICE", {"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"}},
      {"CAP_DAC_READ_SEARCH", {"open_by_handle_at"}},
  };
  return kGated;
}

// The clone flags that make namespaces: only CAP_SYS_ADMIN may use them.
constexpr uint64_t kNamespaceFlags = 0x00020000 /*NEWNS*/ | 0x02000000 /*NEWCGROUP*/ | 0x04000000 /*NEWUTS*/ |
                                     0x08000000 /*NEWIPC*/ | 0x10000000 /*NEWUSER*/ | 0x20000000 /*NEWPID*/ |
                                     0x40000000 /*NEWNET*/ | 0x00000080 /*NEWTIME*/;
constexpr uint64_t kAfVsock = 40;
constexpr unsigned kEnosys = 38;
// personality(2) personas that change nothing security-relevant: PER_LINUX,
// PER_LINUX32, UNAME26 (and with PER_LINUX32), and the query 0xffffffff.
constexpr uint64_t kPersonas[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};

bool Has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

json Arg(int index, uint64_t value, const char* op) { return {{"index", index}, {"value", value}, {"op", op}}; }

// (arg & mask) == datum: OCI's value is the mask, valueTwo the datum.
json MaskedArg(int index, uint64_t mask, uint64_t datum) {
  return {{"index", index}, {"value", mask}, {"valueTwo", datum}, {"op", "SCMP_CMP_MASKED_EQ"}};
}

json Rule(std::vector<std::string> names, const char* action, json args = json::array()) {
  json r = {{"names", std::move(names)}, {"action", action}};
  if (!args.empty()) r["args"] = std::move(args);
  return r;
}

}  // namespace

std::vector<std::string> DefaultProfileSyscalls() {
  std::vector<std::string> out = Allowed();
  for (const auto& g : Gated()) out.insert(out.end(), g.names.begin(), g.names.end());
  for (const char* n : {"clone", "clone3", "personality", "socket"}) out.emplace_back(n);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

json DefaultSeccompProfile(const SeccompNode& node, const std::vector<std::string>& caps) {
  const auto known = [&](const std::string& n) { return node.known_syscalls.empty() || Has(node.known_syscalls, n); };
  std::vector<std::string> allowed;
  for (const auto& n : Allowed()) {
    if (known(n)) allowed.push_back(n);
  }
  for (const auto& g : Gated()) {
    if (!Has(caps, g.cap)) continue;
    for (const auto& n : g.names) {
      if (known(n) && !Has(allowed, n)) allowed.push_back(n);
    }
  }
  json syscalls = json::array({Rule(allowed, "SCMP_ACT_ALLOW")});
  const bool admin = Has(caps, "CAP_SYS_ADMIN");
  if (!admin) {
    // clone's flags are in arg 0 (arg 1 on s390, which this node's list
    // leaves out); clone3 passes them in memory the filter cannot read.
    syscalls.push_back(Rule({"clone"}, "SCMP_ACT_ALLOW", json::array({MaskedArg(0, kNamespaceFlags, 0)})));
    if (known("clone3")) {
      json r = Rule({"clone3"}, "SCMP_ACT_ERRNO");
      r["errnoRet"] = kEnosys;
      syscalls.push_back(std::move(r));
    }
  }
  for (const uint64_t p : kPersonas) {
    syscalls.push_back(Rule({"personality"}, "SCMP_ACT_ALLOW", json::array({Arg(0, p, "SCMP_CMP_EQ")})));
  }
  syscalls.push_back(Rule({"socket"}, "SCMP_ACT_ALLOW", json::array({Arg(0, kAfVsock, "SCMP_CMP_NE")})));
  json profile = {{"defaultAction", "SCMP_ACT_ERRNO"}, {"defaultErrnoRet", 1}, {"syscalls", std::move(syscalls)}};
  if (!node.architectures.empty()) profile["architectures"] = node.architectures;
  return profile;
}

}  // namespace berth::pod
