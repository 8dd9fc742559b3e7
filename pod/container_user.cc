#include "pod/container_user.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <sstream>

#include "storage/base/error.h"

namespace berth::pod {
namespace {

struct PasswdEntry {
  std::string name;
  uint32_t uid = 0, gid = 0;
};

struct GroupEntry {
  std::string name;
  uint32_t gid = 0;
  std::vector<std::string> members;
};

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(s);
  while (std::getline(in, field, sep)) out.push_back(field);
  if (!s.empty() && s.back() == sep) out.emplace_back();
  return out;
}

std::optional<uint32_t> ParseId(const std::string& s) {
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// The lines of a passwd/group file split into fields; comments, NIS "+"/"-"
// lines and lines with too few fields or a non-numeric id are skipped.
std::vector<std::vector<std::string>> Records(const std::string& file, size_t min_fields) {
  std::vector<std::vector<std::string>> out;
  std::istringstream in(file);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#' || line[0] == '+' || line[0] == '-') continue;
    auto f = Split(line, ':');
    if (f.size() >= min_fields && ParseId(f[2])) out.push_back(std::move(f));
  }
  return out;
}

std::vector<PasswdEntry> ParsePasswd(const std::string& file) {
  std::vector<PasswdEntry> out;
  for (auto& f : Records(file, 4)) {
    if (auto gid = ParseId(f[3])) out.push_back({f[0], *ParseId(f[2]), *gid});
  }
  return out;
}

std::vector<GroupEntry> ParseGroup(const std::string& file) {
  std::vector<GroupEntry> out;
  for (auto& f : Records(file, 3)) {
    GroupEntry g{f[0], *ParseId(f[2]), {}};
    if (f.size() > 3 && !f[3].empty()) g.members = Split(f[3], ',');
    out.push_back(std::move(g));
  }
  return out;
}

template <typename T, typename Pred>
std::optional<T> Find(const std::vector<T>& v, Pred pred) {
  auto it = std::find_if(v.begin(), v.end(), pred);
  if (it == v.end()) return std::nullopt;
  return *it;
}

uint32_t CheckedId(int64_t v, const char* what) {
  if (v < 0 || v > int64_t{UINT32_MAX}) throw InvalidArgument(std::string(what) + " " + std::to_string(v) + " is out of range");
  return static_cast<uint32_t>(v);
}

// The user: a uid, or a name that must be in /etc/passwd.
std::pair<uint32_t, std::optional<PasswdEntry>> LookupUser(const std::string& user, const std::vector<PasswdEntry>& pw,
                                                           const std::string& origin) {
  if (auto uid = ParseId(user)) return {*uid, Find(pw, [&](const PasswdEntry& e) { return e.uid == *uid; })};
  auto e = Find(pw, [&](const PasswdEntry& p) { return p.name == user; });
  if (!e) throw InvalidArgument("user \"" + user + "\" (" + origin + ") is not in the image's /etc/passwd");
  return {e->uid, e};
}

uint32_t LookupGroup(const std::string& group, const std::vector<GroupEntry>& gr, const std::string& origin) {
  if (auto gid = ParseId(group)) return *gid;
  auto g = Find(gr, [&](const GroupEntry& e) { return e.name == group; });
  if (!g) throw InvalidArgument("group \"" + group + "\" (" + origin + ") is not in the image's /etc/group");
  return g->gid;
}

void AddUnique(std::vector<uint32_t>& v, uint32_t id) {
  if (std::find(v.begin(), v.end(), id) == v.end()) v.push_back(id);
}

}  // namespace

ContainerUser ResolveContainerUser(const runtime::v1::LinuxContainerSecurityContext& sc, const std::string& image_user,
                                   const std::string& etc_passwd, const std::string& etc_group) {
  const bool by_uid = sc.has_run_as_user(), by_name = !sc.run_as_username().empty();
  if (by_uid && by_name) throw InvalidArgument("run_as_user and run_as_username are both set; they are exclusive");
  // The CRI says a runtime must refuse a group without a user.
  if (sc.has_run_as_group() && !by_uid && !by_name) {
    throw InvalidArgument("run_as_group is set without run_as_user or run_as_username");
  }
  const auto pw = ParsePasswd(etc_passwd);
  const auto gr = ParseGroup(etc_group);

  std::string user, group, origin;
  if (by_uid) {
    user = std::to_string(CheckedId(sc.run_as_user().value(), "run_as_user"));
    origin = "run_as_user";
  } else if (by_name) {
    user = sc.run_as_username();
    origin = "run_as_username";
  } else {
    origin = "image User \"" + image_user + "\"";
    const auto colon = image_user.find(':');
    user = image_user.substr(0, colon);
    if (colon != std::string::npos) {
      group = image_user.substr(colon + 1);
      if (group.empty() || user.empty()) throw InvalidArgument("malformed " + origin + ": want user[:group]");
    }
    if (user.empty()) user = "0";  // no User: root
  }

  ContainerUser out;
  const auto [uid, entry] = LookupUser(user, pw, origin);
  out.uid = uid;
  if (sc.has_run_as_group()) {
    out.gid = CheckedId(sc.run_as_group().value(), "run_as_group");
  } else if (!group.empty()) {
    out.gid = LookupGroup(group, gr, origin);
  } else {
    out.gid = entry ? entry->gid : 0;  // a uid without a passwd entry gets group 0
  }

  out.additional_gids.push_back(out.gid);
  // Strict: only the groups the request names, not the image's memberships.
  if (entry && sc.supplemental_groups_policy() != runtime::v1::Strict) {
    for (const auto& g : gr) {
      if (std::find(g.members.begin(), g.members.end(), entry->name) != g.members.end()) {
        AddUnique(out.additional_gids, g.gid);
      }
    }
  }
  for (int64_t g : sc.supplemental_groups()) AddUnique(out.additional_gids, CheckedId(g, "supplemental group"));
  return out;
}

}  // namespace berth::pod
