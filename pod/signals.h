#pragma once
// Signal names as images and the CRI spell them ("TERM", "15", "SIGRTMIN+3",
// CRI's SIGRTMINPLUS3) in one canonical form, "SIGTERM" / "SIGRTMIN+3".

#include <string>

#include "cri/cri.h"

namespace berth::pod {

// The canonical name of a signal given by name (with or without "SIG", any
// case; aliases IOT, CLD, POLL map to ABRT, CHLD, IO) or by number. Throws
// INVALID_ARGUMENT naming `what` for anything that is no signal.
std::string CanonicalSignalName(const std::string& signal, const std::string& what);

// The number of a canonical name (as CanonicalSignalName returns), for kill(2).
int SignalNumber(const std::string& canonical_name);

// A container's stop signal: the CRI's when set, else the image's
// StopSignal, else SIGTERM.
std::string StopSignal(runtime::v1::Signal cri_signal, const std::string& image_stop_signal);

}  // namespace berth::pod
