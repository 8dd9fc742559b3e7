// A bounded randomized client: every unary RPC of RuntimeService and
// ImageService, called with requests whose fields are filled at random by
// protobuf reflection (edge-case numbers, junk and huge strings, NUL bytes,
// ids of objects that exist, nested messages, lists and maps; all valid
// UTF-8, as a proto3 string must be). berthd must
// stay up, and every answer must be OK or a status from the CRI's list of
// client errors; never INTERNAL or UNKNOWN. Paths are kept inside the test's
// dir, so whatever a call creates stays there. Bridge berthrnd1 on 10.184.1.0/24.
//
// Size by environment: BERTH_RANDOM_CALLS (default 600), BERTH_RANDOM_SEED.
// gRPC's generic stub, inlined here, trips GCC's -Wnull-dereference inside
// gRPC's own headers (call_op_set.h); the typed stubs do not.
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <random>
#include <set>

#include "tests/integration/container_fixture.h"
#include "tests/integration/leak_check.h"

namespace berth::testing {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr const char* kRandomCgroup = "/berthrnd";

uint64_t RandomEnv(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

// Fills messages at random, with values berthd is likely to trip on.
class RandomFiller {
 public:
  RandomFiller(uint64_t seed, std::string safe_dir) : rng_(seed), safe_dir_(std::move(safe_dir)) {}
  std::vector<std::string> ids;  // objects that exist: pods, containers, images

  void Fill(Message* m, int depth) {
    const Descriptor* d = m->GetDescriptor();
    const Reflection* r = m->GetReflection();
    for (int i = 0; i < d->field_count(); ++i) {
      const FieldDescriptor* f = d->field(i);
      if (Roll(3) && depth > 0) continue;  // many fields stay unset
      if (f->is_repeated()) {
        const int n = static_cast<int>(rng_() % 4);
        for (int k = 0; k < n; ++k) AddOne(m, r, f, depth);
      } else {
        SetOne(m, r, f, depth);
      }
    }
  }

 private:
  bool Roll(int one_in) { return rng_() % one_in == 0; }

  std::string String(const FieldDescriptor* f) {
    const std::string& name = f->name();
    // Paths land under the test's dir; the cgroup parent under ours.
    if (name.find("path") != std::string::npos || name.find("directory") != std::string::npos)
      return Roll(2) ? safe_dir_ + "/" + Junk(12) : Junk(20);
    if (name == "cgroup_parent") return std::string(kRandomCgroup) + "/" + Junk(6);
    if (name == "runtime_handler") return Roll(2) ? "" : Junk(8);
    switch (rng_() % 8) {
      case 0: return "";
      case 1: return ids.empty() ? "x" : ids[rng_() % ids.size()];
      case 2: return std::string(64 * 1024 + rng_() % 1024, 'A');
      case 3: return std::string("nul\0inside\n", 11);
      case 4: return "../../../etc/passwd";
      default: return Junk(1 + static_cast<int>(rng_() % 40));
    }
  }

  // Valid UTF-8 only: proto3 strings must be, Go's protobuf (kubelet's,
  // crictl's) cannot send anything else, and gRPC's own parser refuses it
  // (INTERNAL, before any handler of berth's runs).
  std::string Junk(int n) {
    static const char* kUnits[] = {"a", "b", "z", "0", "9", "-", ".", "_", "/", ":", "@", " ", "\t", "\x01", "\xc3\xa9", "\xe2\x82\xac"};
    std::string s;
    for (int i = 0; i < n; ++i) s += kUnits[rng_() % std::size(kUnits)];
    return s;
  }

  int64_t Number() {
    static const int64_t kEdges[] = {0, 1, -1, 2, 7, 255, 65535, 65536, -65536, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN};
    return Roll(2) ? kEdges[rng_() % std::size(kEdges)] : static_cast<int64_t>(rng_() % 100000);
  }

  void SetOne(Message* m, const Reflection* r, const FieldDescriptor* f, int depth) {
    using T = FieldDescriptor;
    switch (f->cpp_type()) {
      case T::CPPTYPE_STRING: r->SetString(m, f, String(f)); break;
      case T::CPPTYPE_INT32: r->SetInt32(m, f, static_cast<int32_t>(Number())); break;
      case T::CPPTYPE_INT64: r->SetInt64(m, f, Number()); break;
      case T::CPPTYPE_UINT32: r->SetUInt32(m, f, static_cast<uint32_t>(Number())); break;
      case T::CPPTYPE_UINT64: r->SetUInt64(m, f, static_cast<uint64_t>(Number())); break;
      case T::CPPTYPE_BOOL: r->SetBool(m, f, Roll(2)); break;
      case T::CPPTYPE_DOUBLE: r->SetDouble(m, f, static_cast<double>(Number())); break;
      case T::CPPTYPE_FLOAT: r->SetFloat(m, f, static_cast<float>(Number())); break;
      case T::CPPTYPE_ENUM: r->SetEnumValue(m, f, static_cast<int>(rng_() % 6) - 1); break;
      case T::CPPTYPE_MESSAGE:
        if (depth < 4) Fill(r->MutableMessage(m, f), depth + 1);
        break;
    }
  }

  void AddOne(Message* m, const Reflection* r, const FieldDescriptor* f, int depth) {
    using T = FieldDescriptor;
    switch (f->cpp_type()) {
      case T::CPPTYPE_STRING: r->AddString(m, f, String(f)); break;
      case T::CPPTYPE_INT32: r->AddInt32(m, f, static_cast<int32_t>(Number())); break;
      case T::CPPTYPE_INT64: r->AddInt64(m, f, Number()); break;
      case T::CPPTYPE_UINT32: r->AddUInt32(m, f, static_cast<uint32_t>(Number())); break;
      case T::CPPTYPE_UINT64: r->AddUInt64(m, f, static_cast<uint64_t>(Number())); break;
      case T::CPPTYPE_BOOL: r->AddBool(m, f, Roll(2)); break;
      case T::CPPTYPE_DOUBLE: r->AddDouble(m, f, static_cast<double>(Number())); break;
      case T::CPPTYPE_FLOAT: r->AddFloat(m, f, static_cast<float>(Number())); break;
      case T::CPPTYPE_ENUM: r->AddEnumValue(m, f, static_cast<int>(rng_() % 6) - 1); break;
      case T::CPPTYPE_MESSAGE:  // map entries are messages too (key, value)
        if (depth < 4) Fill(r->AddMessage(m, f), depth + 1);
        break;
    }
  }

  std::mt19937_64 rng_;
  std::string safe_dir_;
};

// The codes a CRI call may answer a client with (besides OK).
bool ClientCode(grpc::StatusCode c) {
  using S = grpc::StatusCode;
  static const std::set<S> kOk = {S::INVALID_ARGUMENT, S::NOT_FOUND,         S::ALREADY_EXISTS,
                                  S::FAILED_PRECONDITION, S::DEADLINE_EXCEEDED, S::UNIMPLEMENTED,
                                  S::RESOURCE_EXHAUSTED, S::UNAVAILABLE};
  return kOk.contains(c);
}

class RandomClientTest : public ContainerFixture {};

TEST_F(RandomClientTest, EveryRpcWithRandomRequestsAnswersAClientCodeAndBerthdStaysUp) {
  const uint64_t calls = RandomEnv("BERTH_RANDOM_CALLS", 600), seed = RandomEnv("BERTH_RANDOM_SEED", std::random_device{}());
  std::cout << "random client: " << calls << " calls, seed " << seed << " (BERTH_RANDOM_SEED=" << seed
            << " repeats it)" << std::endl;
  StartBerthd(1, "berthrnd", 184);
  auto preq = PodRequest("rnd");
  preq.mutable_config()->mutable_linux()->set_cgroup_parent(kRandomCgroup);
  const std::string pod = MustRunPod(preq);
  auto creq = CtrRequest(pod, "target", {"sleep", "3600"});
  const std::string ctr = MustRunContainer(creq);

  RandomFiller filler(seed, work_ / "rnd");
  filler.ids = {pod, ctr, pod.substr(0, 12), ctr.substr(0, 6), Image()};
  std::vector<const google::protobuf::MethodDescriptor*> methods;
  const auto* file = runtime::v1::VersionRequest::descriptor()->file();
  for (const auto* svc : {file->FindServiceByName("RuntimeService"), file->FindServiceByName("ImageService")}) {
    ASSERT_NE(svc, nullptr);
    for (int i = 0; i < svc->method_count(); ++i) {
      const auto* m = svc->method(i);
      if (m->client_streaming() || m->server_streaming()) continue;  // GetContainerEvents: the events tests
      methods.push_back(m);
    }
  }
  auto channel = grpc::CreateChannel(berthd_->endpoint(), grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  std::mt19937_64 pick(seed ^ 0x5eed);
  std::map<std::string, std::map<grpc::StatusCode, int>> seen;
  for (uint64_t i = 0; i < calls; ++i) {
    const auto* method = methods[pick() % methods.size()];
    std::unique_ptr<Message> req(
        google::protobuf::MessageFactory::generated_factory()->GetPrototype(method->input_type())->New());
    filler.Fill(req.get(), 0);
    // No pull may leave the machine: refs go to the test registry or a closed local port.
    if (auto* pull = dynamic_cast<runtime::v1::PullImageRequest*>(req.get())) {
      // Cut at a character boundary: a split UTF-8 sequence would be refused by gRPC itself.
      const std::string& ref = pull->image().image();
      size_t cut = std::min<size_t>(30, ref.size());
      while (cut > 0 && cut < ref.size() && (static_cast<unsigned char>(ref[cut]) & 0xc0) == 0x80) --cut;
      const std::string junk = ref.substr(0, cut);
      pull->mutable_image()->set_image(pick() % 2 ? Image() : "127.0.0.1:1/rnd/" + junk);
    }
    std::string bytes;
    ASSERT_TRUE(req->SerializeToString(&bytes));
    grpc::Slice slice(bytes);
    grpc::ByteBuffer in(&slice, 1), out;
    auto ctx = Ctx(30);
    const std::string path = "/" + method->service()->full_name() + "/" + method->name();
    auto call = stub.PrepareUnaryCall(ctx.get(), path, in, &cq);
    call->StartCall();
    grpc::Status st;
    call->Finish(&out, &st, reinterpret_cast<void*>(i + 1));
    void* tag = nullptr;
    bool ok = false;
    ASSERT_TRUE(cq.Next(&tag, &ok));
    ++seen[method->name()][st.error_code()];
    if (!st.ok() && !ClientCode(st.error_code())) {
      ADD_FAILURE() << "call " << i << " " << method->name() << " answered " << st.error_code() << ": "
                    << st.error_message().substr(0, 500) << "\nrequest: " << req->ShortDebugString().substr(0, 800);
    }
    EXPECT_LE(st.error_message().size(), 2200u) << method->name();
    // A dead berthd answers nothing but UNAVAILABLE (and lingers as a zombie of ours, so kill(0) passes).
    ASSERT_FALSE(st.error_code() == grpc::StatusCode::UNAVAILABLE &&
                 st.error_message().find("failed to connect") != std::string::npos)
        << "berthd is gone at call " << i << " (" << method->name() << ")\nrequest: "
        << req->ShortDebugString().substr(0, 800) << "\n" << berthd_->log().substr(0, 20000);
    ASSERT_EQ(::kill(berthd_->pid(), 0), 0) << "berthd died at call " << i << " (" << method->name() << ")\n"
                                            << berthd_->log().substr(0, 20000);
  }
  cq.Shutdown();
  for (const auto& [name, codes] : seen) {
    std::cout << name << ":";
    for (const auto& [code, n] : codes) std::cout << " " << code << "x" << n;
    std::cout << "\n";
  }
  // What the calls made goes, and the fixture's own pod still works.
  for (const auto& p : ListPods()) {
    if (p.id() == pod) continue;
    EXPECT_TRUE(StopPod(p.id()).ok());
    EXPECT_TRUE(RemovePod(p.id()).ok()) << p.id();
  }
  runtime::v1::ExecSyncResponse ex;
  Exec(ctr, {"true"}, 10, &ex);
  ASSERT_TRUE(StopPod(pod).ok());
  ASSERT_TRUE(RemovePod(pod).ok());
  EXPECT_TRUE(ListPods().empty());
  ExpectNothingLeaked(layout(), work_ / "ipam", kRandomCgroup);
}

}  // namespace
}  // namespace berth::testing
