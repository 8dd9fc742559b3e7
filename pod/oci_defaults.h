#pragma once
// The parts of an OCI runtime spec every container of a pod shares, the
// pause container included: the default mounts and the /proc and /sys paths
// hidden from (or made read-only in) unprivileged containers.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace berth::pod::oci {

inline constexpr const char* kDefaultPathEnv = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// One entry of the spec's "mounts".
nlohmann::json Mount(const std::string& dest, const std::string& type, const std::string& source,
                     std::vector<std::string> options);

// proc, a tmpfs /dev, devpts, /dev/shm (an rbind of `shm_source`: the pod's
// tmpfs, or the host's /dev/shm with host IPC), mqueue and sysfs (read-only
// unless `writable_sysfs`, for privileged containers).
nlohmann::json BaseMounts(const std::string& shm_source, bool writable_sysfs);

// What runc masks (bind of /dev/null or an empty read-only tmpfs) and mounts
// read-only in unprivileged containers, as the common runtimes do.
std::vector<std::string> MaskedPaths();
std::vector<std::string> ReadonlyPaths();

}  // namespace berth::pod::oci
