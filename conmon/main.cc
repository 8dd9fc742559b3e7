// berth-conmon: the per-container monitor. Its behaviour (running the OCI
// runtime, owning the container's stdio, the CRI log, exit files, attach and
// exec) lands with the containers issue; until then it refuses to run rather
// than pretend to monitor anything.
#include <cstdio>
#include <cstring>

#include "config/build_info.h"

int main(int argc, char** argv) {
  if (argc > 1 && (std::strcmp(argv[1], "--version") == 0 || std::strcmp(argv[1], "version") == 0)) {
    std::printf("berth-conmon %s\n", berth::kVersion);
    return 0;
  }
  std::fprintf(stderr, "berth-conmon %s: container monitoring is not implemented yet\n", berth::kVersion);
  return 2;
}
