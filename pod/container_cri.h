#pragma once
// Between container records and CRI messages: status, list items, the
// ListContainers filter. Pure functions, unit-tested.

#include <memory>
#include <string>
#include <vector>

#include "cri/cri.h"
#include "pod/container.h"

namespace berth::pod {

runtime::v1::ContainerState ToCri(ContainerState s);
// Completed (exit 0), OOMKilled or Error for an exited container; "" otherwise.
std::string ExitReason(const Container& c);
void FillStatus(const Container& c, runtime::v1::ContainerStatus* out);
void FillListItem(const Container& c, runtime::v1::Container* out);
// Oldest first; id and pod_sandbox_id match exactly or as a unique prefix.
using SharedContainers = std::vector<std::shared_ptr<const Container>>;
SharedContainers FilterContainers(SharedContainers all, const runtime::v1::ContainerFilter& filter);

// The CRI messages a record keeps, as protobuf JSON.
std::string ToJson(const google::protobuf::Message& m);
// Throws INTERNAL naming `what` if `json` does not parse as `m`.
void FromJson(const std::string& json, google::protobuf::Message* m, const std::string& what);

}  // namespace berth::pod
