#pragma once
// Finds the node's default CNI network: the first .conflist, .conf or .json
// file in the conf dir, in lexical order, that holds a usable network.

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace berth::network {

struct CniNetwork {
  std::string name;
  std::string cni_version;
  std::string file;          // where it was read from
  nlohmann::json conflist;   // normalised to the .conflist shape ({"plugins": [...]})
  std::vector<std::string> plugin_types() const;
};

struct CniDiscovery {
  std::optional<CniNetwork> network;
  std::vector<std::string> skipped;  // "file: why" for each file passed over
  // Why there is no network, for Status's NetworkReady condition; empty when there is one.
  std::string NotReadyMessage(const std::string& conf_dir) const;
};

// Parses one config file's text; throws std::runtime_error saying what is wrong.
CniNetwork ParseCniConfig(const std::string& text, const std::string& file);

CniDiscovery FindDefaultNetwork(const std::string& conf_dir);

}  // namespace berth::network
