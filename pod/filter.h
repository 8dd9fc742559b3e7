#pragma once
// What ListPodSandbox and ListContainers filters share: an id matches
// exactly or as a unique prefix (an ambiguous prefix selects nothing, as
// kubelet and crictl expect), and a label selector is a subset match.

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace berth::pod {

// A record's id, held by value or shared.
template <class T>
const std::string& IdOf(const T& r) {
  return r.id;
}
template <class T>
const std::string& IdOf(const std::shared_ptr<T>& r) {
  return r->id;
}

template <class T>
std::vector<T> SelectById(std::vector<T> all, const std::string& id) {
  if (id.empty()) return all;
  auto exact = std::find_if(all.begin(), all.end(), [&](const T& r) { return IdOf(r) == id; });
  if (exact != all.end()) return {*exact};
  std::vector<T> prefixed;
  for (auto& r : all) {
    if (IdOf(r).rfind(id, 0) == 0) prefixed.push_back(std::move(r));
  }
  if (prefixed.size() != 1) prefixed.clear();
  return prefixed;
}

template <class Selector>
bool LabelsMatch(const std::map<std::string, std::string>& labels, const Selector& selector) {
  return std::all_of(selector.begin(), selector.end(), [&](const auto& kv) {
    auto it = labels.find(kv.first);
    return it != labels.end() && it->second == kv.second;
  });
}

}  // namespace berth::pod
