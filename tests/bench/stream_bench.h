// The streaming subcommands of berth-cri-bench (hack/bench-streaming.sh drives
// them): any CRI runtime's streaming server, through the URLs its Exec and
// PortForward hand out, spoken to as kubectl and crictl do (SPDY/3.1,
// v4.channel.k8s.io and portforward.k8s.io).
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>

#include "tests/bench/container_bench.h"

namespace berth::bench {

// One pod with a running `sleep` container (untimed), then opt.per_pod
// execs of `true`, each timed from the Exec call to the exit status on the
// error stream (Success checked). Prints
//   stream_exec n=N p50_ms=.. p99_ms=.. mean_ms=.. ms=a,b,...
int StreamExec(std::shared_ptr<grpc::Channel> channel, const ContainerOptions& opt);

// One pod whose container serves `mib` MiB of zeros on port 9000 to each
// connection (busybox nc), then opt.per_pod connections through
// PortForward, one after the other, each reading all of it. Prints
//   port_forward n=N mib=M p50_mbps=.. mean_mbps=.. mbps=a,b,...
int PortForward(std::shared_ptr<grpc::Channel> channel, const ContainerOptions& opt, int mib);

}  // namespace berth::bench
