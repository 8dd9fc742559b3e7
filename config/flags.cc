#include "config/flags.h"

#include <map>

namespace berth::config {
namespace {

using Setter = std::function<void(Config&, const std::string&)>;

CgroupManager ParseCgroupManager(const std::string& v) {
  if (v == "cgroupfs") return CgroupManager::kCgroupfs;
  if (v == "systemd") return CgroupManager::kSystemd;
  throw ConfigError("flag --cgroup-manager: expected cgroupfs or systemd, got '" + v + "'");
}

const std::map<std::string, Setter>& ValueFlags() {
  static const std::map<std::string, Setter> flags{
      {"--root", [](Config& c, const std::string& v) { c.root = v; }},
      {"--run-root", [](Config& c, const std::string& v) { c.run_root = v; }},
      {"--listen", [](Config& c, const std::string& v) { c.listen = v.starts_with("/") ? "unix://" + v : v; }},
      {"--log-level", [](Config& c, const std::string& v) { c.log_level = v; }},
      {"--default-runtime", [](Config& c, const std::string& v) { c.runtime.default_handler = v; }},
      {"--cgroup-manager", [](Config& c, const std::string& v) { c.runtime.cgroup_manager = ParseCgroupManager(v); }},
      {"--conmon", [](Config& c, const std::string& v) { c.runtime.conmon = v; }},
      {"--cni-conf-dir", [](Config& c, const std::string& v) { c.cni.conf_dir = v; }},
      {"--cni-bin-dir", [](Config& c, const std::string& v) { c.cni.bin_dirs = {v}; }},
      {"--pause-binary", [](Config& c, const std::string& v) { c.pause.binary = v; }},
      {"--pause-image", [](Config& c, const std::string& v) { c.pause.image = v; }},
      {"--streaming-address", [](Config& c, const std::string& v) { c.streaming.address = v; }},
      {"--metrics-address", [](Config& c, const std::string& v) { c.metrics.address = v; }},
  };
  return flags;
}

}  // namespace

const char* Usage() {
  return "usage: berthd [serve|config|version|help] [flags]\n"
         "  serve (default)         serve the CRI on the listen socket\n"
         "  config                  print the effective config as YAML and exit\n"
         "  version                 print berthd's version and exit\n"
         "flags:\n"
         "  --config FILE           main config file (default /etc/berth/berth.yaml); '' for none\n"
         "  --config-dir DIR        drop-in dir of *.yaml files (default /etc/berth/berth.yaml.d); '' for none\n"
         "  --root DIR              persistent state dir (default /var/lib/berth)\n"
         "  --run-root DIR          volatile state dir (default /run/berth)\n"
         "  --listen ADDR           unix:///path.sock or /path.sock (default unix:///run/berth/berth.sock)\n"
         "  --log-level LEVEL       trace, debug, info, warn, error, critical, off\n"
         "  --default-runtime NAME  runtime handler used when a pod names none\n"
         "  --cgroup-manager M      cgroupfs or systemd\n"
         "  --conmon PATH           berth-conmon binary\n"
         "  --cni-conf-dir DIR      CNI network configs\n"
         "  --cni-bin-dir DIR       CNI plugin dir (repeat for several)\n"
         "  --pause-binary PATH     berth-pause binary\n"
         "  --pause-image REF       pause image to use instead of the built-in pause rootfs\n"
         "  --streaming-address A   host:port of the streaming server\n"
         "  --metrics-address A     host:port of the metrics endpoint ('' for none)\n";
}

CommandLine ParseCommandLine(const std::vector<std::string>& args) {
  CommandLine cl;
  size_t i = 0;
  if (i < args.size() && !args[i].starts_with("-")) {
    const std::string& cmd = args[i++];
    if (cmd == "serve") cl.command = Command::kServe;
    else if (cmd == "config") cl.command = Command::kPrintConfig;
    else if (cmd == "version") cl.command = Command::kVersion;
    else if (cmd == "help") cl.command = Command::kHelp;
    else throw ConfigError("unknown command '" + cmd + "'");
  }
  bool bin_dir_seen = false;
  for (; i < args.size(); ++i) {
    std::string flag = args[i];
    std::string value;
    bool has_value = false;
    if (auto eq = flag.find('='); flag.starts_with("--") && eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
      has_value = true;
    }
    if (flag == "-h" || flag == "--help") {
      cl.command = Command::kHelp;
      continue;
    }
    if (flag == "--version") {
      cl.command = Command::kVersion;
      continue;
    }
    const bool known = flag == "--config" || flag == "--config-dir" || ValueFlags().contains(flag);
    if (!known) throw ConfigError("unknown flag '" + flag + "'");
    if (!has_value) {
      if (i + 1 >= args.size()) throw ConfigError("flag " + flag + " needs a value");
      value = args[++i];
    }
    if (flag == "--config") {
      cl.sources.file = value;
      cl.sources.file_required = !value.empty();
    } else if (flag == "--config-dir") {
      cl.sources.dropin_dir = value;
    } else if (flag == "--cni-bin-dir" && bin_dir_seen) {
      cl.overrides.push_back([value](Config& c) { c.cni.bin_dirs.push_back(value); });
    } else {
      bin_dir_seen |= flag == "--cni-bin-dir";
      Setter set = ValueFlags().at(flag);
      cl.overrides.push_back([set, value](Config& c) { set(c, value); });
    }
  }
  return cl;
}

Config CommandLine::Resolve() const {
  Config cfg = Load(sources);
  for (const auto& apply : overrides) apply(cfg);
  Validate(cfg);
  return cfg;
}

}  // namespace berth::config
