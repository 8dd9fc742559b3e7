#pragma once
// What a runtime left of a deleted container's cgroup. The runtime owns the
// cgroup and deletes it with the container, but not always: runsc removes a
// container's cgroup only once its gofer is gone and answers the delete
// anyway when that takes over 5 s, and a runtime killed mid-delete leaves
// its dirs. After the delete nothing may remain, so berth removes them.

#include <chrono>
#include <string>
#include <vector>

#include "pod/cgroups.h"

namespace berth::pod {

// Removes the dir at `relative` ("/parent/id", as CgroupRelativePath gives
// it) from every hierarchy of `cg`, children first. A process still in it
// belongs to nothing any more (its container is deleted) and is killed;
// its dir then goes within `patience`. Returns the dirs that stayed, each
// logged with why. Refuses a path that is empty, "/" or climbs ("..").
std::vector<std::string> RemoveCgroupLeftovers(const std::string& relative, const CgroupSupport& cg,
                                               std::chrono::milliseconds patience = std::chrono::seconds(2));

}  // namespace berth::pod
