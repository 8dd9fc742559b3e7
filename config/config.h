#pragma once
// berthd's configuration: defaults, then /etc/berth/berth.yaml, then the
// drop-ins in /etc/berth/berth.yaml.d/*.yaml (lexical order), then flags.

#include <cstdint>
#include <chrono>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace berth::config {

// A config problem; the message names the file, line and key where known.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// How an OCI runtime runs a pod's containers.
enum class RuntimeType {
  // runc, crun: each container is host processes, children of its monitor.
  kProcess,
  // runsc (gVisor): the pause container makes a sandbox that every other
  // container of the pod runs inside, found by the io.kubernetes.cri.*
  // annotations. Its containers take their stdio at `start` (the monitor
  // starts them), report their exits through `<runtime> wait` (their pid is
  // the sandbox's), their usage through `<runtime> events --stats` (the
  // cgroups hold the whole sandbox), and have no `update` and no OOM events.
  kSandbox,
};

// One OCI runtime a RuntimeHandler name maps to.
struct RuntimeHandler {
  std::string path;  // binary, e.g. /usr/sbin/runc
  std::string root;  // the runtime's --root state dir; empty: <run_root>/runtimes/<name>
  // Runs pods with a user namespace of their own (berth makes the id-mapped
  // mounts; the runtime needs only to join the namespace): runc does.
  bool user_namespaces = false;
  RuntimeType type = RuntimeType::kProcess;
  // Global flags given before every subcommand (e.g. runsc --network=host).
  std::vector<std::string> args;
  // The last capability the runtime knows (e.g. CAP_AUDIT_READ for runsc of
  // 2022, whose kernel has none after it): ALL and privileged give nothing
  // beyond it. Empty: the node's (berthd's own set).
  std::string max_capability;
  bool operator==(const RuntimeHandler&) const = default;
};

const char* RuntimeTypeName(RuntimeType t);

// Settings for one registry host (or mirror endpoint), as in registries.conf.
struct Registry {
  std::vector<std::string> mirrors;  // endpoints ("host[:port]") tried in order before the host
  bool insecure = false;             // plain HTTP allowed, TLS not verified
  std::vector<std::string> ca_files; // extra PEM CAs trusted for this host
  bool operator==(const Registry&) const = default;
};

enum class CgroupManager { kCgroupfs, kSystemd };

struct Config {
  std::string root = "/var/lib/berth";               // persistent state: images, containers
  std::string run_root = "/run/berth";               // volatile state: sockets, netns pins, exits
  std::string listen = "unix:///run/berth/berth.sock";
  std::string log_level = "info";                    // trace, debug, info, warn, error, critical, off

  struct {
    std::string default_handler = "runc";
    std::map<std::string, RuntimeHandler> handlers;  // defaults filled by Defaults()
    CgroupManager cgroup_manager = CgroupManager::kCgroupfs;
    std::string conmon;                              // empty: <libexec>/berth-conmon
    // Longest a runtime call (create, start, kill, delete, ...) may take
    // before it fails with DEADLINE_EXCEEDED and what it made is undone.
    std::chrono::seconds timeout{120};
  } runtime;

  struct {
    std::string conf_dir = "/etc/cni/net.d";
    std::vector<std::string> bin_dirs{"/usr/lib/cni", "/opt/cni/bin"};
    // Longest one plugin may run (ADD, DEL, CHECK) before it is killed and
    // the call fails with DEADLINE_EXCEEDED (an ADD's partial work undone).
    std::chrono::seconds plugin_timeout{60};
  } cni;

  struct {
    std::map<std::string, Registry> registries;      // keyed by registry host[:port]
    int max_parallel_downloads = 3;
  } images;

  struct {
    std::string image;   // empty: berth's built-in pause rootfs
    std::string binary;  // empty: <libexec>/berth-pause
  } pause;

  struct {
    std::string address = "127.0.0.1:0";  // host:port of the exec/attach/port-forward server
    std::chrono::seconds token_ttl{60};       // how long an Exec/Attach/PortForward URL stays valid
  } streaming;

  struct {
    std::string address;  // host:port for Prometheus metrics; empty: off
  } metrics;

  struct {
    // What a pod or container that names no seccomp profile gets, in the
    // CRI's legacy syntax: "unconfined" (the CRI default) or
    // "runtime/default" (kubelet's SeccompDefault, done by the runtime).
    std::string seccomp_default = "unconfined";
    // Localhost seccomp profiles must lie under it (kubelet's
    // <root-dir>/seccomp); relative ones are taken under it.
    std::string seccomp_profile_root = "/var/lib/kubelet/seccomp";
    // The AppArmor profile RuntimeDefault means on AppArmor nodes; it must
    // be loaded (apparmor_parser) before pods ask for it.
    std::string apparmor_default_profile = "berth-default";
  } security;

  // The built-in defaults (runc, crun and runsc handlers among them).
  static Config Defaults();
};

// Where the config comes from; empty paths are skipped.
struct Sources {
  std::string file = "/etc/berth/berth.yaml";
  std::string dropin_dir = "/etc/berth/berth.yaml.d";
  bool file_required = false;  // true when named by --config: a missing file is then an error
};

// Applies one YAML document to cfg: only the keys present change. `origin`
// names the document in errors. Throws ConfigError on unknown keys or wrong types.
void ApplyYaml(Config& cfg, const std::string& yaml_text, const std::string& origin);

// Defaults, then the file, then the drop-ins in lexical order.
Config Load(const Sources& src);

// Checks relations between settings (default handler exists, values in range).
void Validate(const Config& cfg);

// The effective config as YAML, in the same schema ApplyYaml reads.
std::string ToYaml(const Config& cfg);

const char* CgroupManagerName(CgroupManager m);

}  // namespace berth::config
