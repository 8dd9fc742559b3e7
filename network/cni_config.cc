#include "network/cni_config.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace berth::network {
namespace fs = std::filesystem;
using nlohmann::json;

std::vector<std::string> CniNetwork::plugin_types() const {
  std::vector<std::string> out;
  for (const auto& p : conflist.at("plugins")) out.push_back(p.value("type", ""));
  return out;
}

CniNetwork ParseCniConfig(const std::string& text, const std::string& file) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) throw std::runtime_error("not valid JSON");
  if (!doc.is_object()) throw std::runtime_error("not a JSON object");
  const bool is_list = file.ends_with(".conflist");
  if (!is_list) {
    // A single-plugin .conf becomes a list of one, as libcni does.
    if (!doc.contains("type") || !doc["type"].is_string()) throw std::runtime_error("no plugin \"type\"");
    json list = {{"cniVersion", doc.value("cniVersion", "")}, {"name", doc.value("name", "")}, {"plugins", json::array({doc})}};
    doc = std::move(list);
  }
  if (!doc.contains("name") || !doc["name"].is_string() || doc["name"].get<std::string>().empty())
    throw std::runtime_error("no network \"name\"");
  if (!doc.contains("plugins") || !doc["plugins"].is_array() || doc["plugins"].empty())
    throw std::runtime_error("no \"plugins\"");
  for (const auto& p : doc["plugins"]) {
    if (!p.is_object() || !p.contains("type") || !p["type"].is_string())
      throw std::runtime_error("a plugin has no \"type\"");
  }
  CniNetwork net;
  net.name = doc["name"].get<std::string>();
  net.cni_version = doc.value("cniVersion", "");
  net.file = file;
  net.conflist = std::move(doc);
  return net;
}

CniDiscovery FindDefaultNetwork(const std::string& conf_dir) {
  CniDiscovery out;
  std::error_code ec;
  std::vector<fs::path> files;
  for (fs::directory_iterator it(conf_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const auto ext = it->path().extension();
    if ((ext == ".conflist" || ext == ".conf" || ext == ".json") && it->is_regular_file(ec)) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f);
    std::stringstream text;
    text << in.rdbuf();
    try {
      out.network = ParseCniConfig(text.str(), f.string());
      return out;
    } catch (const std::exception& e) {
      out.skipped.push_back(f.string() + ": " + e.what());
    }
  }
  return out;
}

std::string CniDiscovery::NotReadyMessage(const std::string& conf_dir) const {
  if (network) return "";
  std::string msg = "no CNI network config found in " + conf_dir;
  for (const auto& s : skipped) msg += "; skipped " + s;
  return msg;
}

}  // namespace berth::network
