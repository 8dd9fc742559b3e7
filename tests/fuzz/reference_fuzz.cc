// Fuzzes image::ParseReference: any string is refused with INVALID_ARGUMENT or
// normalizes to a well-formed reference whose String() parses back to it.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "image/reference.h"
#include "tests/fuzz/fuzz_check.h"

namespace berth::fuzz {
namespace {

using image::Reference;

std::string Show(const Reference& r) {
  return "domain=" + r.domain + " path=" + r.path + " tag=" + r.tag + " digest=" + r.digest;
}

void CheckWellFormed(const Reference& r, std::string_view input) {
  const std::string at = std::string(input) + " -> " + Show(r);
  Require(image::IsValidDomain(r.domain), "reference with an invalid domain", at);
  Require(!r.path.empty() && r.path.front() != '/' && r.path.back() != '/', "reference with a bad path", at);
  Require(!r.tag.empty() || !r.digest.empty(), "reference with neither tag nor digest", at);
  Require(r.digest.empty() || image::IsValidDigest(r.digest), "reference with an invalid digest", at);
  Require(r.Name().size() <= image::kMaxNameLength, "reference name over the maximum length", at);
  Require(r.domain != "index.docker.io", "docker.io's alias left unnormalized", at);
}

// Parses `form` (a printed form of `r`), which must give `r` back.
void CheckReparses(const Reference& r, const std::string& form, std::string_view which) {
  Reference again;
  if (auto code = Refusal("ParseReference", [&] { again = image::ParseReference(form); })) {
    Finding(std::string(which) + " of a parsed reference is refused", form + " (" + CodeName(*code) + ")");
  }
  Require(again == r, std::string(which) + " parses to another reference", form + ": " + Show(r) + " vs " + Show(again));
}

// Docker's familiar form is ambiguous for a docker.io repository whose first
// path component looks like a domain ("docker.io/a.b/x" prints "a.b/x", read
// back as registry a.b): docker has the same rule, so only other cases count.
bool FamiliarIsAmbiguous(const Reference& r) {
  if (r.domain != image::kDockerHubDomain) return false;
  const std::string first = r.path.substr(0, r.path.find('/'));
  return r.path.find('/') != std::string::npos &&
         (first.find_first_of(".:") != std::string::npos || first == "localhost");
}

}  // namespace
}  // namespace berth::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace berth::fuzz;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  berth::image::Reference r;
  if (auto code = Refusal("ParseReference", [&] { r = berth::image::ParseReference(input); })) {
    Require(*code == berth::Code::kInvalidArgument, "ParseReference refused with a code other than INVALID_ARGUMENT",
            std::string(input) + ": " + berth::CodeName(*code));
    return 0;
  }
  CheckWellFormed(r, input);
  CheckReparses(r, r.String(), "String()");
  if (!FamiliarIsAmbiguous(r)) CheckReparses(r, r.FamiliarString(), "FamiliarString()");
  if (!r.digest.empty()) CheckReparses(r.WithDigest(r.digest), r.WithDigest(r.digest).String(), "WithDigest()");
  return 0;
}
