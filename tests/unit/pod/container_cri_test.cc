// Container records as the CRI sees them: states and exit reasons, the
// status and list item filled from a record (the config it keeps as JSON
// included), the ListContainers filter (ids and pod ids by unique prefix,
// state, labels, oldest first), and the protobuf JSON a record stores.
#include "pod/container_cri.h"

#include <gtest/gtest.h>

#include "storage/base/error.h"

namespace berth::pod {
namespace {

namespace v1 = runtime::v1;

Container Make(const std::string& id, const std::string& sandbox, ContainerState st, int64_t created,
               std::map<std::string, std::string> labels = {}) {
  Container c;
  c.id = id;
  c.sandbox_id = sandbox;
  c.name = "ctr-" + id;
  c.state = st;
  c.created_at = created;
  c.labels = std::move(labels);
  return c;
}

std::vector<std::string> Ids(const SharedContainers& v) {
  std::vector<std::string> out;
  for (const auto& c : v) out.push_back(c->id);
  return out;
}

TEST(ContainerCri, StatesMapOneToOne) {
  EXPECT_EQ(ToCri(ContainerState::kCreated), v1::CONTAINER_CREATED);
  EXPECT_EQ(ToCri(ContainerState::kRunning), v1::CONTAINER_RUNNING);
  EXPECT_EQ(ToCri(ContainerState::kExited), v1::CONTAINER_EXITED);
}

TEST(ContainerCri, ExitReasonOnlyForExitedContainersWithOomFirst) {
  Container c;
  c.exit_code = 1;
  c.oom_killed = true;
  for (ContainerState st : {ContainerState::kCreated, ContainerState::kRunning}) {
    c.state = st;
    EXPECT_EQ(ExitReason(c), "");
  }
  c.state = ContainerState::kExited;
  EXPECT_EQ(ExitReason(c), "OOMKilled");
  c.exit_code = 0;
  EXPECT_EQ(ExitReason(c), "OOMKilled");  // killed for memory, whatever its exit code
  c.oom_killed = false;
  EXPECT_EQ(ExitReason(c), "Completed");
  c.exit_code = 137;
  EXPECT_EQ(ExitReason(c), "Error");
  c.exit_code = -1;
  EXPECT_EQ(ExitReason(c), "Error");
}

TEST(ContainerCri, FillStatusFromTheRecordAndItsConfig) {
  v1::ContainerConfig config;
  config.mutable_image()->set_image("busybox");  // as requested; the record's image wins
  (*config.mutable_image()->mutable_annotations())["io.kubernetes.image"] = "kept";
  config.mutable_image()->set_user_specified_image("busybox");
  auto* m = config.add_mounts();
  m->set_container_path("/data");
  m->set_host_path("/srv/data");
  m->set_readonly(true);
  v1::LinuxContainerResources res;
  res.set_memory_limit_in_bytes(134217728);
  res.set_cpu_shares(512);

  Container c = Make("c1", "s1", ContainerState::kExited, 100, {{"app", "web"}});
  c.attempt = 3;
  c.started_at = 200;
  c.finished_at = 300;
  c.exit_code = 2;
  c.message = "exited with 2";
  c.image = "docker.io/library/busybox:latest";
  c.image_ref = "docker.io/library/busybox@sha256:ref";
  c.image_id = "sha256:id";
  c.annotations = {{"note", "x"}};
  c.log_path = "/var/log/pods/p/ctr/3.log";
  c.config_json = ToJson(config);
  c.resources_json = ToJson(res);

  v1::ContainerStatus s;
  FillStatus(c, &s);
  EXPECT_EQ(s.id(), "c1");
  EXPECT_EQ(s.metadata().name(), "ctr-c1");
  EXPECT_EQ(s.metadata().attempt(), 3u);
  EXPECT_EQ(s.state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(s.created_at(), 100);
  EXPECT_EQ(s.started_at(), 200);
  EXPECT_EQ(s.finished_at(), 300);
  EXPECT_EQ(s.exit_code(), 2);
  EXPECT_EQ(s.reason(), "Error");
  EXPECT_EQ(s.message(), "exited with 2");
  EXPECT_EQ(s.image().image(), "docker.io/library/busybox:latest");
  EXPECT_EQ(s.image().annotations().at("io.kubernetes.image"), "kept");
  EXPECT_EQ(s.image().user_specified_image(), "busybox");
  EXPECT_EQ(s.image_ref(), "docker.io/library/busybox@sha256:ref");
  EXPECT_EQ(s.image_id(), "sha256:id");
  EXPECT_EQ(s.labels().at("app"), "web");
  EXPECT_EQ(s.annotations().at("note"), "x");
  ASSERT_EQ(s.mounts_size(), 1);
  EXPECT_EQ(s.mounts(0).host_path(), "/srv/data");
  EXPECT_TRUE(s.mounts(0).readonly());
  EXPECT_EQ(s.log_path(), "/var/log/pods/p/ctr/3.log");
  EXPECT_EQ(s.resources().linux().memory_limit_in_bytes(), 134217728);
  EXPECT_EQ(s.resources().linux().cpu_shares(), 512);
}

TEST(ContainerCri, FillStatusWithoutStoredJsonLeavesThoseFieldsEmpty) {
  Container c = Make("c2", "s1", ContainerState::kRunning, 1);
  c.image = "img";
  v1::ContainerStatus s;
  FillStatus(c, &s);
  EXPECT_EQ(s.image().image(), "img");
  EXPECT_EQ(s.mounts_size(), 0);
  EXPECT_EQ(s.reason(), "");
  EXPECT_EQ(s.resources().linux().memory_limit_in_bytes(), 0);
}

TEST(ContainerCri, AStoredConfigThatIsNoConfigIsAnErrorNamingTheContainer) {
  Container c = Make("c3", "s1", ContainerState::kCreated, 1);
  c.config_json = "{\"no_such_field\": 1}";
  v1::ContainerStatus s;
  try {
    FillStatus(c, &s);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("container c3 config: not a runtime.v1.ContainerConfig"), std::string::npos)
        << e.what();
  }
  c.config_json.clear();
  c.resources_json = "[1, 2]";
  EXPECT_THROW(FillStatus(c, &s), Error);
}

TEST(ContainerCri, FillListItem) {
  Container c = Make("c4", "s9", ContainerState::kRunning, 42, {{"k", "v"}});
  c.attempt = 1;
  c.image = "nginx";
  c.image_ref = "nginx@sha256:r";
  c.image_id = "sha256:i";
  c.annotations = {{"a", "b"}};
  v1::Container out;
  FillListItem(c, &out);
  EXPECT_EQ(out.id(), "c4");
  EXPECT_EQ(out.pod_sandbox_id(), "s9");
  EXPECT_EQ(out.metadata().name(), "ctr-c4");
  EXPECT_EQ(out.metadata().attempt(), 1u);
  EXPECT_EQ(out.image().image(), "nginx");
  EXPECT_EQ(out.image_ref(), "nginx@sha256:r");
  EXPECT_EQ(out.image_id(), "sha256:i");
  EXPECT_EQ(out.state(), v1::CONTAINER_RUNNING);
  EXPECT_EQ(out.created_at(), 42);
  EXPECT_EQ(out.labels().at("k"), "v");
  EXPECT_EQ(out.annotations().at("a"), "b");
}

class ContainerFilterTest : public ::testing::Test {
 protected:
  static std::shared_ptr<const Container> Shared(Container c) { return std::make_shared<const Container>(std::move(c)); }
  SharedContainers all{Shared(Make("aaa111", "pod123", ContainerState::kRunning, 30, {{"app", "web"}})),
                       Shared(Make("aab222", "pod123", ContainerState::kExited, 10, {{"app", "web"}, {"v", "2"}})),
                       Shared(Make("bbb333", "pod456", ContainerState::kRunning, 20, {{"app", "db"}})),
                       Shared(Make("ccc444", "qux789", ContainerState::kCreated, 40))};
  v1::ContainerFilter f;
};

TEST_F(ContainerFilterTest, NoFilterIsEverythingOldestFirst) {
  EXPECT_EQ(Ids(FilterContainers(all, f)), (std::vector<std::string>{"aab222", "bbb333", "aaa111", "ccc444"}));
}

TEST_F(ContainerFilterTest, IdExactOrUniquePrefix) {
  f.set_id("bbb333");
  EXPECT_EQ(Ids(FilterContainers(all, f)), std::vector<std::string>{"bbb333"});
  f.set_id("aab");
  EXPECT_EQ(Ids(FilterContainers(all, f)), std::vector<std::string>{"aab222"});
  f.set_id("aa");  // ambiguous
  EXPECT_TRUE(FilterContainers(all, f).empty());
}

TEST_F(ContainerFilterTest, PodIdExactOrUniquePrefix) {
  f.set_pod_sandbox_id("pod123");
  EXPECT_EQ(Ids(FilterContainers(all, f)), (std::vector<std::string>{"aab222", "aaa111"}));
  f.set_pod_sandbox_id("q");  // crictl ps -p <prefix>
  EXPECT_EQ(Ids(FilterContainers(all, f)), std::vector<std::string>{"ccc444"});
  f.set_pod_sandbox_id("pod");  // two pods match: none selected
  EXPECT_TRUE(FilterContainers(all, f).empty());
  f.set_pod_sandbox_id("nope");
  EXPECT_TRUE(FilterContainers(all, f).empty());
}

TEST_F(ContainerFilterTest, StateAndLabels) {
  f.mutable_state()->set_state(v1::CONTAINER_RUNNING);
  EXPECT_EQ(Ids(FilterContainers(all, f)), (std::vector<std::string>{"bbb333", "aaa111"}));
  (*f.mutable_label_selector())["app"] = "web";
  EXPECT_EQ(Ids(FilterContainers(all, f)), std::vector<std::string>{"aaa111"});
  f.clear_state();
  (*f.mutable_label_selector())["v"] = "2";
  EXPECT_EQ(Ids(FilterContainers(all, f)), std::vector<std::string>{"aab222"});
  // A set state of CREATED (the enum's zero) still filters.
  v1::ContainerFilter created;
  created.mutable_state()->set_state(v1::CONTAINER_CREATED);
  EXPECT_EQ(Ids(FilterContainers(all, created)), std::vector<std::string>{"ccc444"});
}

TEST_F(ContainerFilterTest, IdAndPodIdTogether) {
  f.set_id("aaa");
  f.set_pod_sandbox_id("pod4");  // aaa111 is in pod123
  EXPECT_TRUE(FilterContainers(all, f).empty());
  f.set_pod_sandbox_id("pod1");
  EXPECT_EQ(Ids(FilterContainers(all, f)), std::vector<std::string>{"aaa111"});
}

TEST(ContainerCriJson, RoundTripsAMessage) {
  v1::ContainerConfig in;
  in.mutable_metadata()->set_name("app");
  in.add_command("/bin/sh");
  (*in.mutable_labels())["k"] = "v";
  const std::string text = ToJson(in);
  EXPECT_NE(text.find("\"metadata\""), std::string::npos) << text;
  v1::ContainerConfig out;
  FromJson(text, &out, "test");
  EXPECT_EQ(out.SerializeAsString(), in.SerializeAsString());
}

TEST(ContainerCriJson, EmptyJsonLeavesTheMessageAndBadJsonNamesWhat) {
  v1::ContainerConfig m;
  m.mutable_metadata()->set_name("kept");
  FromJson("", &m, "unused");
  EXPECT_EQ(m.metadata().name(), "kept");
  try {
    FromJson("{not json", &m, "container x config");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("container x config: not a runtime.v1.ContainerConfig: ", 0), 0u)
        << e.what();
  }
}

}  // namespace
}  // namespace berth::pod
