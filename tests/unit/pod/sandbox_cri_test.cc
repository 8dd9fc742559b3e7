// RunPodSandbox request validation, ListPodSandbox filters and the sandbox
// record's JSON round trip.
#include <gtest/gtest.h>

#include "storage/base/error.h"
#include "pod/sandbox_cri.h"

namespace berth::pod {
namespace {

runtime::v1::RunPodSandboxRequest ValidRequest() {
  runtime::v1::RunPodSandboxRequest req;
  auto* md = req.mutable_config()->mutable_metadata();
  md->set_name("web");
  md->set_namespace_("default");
  md->set_uid("uid-1");
  md->set_attempt(2);
  return req;
}

std::optional<Code> CodeOf(const runtime::v1::RunPodSandboxRequest& req, const config::Config& cfg, std::string* msg) {
  try {
    SandboxFromRequest(req, cfg);
    return std::nullopt;
  } catch (const Error& e) {
    *msg = e.what();
    return e.code();
  }
}

TEST(SandboxFromRequest, CopiesTheConfig) {
  auto cfg = config::Config::Defaults();
  auto req = ValidRequest();
  auto* c = req.mutable_config();
  c->set_hostname("web-0");
  (*c->mutable_labels())["app"] = "web";
  c->mutable_dns_config()->add_servers("10.96.0.10");
  auto* pm = c->add_port_mappings();
  pm->set_protocol(runtime::v1::UDP);
  pm->set_container_port(53);
  pm->set_host_port(5353);
  c->add_port_mappings()->set_container_port(80);  // no host port: not published
  auto* ns = c->mutable_linux()->mutable_security_context()->mutable_namespace_options();
  ns->set_pid(runtime::v1::POD);
  ns->set_network(runtime::v1::NODE);
  std::string msg;
  EXPECT_EQ(CodeOf(req, cfg, &msg), Code::kInvalidArgument);  // host network has the host's name
  EXPECT_NE(msg.find("config.hostname \"web-0\""), std::string::npos) << msg;
  c->clear_hostname();
  Sandbox sb = SandboxFromRequest(req, cfg);
  EXPECT_EQ(sb.NameKey(), "web_default_uid-1_2");
  EXPECT_EQ(sb.runtime_handler, cfg.runtime.default_handler);
  EXPECT_EQ(sb.requested_handler, "");  // reported back as the request named it
  EXPECT_EQ(sb.labels.at("app"), "web");
  EXPECT_EQ(sb.dns.servers, std::vector<std::string>{"10.96.0.10"});
  ASSERT_EQ(sb.port_mappings.size(), 1u);
  EXPECT_EQ(sb.port_mappings[0].protocol, "udp");
  EXPECT_EQ(sb.port_mappings[0].host_port, 5353);
  EXPECT_EQ(sb.ns.pid, NsMode::kPod);
  EXPECT_TRUE(sb.host_network());
}

TEST(SandboxFromRequest, RefusesMissingMetadata) {
  auto cfg = config::Config::Defaults();
  std::string msg;
  for (const char* field : {"name", "namespace", "uid"}) {
    auto req = ValidRequest();
    auto* md = req.mutable_config()->mutable_metadata();
    if (std::string(field) == "name") md->clear_name();
    if (std::string(field) == "namespace") md->clear_namespace_();
    if (std::string(field) == "uid") md->clear_uid();
    EXPECT_EQ(CodeOf(req, cfg, &msg), Code::kInvalidArgument) << field;
    EXPECT_NE(msg.find(std::string("metadata.") + field), std::string::npos) << msg;
  }
  runtime::v1::RunPodSandboxRequest empty;
  EXPECT_EQ(CodeOf(empty, cfg, &msg), Code::kInvalidArgument);
}

TEST(SandboxFromRequest, RefusesAnUnknownHandlerByName) {
  auto cfg = config::Config::Defaults();
  auto req = ValidRequest();
  req.set_runtime_handler("kata-nope");
  std::string msg;
  EXPECT_EQ(CodeOf(req, cfg, &msg), Code::kInvalidArgument);
  EXPECT_NE(msg.find("kata-nope"), std::string::npos) << msg;
}

TEST(SandboxFromRequest, KeepsTheHandlerAsRequested) {
  auto cfg = config::Config::Defaults();
  auto req = ValidRequest();
  req.set_runtime_handler("runc");
  Sandbox sb = SandboxFromRequest(req, cfg);
  EXPECT_EQ(sb.requested_handler, "runc");
  runtime::v1::PodSandboxStatus st;
  FillStatus(sb, &st);
  EXPECT_EQ(st.runtime_handler(), "runc");
  sb.requested_handler.clear();
  FillStatus(sb, &st);
  EXPECT_EQ(st.runtime_handler(), "");
  runtime::v1::PodSandbox item;
  FillListItem(sb, &item);
  EXPECT_EQ(item.runtime_handler(), "");
}

TEST(SandboxFromRequest, ASandboxRuntimeSharesNoHostPidOrIpc) {
  auto cfg = config::Config::Defaults();
  auto req = ValidRequest();
  req.set_runtime_handler("runsc");
  auto* ns = req.mutable_config()->mutable_linux()->mutable_security_context()->mutable_namespace_options();
  ns->set_network(runtime::v1::NODE);
  EXPECT_NO_THROW(SandboxFromRequest(req, cfg));  // host network: the sandbox uses the host's stack
  std::string msg;
  ns->set_pid(runtime::v1::NODE);
  EXPECT_EQ(CodeOf(req, cfg, &msg), Code::kInvalidArgument);
  EXPECT_NE(msg.find("\"runsc\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("PID"), std::string::npos) << msg;
  ns->set_pid(runtime::v1::POD);
  ns->set_ipc(runtime::v1::NODE);
  EXPECT_EQ(CodeOf(req, cfg, &msg), Code::kInvalidArgument);
  EXPECT_NE(msg.find("IPC"), std::string::npos) << msg;
  req.set_runtime_handler("runc");
  EXPECT_NO_THROW(SandboxFromRequest(req, cfg));
}

TEST(SandboxFromRequest, RefusesAUserNamespaceNamingTheField) {
  auto cfg = config::Config::Defaults();
  auto req = ValidRequest();
  auto* ns = req.mutable_config()->mutable_linux()->mutable_security_context()->mutable_namespace_options();
  ns->mutable_userns_options()->set_mode(runtime::v1::NODE);
  EXPECT_NO_THROW(SandboxFromRequest(req, cfg));  // the host's: what kubelet sends with hostUsers
  std::string msg;
  for (auto mode : {runtime::v1::POD, runtime::v1::CONTAINER, runtime::v1::TARGET}) {
    ns->mutable_userns_options()->set_mode(mode);
    EXPECT_EQ(CodeOf(req, cfg, &msg), Code::kInvalidArgument) << mode;
    EXPECT_NE(msg.find("namespace_options.userns_options"), std::string::npos) << msg;
  }
}

TEST(SandboxFromRequest, RefusesANodeLevelSysctl) {
  auto cfg = config::Config::Defaults();
  auto req = ValidRequest();
  (*req.mutable_config()->mutable_linux()->mutable_sysctls())["kernel.panic"] = "10";
  std::string msg;
  EXPECT_EQ(CodeOf(req, cfg, &msg), Code::kInvalidArgument);
  EXPECT_NE(msg.find("kernel.panic"), std::string::npos) << msg;
}

std::shared_ptr<const Sandbox> Make(const std::string& id, SandboxState st, std::map<std::string, std::string> labels,
                                     int64_t created) {
  Sandbox s;
  s.id = id;
  s.state = st;
  s.labels = std::move(labels);
  s.created_at = created;
  return std::make_shared<const Sandbox>(std::move(s));
}

std::vector<std::string> Ids(const SharedSandboxes& v) {
  std::vector<std::string> out;
  for (const auto& s : v) out.push_back(s->id);
  return out;
}

class Filter : public ::testing::Test {
 protected:
  SharedSandboxes all{Make("abc123", SandboxState::kReady, {{"app", "web"}, {"tier", "front"}}, 3),
                           Make("abd456", SandboxState::kNotReady, {{"app", "web"}}, 1),
                           Make("ff0000", SandboxState::kReady, {{"app", "db"}}, 2)};
  runtime::v1::PodSandboxFilter f;
};

TEST_F(Filter, NoneSelectsAllOldestFirst) {
  EXPECT_EQ(Ids(FilterSandboxes(all, f)), (std::vector<std::string>{"abd456", "ff0000", "abc123"}));
}

TEST_F(Filter, IdExactOrUniquePrefix) {
  f.set_id("abc123");
  EXPECT_EQ(Ids(FilterSandboxes(all, f)), std::vector<std::string>{"abc123"});
  f.set_id("ff");
  EXPECT_EQ(Ids(FilterSandboxes(all, f)), std::vector<std::string>{"ff0000"});
  f.set_id("ab");  // ambiguous
  EXPECT_TRUE(FilterSandboxes(all, f).empty());
  f.set_id("zz");
  EXPECT_TRUE(FilterSandboxes(all, f).empty());
}

TEST_F(Filter, State) {
  f.mutable_state()->set_state(runtime::v1::SANDBOX_NOTREADY);
  EXPECT_EQ(Ids(FilterSandboxes(all, f)), std::vector<std::string>{"abd456"});
  f.mutable_state()->set_state(runtime::v1::SANDBOX_READY);
  EXPECT_EQ(Ids(FilterSandboxes(all, f)), (std::vector<std::string>{"ff0000", "abc123"}));
}

TEST_F(Filter, EveryLabelMustMatch) {
  (*f.mutable_label_selector())["app"] = "web";
  EXPECT_EQ(Ids(FilterSandboxes(all, f)), (std::vector<std::string>{"abd456", "abc123"}));
  (*f.mutable_label_selector())["tier"] = "front";
  EXPECT_EQ(Ids(FilterSandboxes(all, f)), std::vector<std::string>{"abc123"});
  (*f.mutable_label_selector())["tier"] = "back";
  EXPECT_TRUE(FilterSandboxes(all, f).empty());
}

TEST_F(Filter, IdStateAndLabelsTogether) {
  f.set_id("abd");
  f.mutable_state()->set_state(runtime::v1::SANDBOX_READY);
  EXPECT_TRUE(FilterSandboxes(all, f).empty());
}

TEST(SandboxRecord, JsonRoundTrip) {
  Sandbox s;
  s.id = NewId();
  s.name = "web";
  s.pod_namespace = "ns";
  s.uid = "u";
  s.attempt = 3;
  s.state = SandboxState::kReady;
  s.created_at = 1700000000123456789;
  s.labels = {{"a", "b"}};
  s.annotations = {{"c", "d"}};
  s.runtime_handler = "runc";
  s.ns = {NsMode::kNode, NsMode::kPod, NsMode::kPod, "t"};
  s.dns = {{"1.1.1.1"}, {"x"}, {"ndots:2"}};
  s.port_mappings = {{"tcp", 80, 8080, "127.0.0.1"}};
  s.sysctls = {{"net.core.somaxconn", "1024"}};
  s.run_as_user = 0;
  s.ips = {"10.0.0.2", "fd00::2"};
  s.pause_pid = 42;
  s.runtime_type = config::RuntimeType::kSandbox;
  s.runtime_args = {"--network=host"};
  Sandbox back = nlohmann::json(s).get<Sandbox>();
  EXPECT_EQ(back.runtime_type, config::RuntimeType::kSandbox);
  EXPECT_EQ(back.runtime_args, s.runtime_args);
  EXPECT_EQ(nlohmann::json(back), nlohmann::json(s));
  EXPECT_EQ(back.run_as_user, std::optional<int64_t>(0));
  EXPECT_FALSE(back.run_as_group.has_value());
  EXPECT_EQ(back.port_mappings[0].host_port, 8080);
  EXPECT_EQ(s.id.size(), 64u);
  EXPECT_EQ(s.id.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(SandboxStatus, FillsNetworkAndNamespaces) {
  Sandbox s = *Make("abc", SandboxState::kReady, {{"a", "b"}}, 7);
  s.ips = {"10.0.0.2", "fd00::2"};
  s.ns.pid = NsMode::kPod;
  runtime::v1::PodSandboxStatus st;
  FillStatus(s, &st);
  EXPECT_EQ(st.network().ip(), "10.0.0.2");
  ASSERT_EQ(st.network().additional_ips_size(), 1);
  EXPECT_EQ(st.network().additional_ips(0).ip(), "fd00::2");
  EXPECT_EQ(st.linux().namespaces().options().pid(), runtime::v1::POD);
  EXPECT_EQ(st.state(), runtime::v1::SANDBOX_READY);
  EXPECT_EQ(st.created_at(), 7);
}

}  // namespace
}  // namespace berth::pod
