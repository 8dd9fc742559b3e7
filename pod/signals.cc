#include "pod/signals.h"

#include <csignal>
#include <cstring>
#include <optional>

#include "storage/base/error.h"

namespace berth::pod {
namespace {

std::optional<int> ParseInt(const std::string& s) {
  if (s.empty() || s.size() > 3 || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::stoi(s);
}

// The name of a real-time signal number: SIGRTMIN+n counted from glibc's
// SIGRTMIN (34: glibc keeps 32 and 33 for itself), as Docker and Go count.
std::string RtName(int n) { return n == SIGRTMIN ? "SIGRTMIN" : "SIGRTMIN+" + std::to_string(n - SIGRTMIN); }

std::optional<int> NumberOf(const std::string& upper_no_sig) {
  for (int n = 1; n < SIGRTMIN; ++n) {
    const char* abbrev = sigabbrev_np(n);
    if (abbrev && upper_no_sig == abbrev) return n;
  }
  if (upper_no_sig == "IOT") return SIGABRT;
  if (upper_no_sig == "CLD") return SIGCHLD;
  if (upper_no_sig == "POLL" || upper_no_sig == "IO") return SIGIO;  // glibc 2.36 names 29 POLL only
  for (const auto& [base, sign] : {std::pair{std::string("RTMIN"), 1}, std::pair{std::string("RTMAX"), -1}}) {
    if (upper_no_sig.rfind(base, 0) != 0) continue;
    const int origin = sign > 0 ? SIGRTMIN : SIGRTMAX;
    const std::string rest = upper_no_sig.substr(base.size());
    if (rest.empty()) return origin;
    const auto off = ParseInt(rest.substr(1));
    if (rest[0] != (sign > 0 ? '+' : '-') || !off) return std::nullopt;
    const int n = origin + sign * *off;
    if (n >= SIGRTMIN && n <= SIGRTMAX) return n;
  }
  return std::nullopt;
}

std::string NameOf(int n) {
  if (n == SIGIO) return "SIGIO";  // the name pod/signals.h promises, whatever glibc's abbreviation
  return n >= SIGRTMIN ? RtName(n) : std::string("SIG") + sigabbrev_np(n);
}

}  // namespace

std::string CanonicalSignalName(const std::string& signal, const std::string& what) {
  std::string up = signal;
  for (char& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (up.rfind("SIG", 0) == 0) up = up.substr(3);
  int n = 0;  // 0: no signal
  if (const auto num = ParseInt(up)) {
    // 32 and 33 are glibc's own real-time signals.
    if (*num >= 1 && *num <= SIGRTMAX && (*num < 32 || *num >= SIGRTMIN)) n = *num;
  } else if (const auto named = NumberOf(up)) {
    n = *named;
  }
  if (n == 0) throw InvalidArgument(what + " \"" + signal + "\" is not a signal");
  return NameOf(n);
}

int SignalNumber(const std::string& canonical_name) {
  const auto n = NumberOf(canonical_name.rfind("SIG", 0) == 0 ? canonical_name.substr(3) : canonical_name);
  if (!n) throw InvalidArgument("\"" + canonical_name + "\" is not a signal name");
  return *n;
}

std::string StopSignal(runtime::v1::Signal cri_signal, const std::string& image_stop_signal) {
  if (cri_signal != runtime::v1::RUNTIME_DEFAULT) {
    // The enum spells SIGRTMIN+1 as SIGRTMINPLUS1 and SIGRTMAX-1 as SIGRTMAXMINUS1.
    std::string name = runtime::v1::Signal_Name(cri_signal);
    for (const auto& [word, sign] : {std::pair{"PLUS", "+"}, std::pair{"MINUS", "-"}}) {
      if (auto at = name.find(word); at != std::string::npos) name.replace(at, std::strlen(word), sign);
    }
    return CanonicalSignalName(name, "stop_signal");
  }
  if (image_stop_signal.empty()) return "SIGTERM";
  return CanonicalSignalName(image_stop_signal, "image StopSignal");
}

}  // namespace berth::pod
