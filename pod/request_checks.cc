#include "pod/request_checks.h"

#include <arpa/inet.h>

#include <algorithm>
#include <filesystem>

#include "storage/base/error.h"
#include "storage/base/utf8.h"

namespace berth::pod {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxPath = 4096;
constexpr size_t kMaxName = 255;  // NAME_MAX

bool HasControl(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

bool IsLabelChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; }

// Dot-separated labels of [A-Za-z0-9_-]; a trailing dot is allowed (a
// fully qualified search domain).
bool IsDomain(std::string s) {
  if (s.empty() || s.size() > 253) return false;
  if (s.back() == '.') s.pop_back();
  size_t start = 0;
  while (start <= s.size()) {
    const size_t dot = std::min(s.find('.', start), s.size());
    const std::string_view label(s.data() + start, dot - start);
    if (label.empty() || label.size() > 63 || !std::all_of(label.begin(), label.end(), IsLabelChar)) return false;
    start = dot + 1;
  }
  return true;
}

}  // namespace

bool IsIp(const std::string& s) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, s.c_str(), buf) == 1 || ::inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

void CheckHostname(const std::string& hostname, const std::string& field) {
  if (hostname.empty()) return;
  const auto bad = [&](const std::string& why) {
    throw InvalidArgument(field + " " + Quoted(hostname) + " is not a valid hostname: " + why);
  };
  if (hostname.size() > 64) bad("longer than 64 bytes");
  size_t start = 0;
  while (start <= hostname.size()) {
    const size_t dot = std::min(hostname.find('.', start), hostname.size());
    const std::string_view label(hostname.data() + start, dot - start);
    if (label.empty()) bad("an empty label");
    if (!std::all_of(label.begin(), label.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
        })) {
      bad("only letters, digits, '-' and '.' are allowed");
    }
    if (label.front() == '-' || label.back() == '-') bad("a label starts or ends with '-'");
    start = dot + 1;
  }
}

void CheckDnsConfig(const runtime::v1::DNSConfig& dns, const std::string& field) {
  for (const auto& s : dns.servers()) {
    if (!IsIp(s)) throw InvalidArgument(field + ".servers: " + Quoted(s) + " is not an IP address");
  }
  for (const auto& s : dns.searches()) {
    if (!IsDomain(s)) throw InvalidArgument(field + ".searches: " + Quoted(s) + " is not a domain name");
  }
  for (const auto& o : dns.options()) {
    const bool ok = !o.empty() && o.size() <= 256 && std::none_of(o.begin(), o.end(), [](char c) {
      return std::isspace(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
    });
    if (!ok) throw InvalidArgument(field + ".options: " + Quoted(o) + " is not a single resolv.conf option");
  }
}

void CheckPathString(const std::string& path, const std::string& field) {
  if (path.find('\0') != std::string::npos) throw InvalidArgument(field + " " + Quoted(path) + " holds a NUL byte");
  if (path.size() > kMaxPath) throw InvalidArgument(field + " " + Quoted(path) + " is longer than 4096 bytes");
  size_t start = 0;
  while (start < path.size()) {
    const size_t slash = std::min(path.find('/', start), path.size());
    if (slash - start > kMaxName) {
      throw InvalidArgument(field + " " + Quoted(path) + " has a component longer than 255 bytes");
    }
    start = slash + 1;
  }
}

void CheckLogDirectory(const std::string& dir, const std::string& field) {
  if (dir.empty()) return;
  CheckPathString(dir, field);
  if (HasControl(dir)) throw InvalidArgument(field + " " + Quoted(dir) + " holds control characters");
  if (dir[0] != '/') throw InvalidArgument(field + " " + Quoted(dir) + " is not an absolute path");
  std::string clean = fs::path(dir).lexically_normal().string();
  if (clean.size() > 1 && clean.back() == '/') clean.pop_back();
  std::string given = dir;
  if (given.size() > 1 && given.back() == '/') given.pop_back();
  if (clean != given) {
    throw InvalidArgument(field + " " + Quoted(dir) + " is not a clean path (it would be " + Quoted(clean) + ")");
  }
}

std::string ContainerLogPath(const std::string& log_directory, const std::string& log_path, const std::string& field) {
  if (log_path.empty()) return "";
  CheckPathString(log_path, field);
  if (HasControl(log_path)) throw InvalidArgument(field + " " + Quoted(log_path) + " holds control characters");
  if (log_path[0] == '/') {
    throw InvalidArgument(field + " " + Quoted(log_path) +
                          " is absolute: it must be relative to the sandbox's log_directory");
  }
  if (log_directory.empty()) {
    throw InvalidArgument(field + " " + Quoted(log_path) + " is given but the sandbox has no log_directory");
  }
  const fs::path rel(log_path);
  for (const auto& part : rel) {
    if (part == "..") throw InvalidArgument(field + " " + Quoted(log_path) + " leaves the log directory ('..')");
  }
  const fs::path clean = rel.lexically_normal();
  if (clean.empty() || clean == "." || !clean.has_filename()) {
    throw InvalidArgument(field + " " + Quoted(log_path) + " names no file");
  }
  return (fs::path(log_directory) / clean).string();
}

void CheckEnv(const runtime::v1::ContainerConfig& c, const std::string& field) {
  for (const auto& kv : c.envs()) {
    if (kv.key().empty()) throw InvalidArgument(field + ": an environment variable has an empty name");
    if (kv.key().find_first_of(std::string("=\0", 2)) != std::string::npos) {
      throw InvalidArgument(field + ": environment variable name " + Quoted(kv.key()) + " holds '=' or NUL");
    }
    if (kv.value().find('\0') != std::string::npos) {
      throw InvalidArgument(field + ": the value of environment variable " + Quoted(kv.key()) + " holds NUL");
    }
    // The OCI spec is JSON, which holds only UTF-8 (the CRI's value is bytes).
    if (!IsUtf8(kv.key()) || !IsUtf8(kv.value())) {
      throw InvalidArgument(field + ": environment variable " + Quoted(kv.key()) + " is not valid UTF-8");
    }
  }
}

}  // namespace berth::pod
