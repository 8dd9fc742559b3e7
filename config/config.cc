#include "config/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <cstring>

#include "config/build_info.h"
#include "storage/base/utf8.h"

namespace berth::config {
namespace fs = std::filesystem;

namespace {

// Reads YAML nodes into typed values; every failure names origin:line:col and
// the dotted key path, which is what an operator needs to fix the file.
class Reader {
 public:
  explicit Reader(std::string origin) : origin_(std::move(origin)) {}

  [[noreturn]] void Fail(const YAML::Node& at, const std::string& key, const std::string& what) const {
    std::ostringstream m;
    m << origin_;
    if (at.IsDefined() && at.Mark().line >= 0) m << ":" << at.Mark().line + 1 << ":" << at.Mark().column + 1;
    m << ": key '" << key << "': " << what;
    throw ConfigError(m.str());
  }

  // Iterates a mapping, rejecting keys not in `allowed` (empty: any key).
  void ForEach(const YAML::Node& map, const std::string& path, const std::set<std::string>& allowed,
               const std::function<void(const std::string&, const YAML::Node&, const std::string&)>& fn) const {
    if (!map.IsMap()) Fail(map, path.empty() ? "<top level>" : path, "expected a mapping");
    for (const auto& kv : map) {
      if (!kv.first.IsScalar()) Fail(kv.first, path, "keys must be plain strings");
      const std::string name = kv.first.Scalar();
      CheckText(kv.first, name, path.empty() ? "<top level>" : path);
      const std::string full = path.empty() ? name : path + "." + name;
      if (!allowed.empty() && !allowed.contains(name)) Fail(kv.first, full, "unknown key");
      fn(name, kv.second, full);
    }
  }

  std::string Str(const YAML::Node& n, const std::string& key) const {
    if (n.IsNull()) return "";
    if (!n.IsScalar()) Fail(n, key, "expected a string");
    CheckText(n, n.Scalar(), key);
    return n.Scalar();
  }

  // A value or key with control bytes (a NUL or CR in a path) or that is not
  // UTF-8 would not survive the dump (berthd config) and is never meant.
  void CheckText(const YAML::Node& at, const std::string& s, const std::string& key) const {
    if (!IsUtf8(s)) Fail(at, key, "not valid UTF-8");
    for (unsigned char c : s) {
      if ((c < 0x20 && c != '\t') || c == 0x7f) Fail(at, key, "holds a control character");
    }
  }

  int64_t Int(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) Fail(n, key, "expected a number");
    try {
      size_t used = 0;
      int64_t v = std::stoll(n.Scalar(), &used, 10);
      if (used == n.Scalar().size()) return v;
    } catch (const std::exception&) {
    }
    Fail(n, key, "expected a number, got '" + n.Scalar() + "'");
  }

  bool Bool(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) Fail(n, key, "expected true or false");
    const std::string& s = n.Scalar();
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
    Fail(n, key, "expected true or false, got '" + s + "'");
  }

  std::vector<std::string> Strs(const YAML::Node& n, const std::string& key) const {
    if (n.IsNull()) return {};
    if (!n.IsSequence()) Fail(n, key, "expected a list of strings");
    std::vector<std::string> out;
    for (size_t i = 0; i < n.size(); ++i) out.push_back(Str(n[i], key + "[" + std::to_string(i) + "]"));
    return out;
  }

 private:
  std::string origin_;
};

RuntimeType ParseRuntimeType(const Reader& r, const YAML::Node& v, const std::string& key) {
  const std::string t = r.Str(v, key);
  if (t == "process") return RuntimeType::kProcess;
  if (t == "sandbox") return RuntimeType::kSandbox;
  r.Fail(v, key, "expected process (runc, crun) or sandbox (runsc), got '" + t + "'");
}

// A timeout in whole seconds, 1 s to an hour.
std::chrono::seconds Seconds(const Reader& r, const YAML::Node& v, const std::string& key) {
  const int64_t s = r.Int(v, key);
  if (s < 1 || s > 3600) r.Fail(v, key, "must be between 1 and 3600 (seconds)");
  return std::chrono::seconds(s);
}

void ApplyRuntime(const Reader& r, Config& cfg, const YAML::Node& n, const std::string& path) {
  r.ForEach(n, path, {"default_handler", "handlers", "cgroup_manager", "conmon", "timeout"},
            [&](const std::string& k, const YAML::Node& v, const std::string& key) {
              if (k == "timeout") {
                cfg.runtime.timeout = Seconds(r, v, key);
              } else if (k == "default_handler") {
                cfg.runtime.default_handler = r.Str(v, key);
              } else if (k == "conmon") {
                cfg.runtime.conmon = r.Str(v, key);
              } else if (k == "cgroup_manager") {
                std::string m = r.Str(v, key);
                if (m == "cgroupfs") cfg.runtime.cgroup_manager = CgroupManager::kCgroupfs;
                else if (m == "systemd") cfg.runtime.cgroup_manager = CgroupManager::kSystemd;
                else r.Fail(v, key, "expected cgroupfs or systemd, got '" + m + "'");
              } else {  // handlers: name -> {path, root}; a file adds or replaces handlers
                r.ForEach(v, key, {}, [&](const std::string& name, const YAML::Node& h, const std::string& hkey) {
                  RuntimeHandler& rh = cfg.runtime.handlers[name];
                  r.ForEach(h, hkey, {"path", "root", "user_namespaces", "type", "args", "max_capability"},
                            [&](const std::string& f, const YAML::Node& fv, const std::string& fkey) {
                              if (f == "user_namespaces") rh.user_namespaces = r.Bool(fv, fkey);
                              else if (f == "args") rh.args = r.Strs(fv, fkey);
                              else if (f == "type") rh.type = ParseRuntimeType(r, fv, fkey);
                              else if (f == "max_capability") rh.max_capability = r.Str(fv, fkey);
                              else (f == "path" ? rh.path : rh.root) = r.Str(fv, fkey);
                            });
                });
              }
            });
}

void ApplyImages(const Reader& r, Config& cfg, const YAML::Node& n, const std::string& path) {
  r.ForEach(n, path, {"registries", "max_parallel_downloads"},
            [&](const std::string& k, const YAML::Node& v, const std::string& key) {
              if (k == "max_parallel_downloads") {
                int64_t p = r.Int(v, key);
                if (p < 1 || p > 64) r.Fail(v, key, "must be between 1 and 64");
                cfg.images.max_parallel_downloads = static_cast<int>(p);
                return;
              }
              r.ForEach(v, key, {}, [&](const std::string& host, const YAML::Node& reg, const std::string& rkey) {
                Registry& out = cfg.images.registries[host];
                r.ForEach(reg, rkey, {"mirrors", "insecure", "ca_files"},
                          [&](const std::string& f, const YAML::Node& fv, const std::string& fkey) {
                            if (f == "mirrors") out.mirrors = r.Strs(fv, fkey);
                            else if (f == "insecure") out.insecure = r.Bool(fv, fkey);
                            else out.ca_files = r.Strs(fv, fkey);
                          });
              });
            });
}

// Sections that hold plain string fields only.
void ApplyStrings(const Reader& r, const YAML::Node& n, const std::string& path,
                  const std::map<std::string, std::string*>& fields) {
  std::set<std::string> allowed;
  for (const auto& f : fields) allowed.insert(f.first);
  r.ForEach(n, path, allowed, [&](const std::string& k, const YAML::Node& v, const std::string& key) {
    *fields.at(k) = r.Str(v, key);
  });
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw ConfigError(p.string() + ": cannot read: " + std::strerror(errno));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

Config Config::Defaults() {
  Config c;
  c.runtime.handlers["runc"] = {"/usr/sbin/runc", "", true, RuntimeType::kProcess, {}, ""};
  c.runtime.handlers["crun"] = {"/usr/bin/crun", "", false, RuntimeType::kProcess, {}, ""};
  // Debian's runsc (2022) takes every netns for the host's on kernels from
  // 6.11 (gVisor issue 10704): its netstack cannot run there, so the sandbox
  // joins the pod's netns and uses it through the host kernel (hostinet).
  // --oci-seccomp: runsc applies the spec's seccomp profile only when asked.
  c.runtime.handlers["runsc"] = {"/usr/bin/runsc", "", false, RuntimeType::kSandbox,
                                 {"--network=host", "--oci-seccomp"}, "CAP_AUDIT_READ"};
  c.pause.binary = std::string(kLibexecDir) + "/berth-pause";
  c.runtime.conmon = std::string(kLibexecDir) + "/berth-conmon";
  return c;
}

void ApplyYaml(Config& cfg, const std::string& yaml_text, const std::string& origin) {
  // YAML is UTF-8 text; yaml-cpp would read other bytes as something else.
  if (!IsUtf8(yaml_text)) throw ConfigError(origin + ": not UTF-8 text");
  if (yaml_text.find('\0') != std::string::npos) throw ConfigError(origin + ": holds a NUL byte");
  YAML::Node doc;
  try {
    doc = YAML::Load(yaml_text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(origin + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                      ": YAML syntax error: " + e.msg);
  }
  if (doc.IsNull()) return;  // an empty file changes nothing
  Reader r(origin);
  r.ForEach(doc, "", {"root", "run_root", "listen", "log_level", "runtime", "cni", "images", "pause", "streaming", "metrics",
                     "security"},
            [&](const std::string& k, const YAML::Node& v, const std::string& key) {
              if (k == "root") cfg.root = r.Str(v, key);
              else if (k == "run_root") cfg.run_root = r.Str(v, key);
              else if (k == "listen") cfg.listen = r.Str(v, key);
              else if (k == "log_level") cfg.log_level = r.Str(v, key);
              else if (k == "runtime") ApplyRuntime(r, cfg, v, key);
              else if (k == "images") ApplyImages(r, cfg, v, key);
              else if (k == "cni") {
                r.ForEach(v, key, {"conf_dir", "bin_dirs", "plugin_timeout"}, [&](const std::string& f, const YAML::Node& fv, const std::string& fkey) {
                  if (f == "conf_dir") cfg.cni.conf_dir = r.Str(fv, fkey);
                  else if (f == "plugin_timeout") cfg.cni.plugin_timeout = Seconds(r, fv, fkey);
                  else cfg.cni.bin_dirs = r.Strs(fv, fkey);
                });
              } else if (k == "pause") {
                ApplyStrings(r, v, key, {{"image", &cfg.pause.image}, {"binary", &cfg.pause.binary}});
              } else if (k == "streaming") {
                r.ForEach(v, key, {"address", "token_ttl"},
                          [&](const std::string& f, const YAML::Node& fv, const std::string& fkey) {
                            if (f == "token_ttl") cfg.streaming.token_ttl = Seconds(r, fv, fkey);
                            else cfg.streaming.address = r.Str(fv, fkey);
                          });
              } else if (k == "metrics") {
                ApplyStrings(r, v, key, {{"address", &cfg.metrics.address}});
              } else {
                ApplyStrings(r, v, key,
                             {{"seccomp_default", &cfg.security.seccomp_default},
                              {"seccomp_profile_root", &cfg.security.seccomp_profile_root},
                              {"apparmor_default_profile", &cfg.security.apparmor_default_profile}});
              }
            });
}

Config Load(const Sources& src) {
  Config cfg = Config::Defaults();
  if (!src.file.empty()) {
    std::error_code ec;
    if (fs::exists(src.file, ec)) {
      ApplyYaml(cfg, ReadFile(src.file), src.file);
    } else if (src.file_required) {
      throw ConfigError(src.file + ": config file does not exist");
    }
  }
  if (!src.dropin_dir.empty() && fs::is_directory(src.dropin_dir)) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(src.dropin_dir)) {
      if (e.path().extension() == ".yaml" && !e.is_directory()) files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) ApplyYaml(cfg, ReadFile(f), f.string());
  }
  return cfg;
}

void Validate(const Config& cfg) {
  auto bad = [](const std::string& key, const std::string& what) { throw ConfigError("key '" + key + "': " + what); };
  if (cfg.root.empty() || cfg.root[0] != '/') bad("root", "must be an absolute path");
  if (cfg.run_root.empty() || cfg.run_root[0] != '/') bad("run_root", "must be an absolute path");
  if (!cfg.listen.starts_with("unix://") || cfg.listen.size() <= 7 || cfg.listen[7] != '/')
    bad("listen", "must be unix:///absolute/path.sock, got '" + cfg.listen + "'");
  static const std::set<std::string> levels{"trace", "debug", "info", "warn", "error", "critical", "off"};
  if (!levels.contains(cfg.log_level)) bad("log_level", "unknown level '" + cfg.log_level + "'");
  if (!cfg.runtime.handlers.contains(cfg.runtime.default_handler))
    bad("runtime.default_handler", "no handler named '" + cfg.runtime.default_handler + "' in runtime.handlers");
  for (const auto& [name, h] : cfg.runtime.handlers) {
    if (name.empty()) bad("runtime.handlers", "a handler needs a name");
    if (h.path.empty()) bad("runtime.handlers." + name + ".path", "must name the runtime binary");
  }
  static const std::set<std::string> seccomp_defaults{"unconfined", "runtime/default", "docker/default"};
  if (!seccomp_defaults.contains(cfg.security.seccomp_default))
    bad("security.seccomp_default", "must be unconfined or runtime/default, got '" + cfg.security.seccomp_default + "'");
  if (!cfg.security.seccomp_profile_root.empty() && cfg.security.seccomp_profile_root[0] != '/')
    bad("security.seccomp_profile_root", "must be an absolute path");
  for (const auto& [host, reg] : cfg.images.registries) {
    if (host.empty() || host.find('/') != std::string::npos)
      bad("images.registries." + host, "must be a registry host[:port]");
  }
}

const char* RuntimeTypeName(RuntimeType t) { return t == RuntimeType::kSandbox ? "sandbox" : "process"; }

const char* CgroupManagerName(CgroupManager m) { return m == CgroupManager::kSystemd ? "systemd" : "cgroupfs"; }

std::string ToYaml(const Config& cfg) {
  YAML::Emitter e;
  e << YAML::BeginMap;
  e << YAML::Key << "root" << YAML::Value << cfg.root;
  e << YAML::Key << "run_root" << YAML::Value << cfg.run_root;
  e << YAML::Key << "listen" << YAML::Value << cfg.listen;
  e << YAML::Key << "log_level" << YAML::Value << cfg.log_level;

  e << YAML::Key << "runtime" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "default_handler" << YAML::Value << cfg.runtime.default_handler;
  e << YAML::Key << "cgroup_manager" << YAML::Value << CgroupManagerName(cfg.runtime.cgroup_manager);
  e << YAML::Key << "conmon" << YAML::Value << cfg.runtime.conmon;
  e << YAML::Key << "timeout" << YAML::Value << cfg.runtime.timeout.count();
  e << YAML::Key << "handlers" << YAML::Value << YAML::BeginMap;
  for (const auto& [name, h] : cfg.runtime.handlers) {
    e << YAML::Key << name << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "path" << YAML::Value << h.path;
    e << YAML::Key << "root" << YAML::Value << h.root;
    e << YAML::Key << "user_namespaces" << YAML::Value << h.user_namespaces;
    e << YAML::Key << "type" << YAML::Value << RuntimeTypeName(h.type);
    e << YAML::Key << "args" << YAML::Value << YAML::Flow << h.args;
    e << YAML::Key << "max_capability" << YAML::Value << h.max_capability;
    e << YAML::EndMap;
  }
  e << YAML::EndMap << YAML::EndMap;

  e << YAML::Key << "cni" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "conf_dir" << YAML::Value << cfg.cni.conf_dir;
  e << YAML::Key << "bin_dirs" << YAML::Value << YAML::Flow << cfg.cni.bin_dirs;
  e << YAML::Key << "plugin_timeout" << YAML::Value << cfg.cni.plugin_timeout.count();
  e << YAML::EndMap;

  e << YAML::Key << "images" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "max_parallel_downloads" << YAML::Value << cfg.images.max_parallel_downloads;
  e << YAML::Key << "registries" << YAML::Value << YAML::BeginMap;
  for (const auto& [host, r] : cfg.images.registries) {
    e << YAML::Key << host << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "mirrors" << YAML::Value << YAML::Flow << r.mirrors;
    e << YAML::Key << "insecure" << YAML::Value << r.insecure;
    e << YAML::Key << "ca_files" << YAML::Value << YAML::Flow << r.ca_files;
    e << YAML::EndMap;
  }
  e << YAML::EndMap << YAML::EndMap;

  e << YAML::Key << "pause" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "image" << YAML::Value << cfg.pause.image;
  e << YAML::Key << "binary" << YAML::Value << cfg.pause.binary;
  e << YAML::EndMap;
  e << YAML::Key << "streaming" << YAML::Value << YAML::BeginMap << YAML::Key << "address" << YAML::Value
    << cfg.streaming.address << YAML::Key << "token_ttl" << YAML::Value << cfg.streaming.token_ttl.count()
    << YAML::EndMap;
  e << YAML::Key << "metrics" << YAML::Value << YAML::BeginMap << YAML::Key << "address" << YAML::Value
    << cfg.metrics.address << YAML::EndMap;
  e << YAML::Key << "security" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "seccomp_default" << YAML::Value << cfg.security.seccomp_default;
  e << YAML::Key << "seccomp_profile_root" << YAML::Value << cfg.security.seccomp_profile_root;
  e << YAML::Key << "apparmor_default_profile" << YAML::Value << cfg.security.apparmor_default_profile;
  e << YAML::EndMap;
  e << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

}  // namespace berth::config
