#include "network/cni_result.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <sstream>
#include <stdexcept>

namespace berth::network {
using nlohmann::json;
namespace {

std::array<int, 3> ParseVersion(const std::string& v) {
  std::array<int, 3> out{0, 1, 0};
  if (v.empty()) return out;
  out = {0, 0, 0};
  std::istringstream in(v);
  std::string part;
  for (size_t i = 0; i < 3 && std::getline(in, part, '.'); ++i) {
    try {
      out[i] = std::stoi(part);
    } catch (const std::exception&) {
      throw std::runtime_error("bad CNI version '" + v + "'");
    }
  }
  return out;
}

json PortMappingsJson(const std::vector<PortMapping>& pms) {
  json out = json::array();
  for (const auto& p : pms) {
    if (p.host_port <= 0) continue;  // a container port without a host port is not forwarded
    json m = {{"hostPort", p.host_port}, {"containerPort", p.container_port}, {"protocol", p.protocol}};
    if (!p.host_ip.empty()) m["hostIP"] = p.host_ip;
    out.push_back(std::move(m));
  }
  return out;
}

// The runtimeConfig values berth can provide, by capability name.
json AvailableCapabilities(const Attachment& a) {
  json caps = json::object();
  json pms = PortMappingsJson(a.port_mappings);
  if (!pms.empty()) caps["portMappings"] = std::move(pms);
  if (a.bandwidth) {
    const auto& b = *a.bandwidth;
    caps["bandwidth"] = {{"ingressRate", b.ingress_rate}, {"ingressBurst", b.ingress_burst},
                         {"egressRate", b.egress_rate}, {"egressBurst", b.egress_burst}};
  }
  return caps;
}

// "10.0.0.2/24" -> "10.0.0.2"; `family` set to AF_INET/AF_INET6; throws if not an IP.
std::string StripPrefix(const std::string& cidr, int& family, const std::string& where) {
  std::string ip = cidr.substr(0, cidr.find('/'));
  unsigned char buf[16];
  if (::inet_pton(AF_INET, ip.c_str(), buf) == 1) {
    family = AF_INET;
  } else if (::inet_pton(AF_INET6, ip.c_str(), buf) == 1) {
    family = AF_INET6;
  } else {
    throw std::runtime_error("CNI result " + where + " '" + cidr + "' is not an IP address");
  }
  return ip;
}

// False if the ip names an interface that is not in the sandbox (e.g. the host-side veth).
bool InSandbox(const json& result, const json& ip) {
  if (!ip.contains("interface") || !ip["interface"].is_number_integer()) return true;
  const auto idx = ip["interface"].get<long>();
  const json& ifs = result.value("interfaces", json::array());
  if (!ifs.is_array() || idx < 0 || static_cast<size_t>(idx) >= ifs.size()) return true;
  const json& itf = ifs[static_cast<size_t>(idx)];
  return !itf.is_object() || !itf.value("sandbox", "").empty();
}

}  // namespace

bool CniVersionAtLeast(const std::string& version, const std::string& min) {
  return ParseVersion(version) >= ParseVersion(min);
}

std::string CniArgs(const Attachment& a) {
  return "IgnoreUnknown=1;K8S_POD_NAMESPACE=" + a.pod_namespace + ";K8S_POD_NAME=" + a.pod_name +
         ";K8S_POD_INFRA_CONTAINER_ID=" + a.container_id + ";K8S_POD_UID=" + a.pod_uid;
}

json PluginStdin(const json& conflist, size_t index, const json& prev_result, const Attachment& a) {
  json conf = conflist.at("plugins").at(index);
  conf["name"] = conflist.at("name");
  conf["cniVersion"] = conflist.value("cniVersion", "");
  if (!prev_result.is_null()) conf["prevResult"] = prev_result;
  const json declared = conf.value("capabilities", json::object());
  if (declared.is_object()) {
    json rt = json::object();
    const json available = AvailableCapabilities(a);  // named: items() must not outlive it
    for (const auto& [name, value] : available.items()) {
      if (declared.contains(name) && declared[name] == true) rt[name] = value;
    }
    if (!rt.empty()) conf["runtimeConfig"] = std::move(rt);
  }
  return conf;
}

std::vector<std::string> PodIps(const json& result) {
  if (!result.is_object()) throw std::runtime_error("CNI result is not a JSON object");
  std::vector<std::string> v4, v6;
  auto add = [&](const std::string& cidr, const std::string& where) {
    int family = 0;
    std::string ip = StripPrefix(cidr, family, where);
    auto& list = family == AF_INET ? v4 : v6;
    if (std::find(list.begin(), list.end(), ip) == list.end()) list.push_back(std::move(ip));
  };
  if (result.contains("ips")) {
    const json& ips = result["ips"];
    if (!ips.is_array()) throw std::runtime_error("CNI result \"ips\" is not an array");
    for (size_t i = 0; i < ips.size(); ++i) {
      const std::string where = "ips[" + std::to_string(i) + "].address";
      if (!ips[i].is_object() || !ips[i].contains("address") || !ips[i]["address"].is_string())
        throw std::runtime_error("CNI result " + where + " is missing");
      if (InSandbox(result, ips[i])) add(ips[i]["address"].get<std::string>(), where);
    }
  } else {
    for (const char* key : {"ip4", "ip6"}) {  // results before 0.3.0
      if (!result.contains(key)) continue;
      const json& o = result[key];
      if (!o.is_object() || !o.contains("ip") || !o["ip"].is_string())
        throw std::runtime_error(std::string("CNI result \"") + key + "\" has no \"ip\"");
      add(o["ip"].get<std::string>(), std::string(key) + ".ip");
    }
  }
  v4.insert(v4.end(), v6.begin(), v6.end());
  return v4;
}

std::string CniErrorMessage(const json& out) {
  if (!out.is_object() || (!out.contains("msg") && !out.contains("code"))) return "";
  std::string msg = out.value("msg", "");
  const std::string details = out.contains("details") && out["details"].is_string() ? out["details"].get<std::string>() : "";
  if (!details.empty()) msg += (msg.empty() ? "" : ": ") + details;
  if (out.contains("code") && out["code"].is_number_integer())
    msg += " (CNI error code " + std::to_string(out["code"].get<long>()) + ")";
  return msg;
}

}  // namespace berth::network
