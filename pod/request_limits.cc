#include "pod/request_limits.h"


#include <algorithm>
#include <cctype>
#include <fstream>

#include "pod/request_checks.h"
#include "storage/base/error.h"

namespace berth::pod {
namespace {

using Map = google::protobuf::Map<std::string, std::string>;

void CheckName(const std::string& name, const std::string& field) {
  if (name.size() > RequestLimits::kName)
    throw InvalidArgument(field + " " + Quoted(name) + " is longer than " + std::to_string(RequestLimits::kName) + " bytes");
}

// Labels and annotations together: entries, key sizes and total bytes.
void CheckMaps(const Map& labels, const Map& annotations, const std::string& field) {
  size_t bytes = 0;
  for (const auto* m : {&labels, &annotations}) {
    const std::string which = field + (m == &labels ? ".labels" : ".annotations");
    if (static_cast<size_t>(m->size()) > RequestLimits::kMapEntries)
      throw InvalidArgument(which + " has " + std::to_string(m->size()) + " entries (at most " +
                            std::to_string(RequestLimits::kMapEntries) + ")");
    for (const auto& [k, v] : *m) {
      if (k.empty()) throw InvalidArgument(which + " has an empty key");
      if (k.size() > RequestLimits::kKey)
        throw InvalidArgument(which + " key " + Quoted(k) + " is longer than " + std::to_string(RequestLimits::kKey) + " bytes");
      bytes += k.size() + v.size();
    }
  }
  if (bytes > RequestLimits::kMapBytes)
    throw InvalidArgument(field + ": labels and annotations hold " + std::to_string(bytes) + " bytes (at most " +
                          std::to_string(RequestLimits::kMapBytes) + ")");
}

void CheckCount(size_t n, const std::string& field) {
  if (n > RequestLimits::kListEntries)
    throw InvalidArgument(field + " has " + std::to_string(n) + " entries (at most " +
                          std::to_string(RequestLimits::kListEntries) + ")");
}

// Adds one execve string to `total`, refusing one over MAX_ARG_STRLEN.
void AddArg(const std::string& s, const std::string& field, size_t* total) {
  if (s.size() >= RequestLimits::kArgBytes)
    throw InvalidArgument(field + " entry " + Quoted(s) + " is " + std::to_string(s.size()) +
                          " bytes (the kernel takes at most " + std::to_string(RequestLimits::kArgBytes - 1) + ")");
  *total += s.size() + 1;
}

// A decimal number without sign or leading '+', or nullopt-like -1.
long ParseId(const std::string& s) {
  if (s.empty() || s.size() > 6) return -1;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return -1;
  return std::stol(s);
}

}  // namespace

void CheckSandboxSizes(const runtime::v1::PodSandboxConfig& c, const std::string& field) {
  CheckName(c.metadata().name(), field + ".metadata.name");
  CheckName(c.metadata().namespace_(), field + ".metadata.namespace");
  CheckName(c.metadata().uid(), field + ".metadata.uid");
  CheckMaps(c.labels(), c.annotations(), field);
  CheckCount(c.port_mappings_size(), field + ".port_mappings");
  CheckCount(c.dns_config().servers_size() + c.dns_config().searches_size() + c.dns_config().options_size(),
             field + ".dns_config");
  CheckCount(c.linux().sysctls_size(), field + ".linux.sysctls");
}

void CheckContainerSizes(const runtime::v1::ContainerConfig& c, const std::string& field) {
  CheckName(c.metadata().name(), field + ".metadata.name");
  CheckMaps(c.labels(), c.annotations(), field);
  size_t total = 0;
  for (const auto& a : c.command()) AddArg(a, field + ".command", &total);
  for (const auto& a : c.args()) AddArg(a, field + ".args", &total);
  for (const auto& e : c.envs()) AddArg(e.key() + "=" + e.value(), field + ".envs", &total);
  if (total > RequestLimits::kArgsTotal)
    throw InvalidArgument(field + ": command, args and envs hold " + std::to_string(total) + " bytes (at most " +
                          std::to_string(RequestLimits::kArgsTotal) + ")");
  CheckCount(c.mounts_size(), field + ".mounts");
  CheckCount(c.devices_size(), field + ".devices");
  CheckCount(c.envs_size(), field + ".envs");
}

void CheckCommand(const google::protobuf::RepeatedPtrField<std::string>& cmd, const std::string& field) {
  CheckCount(cmd.size(), field);
  size_t total = 0;
  for (const auto& a : cmd) AddArg(a, field, &total);
  if (total > RequestLimits::kArgsTotal)
    throw InvalidArgument(field + " holds " + std::to_string(total) + " bytes (at most " +
                          std::to_string(RequestLimits::kArgsTotal) + ")");
}

void CheckPortMappings(const runtime::v1::PodSandboxConfig& c, const std::string& field) {
  for (int i = 0; i < c.port_mappings_size(); ++i) {
    const auto& p = c.port_mappings(i);
    const std::string f = field + ".port_mappings[" + std::to_string(i) + "]";
    if (p.host_port() < 0 || p.host_port() > 65535)
      throw InvalidArgument(f + ".host_port " + std::to_string(p.host_port()) + " is outside 0-65535");
    if (p.container_port() < 0 || p.container_port() > 65535)
      throw InvalidArgument(f + ".container_port " + std::to_string(p.container_port()) + " is outside 0-65535");
    if (p.host_port() > 0 && p.container_port() == 0)
      throw InvalidArgument(f + ": host_port " + std::to_string(p.host_port()) + " is published to container_port 0");
    if (!runtime::v1::Protocol_IsValid(p.protocol()))
      throw InvalidArgument(f + ".protocol " + std::to_string(p.protocol()) + " is not TCP, UDP or SCTP");
    if (!p.host_ip().empty() && !IsIp(p.host_ip()))
      throw InvalidArgument(f + ".host_ip " + Quoted(p.host_ip()) + " is not an IP address");
  }
}

std::vector<unsigned> ParseCpuList(const std::string& list, unsigned limit, const std::string& field) {
  std::vector<unsigned> ids;
  const auto bad = [&](const std::string& why) { return InvalidArgument(field + " " + Quoted(list) + ": " + why); };
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = std::min(list.find(',', start), list.size());
    const std::string item = list.substr(start, comma - start);
    const size_t dash = item.find('-');
    const long lo = ParseId(item.substr(0, dash));
    const long hi = dash == std::string::npos ? lo : ParseId(item.substr(dash + 1));
    if (lo < 0 || hi < 0) throw bad("not a list of numbers and ranges (like \"0-3,8\")");
    if (hi < lo) throw bad("range " + item + " runs backwards");
    if (limit != 0 && static_cast<unsigned long>(hi) >= limit)
      throw bad(std::to_string(hi) + " is not on this node (it has " + std::to_string(limit) + ", 0-" +
                std::to_string(limit - 1) + ")");
    for (long i = lo; i <= hi && ids.size() < 65536; ++i) ids.push_back(static_cast<unsigned>(i));
    start = comma + 1;
  }
  return ids;
}

void CheckResources(const runtime::v1::LinuxContainerResources& r, unsigned cpus, unsigned mems,
                    const std::string& field) {
  const int64_t mem = r.memory_limit_in_bytes();
  if (mem > 0 && mem < RequestLimits::kMinMemory)
    throw InvalidArgument(field + ".memory_limit_in_bytes " + std::to_string(mem) + " is below the minimum of " +
                          std::to_string(RequestLimits::kMinMemory) + " (6 MiB): no process starts in less");
  if (!r.cpuset_cpus().empty()) ParseCpuList(r.cpuset_cpus(), cpus, field + ".cpuset_cpus");
  if (!r.cpuset_mems().empty()) ParseCpuList(r.cpuset_mems(), mems, field + ".cpuset_mems");
}

unsigned NodeCount(const std::string& sysfs_list) {
  std::ifstream in(sysfs_list);
  std::string list;
  if (!std::getline(in, list) || list.empty()) return 0;
  try {
    unsigned top = 0;
    for (unsigned id : ParseCpuList(list, 0, sysfs_list)) top = std::max(top, id + 1);
    return top;
  } catch (const Error&) {
    return 0;
  }
}

}  // namespace berth::pod
