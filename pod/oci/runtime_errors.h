#pragma once
// What a runtime's failure text says about whose fault it is: a command the
// image does not have, or a sysctl the kernel refuses, is the request's
// (FAILED_PRECONDITION, INVALID_ARGUMENT), not berth's (INTERNAL). runc and
// crun word these alike; the patterns are theirs (runc 1.1, crun 1.8).

#include <string>

#include "storage/base/error.h"

namespace berth::pod::oci {

struct RuntimeFault {
  Code code = Code::kInternal;
  std::string what;  // said before the runtime's text; empty for INTERNAL
};

RuntimeFault ClassifyRuntimeError(const std::string& text);

// Error(code, context + ": " + what + ": " + text) as classified.
Error RuntimeError(const std::string& context, const std::string& text);

}  // namespace berth::pod::oci
