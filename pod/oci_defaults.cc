#include "pod/oci_defaults.h"

namespace berth::pod::oci {

nlohmann::json Mount(const std::string& dest, const std::string& type, const std::string& source,
                     std::vector<std::string> options) {
  return {{"destination", dest}, {"type", type}, {"source", source}, {"options", std::move(options)}};
}

nlohmann::json BaseMounts(const std::string& shm_source, bool writable_sysfs) {
  return nlohmann::json::array({
      Mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}),
      Mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      Mount("/dev/pts", "devpts", "devpts", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}),
      Mount("/dev/shm", "bind", shm_source, {"rbind", "nosuid", "noexec", "nodev"}),
      Mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
      Mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", writable_sysfs ? "rw" : "ro"}),
  });
}

std::vector<std::string> MaskedPaths() {
  // /sys/devices/virtual/powercap: RAPL energy counters leak what other
  // workloads compute (CVE-2020-8694); runc skips paths that do not exist.
  return {"/proc/acpi",        "/proc/asound",     "/proc/kcore",        "/proc/keys",
          "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
          "/proc/scsi",        "/sys/firmware",    "/sys/devices/virtual/powercap"};
}

std::vector<std::string> ReadonlyPaths() {
  return {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
}

}  // namespace berth::pod::oci
