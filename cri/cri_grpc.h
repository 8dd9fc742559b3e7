#pragma once
// The CRI's gRPC services (RuntimeService, ImageService): for server/ and
// for clients in tests and benchmarks. Libraries below server/ use only the
// messages (cri/cri.h) and never link gRPC.
#include "cri/cri.h"

#include "cri/api.grpc.pb.h"
