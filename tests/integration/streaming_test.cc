// Exec, Attach and PortForward end to end over SPDY, as kubectl, crictl and
// the kubelet speak it: a real berthd, runc and berth-conmon, the client of
// tests/support/spdy_client.h. What the container sees (stdin, terminal
// size) and what the client gets (stdout and stderr apart, exit codes on
// the error stream), tokens, refusals, and that a client that goes away
// leaves no process behind; the same over WebSocket (tests/support/ws_client.h).
// Bridge berthstr<n> on 10.190.<n>.0/24.
#include <nlohmann/json.hpp>

#include <atomic>
#include <future>

#include "tests/support/ws_client.h"  // first: it brings in Asio with its warning exemption
#include "tests/integration/container_fixture.h"
#include "tests/support/spdy_client.h"

namespace berth::testing {
namespace {

const std::vector<std::string> kV4{"v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io"};

struct ExecOutcome {
  std::string out, err, status;  // stdout, stderr, the error stream
};

class StreamingTest : public ContainerFixture {
 protected:
  // A pod with one container running `cmd`.
  std::string Running(int n, std::vector<std::string> cmd, bool stdin_open = false, bool tty = false,
                      bool stdin_once = false) {
    StartBerthd(n, "berthstr", 190);
    pod_ = RunPod("str" + std::to_string(n));
    auto req = CtrRequest(pod_, "main", std::move(cmd));
    req.mutable_config()->set_stdin(stdin_open);
    req.mutable_config()->set_stdin_once(stdin_once);
    req.mutable_config()->set_tty(tty);
    return MustRunContainer(req);
  }

  std::string ExecUrl(const std::string& ctr, std::vector<std::string> cmd, bool in, bool out, bool err, bool tty,
                      grpc::Status* st = nullptr) {
    runtime::v1::ExecRequest req;
    req.set_container_id(ctr);
    for (auto& a : cmd) req.add_cmd(a);
    req.set_stdin(in);
    req.set_stdout(out);
    req.set_stderr(err);
    req.set_tty(tty);
    runtime::v1::ExecResponse resp;
    auto s = berthd_->runtime().Exec(Ctx().get(), req, &resp);
    if (st) *st = s;
    else EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.url();
  }

  std::string AttachUrl(const std::string& ctr, bool in, bool out, bool err, bool tty, grpc::Status* st = nullptr) {
    runtime::v1::AttachRequest req;
    req.set_container_id(ctr);
    req.set_stdin(in);
    req.set_stdout(out);
    req.set_stderr(err);
    req.set_tty(tty);
    runtime::v1::AttachResponse resp;
    auto s = berthd_->runtime().Attach(Ctx().get(), req, &resp);
    if (st) *st = s;
    else EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.url();
  }

  std::string PortForwardUrl(const std::string& pod, std::vector<int32_t> ports, grpc::Status* st = nullptr) {
    runtime::v1::PortForwardRequest req;
    req.set_pod_sandbox_id(pod);
    for (int32_t p : ports) req.add_port(p);
    runtime::v1::PortForwardResponse resp;
    auto s = berthd_->runtime().PortForward(Ctx().get(), req, &resp);
    if (st) *st = s;
    else EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.url();
  }

  // An exec without tty: `input` on stdin (then EOF), both outputs apart.
  ExecOutcome RunExec(const std::string& ctr, std::vector<std::string> cmd, const std::string* input = nullptr) {
    const std::string url = ExecUrl(ctr, std::move(cmd), input != nullptr, true, true, false);
    SpdyClient c;
    EXPECT_EQ(c.Connect(url, kV4), 101) << c.response();
    EXPECT_EQ(c.protocol(), "v4.channel.k8s.io");
    auto error = c.OpenChannel("error");
    std::shared_ptr<spdy::Stream> in;
    if (input) in = c.OpenChannel("stdin");
    auto out = c.OpenChannel("stdout");
    auto err = c.OpenChannel("stderr");
    if (in) {
      EXPECT_TRUE(in->Write(*input));
      in->CloseWrite();
    }
    auto out_text = std::async(std::launch::async, [&] { return ReadAll(*out); });
    auto err_text = std::async(std::launch::async, [&] { return ReadAll(*err); });
    ExecOutcome o;
    o.status = ReadAll(*error);
    o.out = out_text.get();
    o.err = err_text.get();
    c.Close();
    return o;
  }

  // A process of the container runs `needle` (ps inside it).
  bool ProcessRuns(const std::string& ctr, const std::string& needle) {
    runtime::v1::ExecSyncResponse ps;
    Exec(ctr, {"ps", "-o", "args"}, 10, &ps);
    return ps.stdout().find(needle) != std::string::npos;
  }

  std::string pod_;
};

TEST_F(StreamingTest, ExecWithoutTtyKeepsOutputsApartAndReportsExitCodes) {
  const std::string ctr = Running(1, {"sleep", "3600"});
  ExecOutcome ok = RunExec(ctr, {"sh", "-c", "echo out; echo err >&2"});
  EXPECT_EQ(ok.out, "out\n");
  EXPECT_EQ(ok.err, "err\n");
  EXPECT_EQ(json::parse(ok.status).at("status"), "Success") << ok.status;

  ExecOutcome seven = RunExec(ctr, {"sh", "-c", "echo bye; exit 7"});
  EXPECT_EQ(seven.out, "bye\n");
  const json st = json::parse(seven.status);
  EXPECT_EQ(st.at("status"), "Failure");
  EXPECT_EQ(st.at("reason"), "NonZeroExitCode");
  EXPECT_EQ(st.at("details").at("causes").at(0).at("message"), "7") << seven.status;
}

TEST_F(StreamingTest, ExecPipesStdinToTheProcessAndPassesItsEnd) {
  const std::string ctr = Running(2, {"sleep", "3600"});
  const std::string input = "hello\nworld\n";
  ExecOutcome o = RunExec(ctr, {"cat"}, &input);
  EXPECT_EQ(o.out, input);
  EXPECT_EQ(json::parse(o.status).at("status"), "Success") << o.status;
  // A larger input than any buffer on the way.
  const std::string big(1 << 20, 'x');
  ExecOutcome counted = RunExec(ctr, {"wc", "-c"}, &big);
  EXPECT_EQ(Trim(counted.out), std::to_string(big.size()));
}

TEST_F(StreamingTest, ExecWithTtyRunsOnATerminalOfTheRequestedSize) {
  const std::string ctr = Running(3, {"sleep", "3600"});
  const std::string url = ExecUrl(ctr, {"sh", "-c", "read x; stty size; echo term=$TERM; tty"}, true, true, false, true);
  SpdyClient c;
  ASSERT_EQ(c.Connect(url, kV4), 101) << c.response();
  auto error = c.OpenChannel("error");
  auto in = c.OpenChannel("stdin");
  auto out = c.OpenChannel("stdout");
  auto resize = c.OpenChannel("resize");
  ASSERT_TRUE(resize->Write(R"({"Width":91,"Height":37})"));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(in->Write("go\r"));
  auto text = std::async(std::launch::async, [&] { return ReadAll(*out); });
  const std::string status = ReadAll(*error);
  const std::string output = text.get();
  EXPECT_NE(output.find("37 91"), std::string::npos) << output;
  EXPECT_NE(output.find("term=xterm"), std::string::npos) << output;
  EXPECT_NE(output.find("/dev/pts/"), std::string::npos) << output;
  EXPECT_EQ(json::parse(status).at("status"), "Success") << status;
}

TEST_F(StreamingTest, AClientThatGoesAwayLeavesNoProcessBehind) {
  const std::string ctr = Running(4, {"sleep", "3600"});
  for (bool tty : {false, true}) {
    const std::string marker = tty ? "sleep 4242" : "sleep 4343";
    const std::string url = ExecUrl(ctr, {"sh", "-c", marker}, false, true, !tty, tty);
    SpdyClient c;
    ASSERT_EQ(c.Connect(url, kV4), 101);
    auto error = c.OpenChannel("error");
    auto out = c.OpenChannel("stdout");
    std::shared_ptr<spdy::Stream> err, resize;
    if (tty) resize = c.OpenChannel("resize");
    else err = c.OpenChannel("stderr");
    ASSERT_TRUE(WaitFor([&] { return ProcessRuns(ctr, marker); }, std::chrono::seconds(10))) << "never ran";
    c.Close();  // the client drops the connection mid-command
    EXPECT_TRUE(WaitFor([&] { return !ProcessRuns(ctr, marker); }, std::chrono::seconds(10))) << "tty " << tty;
  }
  EXPECT_EQ(Status(ctr).status().state(), runtime::v1::CONTAINER_RUNNING);
}

TEST_F(StreamingTest, TokensAreSingleUseUnknownOnesAre404AndTheyExpire) {
  extra_args_ = {};
  StartBerthd(5, "berthstr", 190, "streaming:\n  token_ttl: 1\n");
  pod_ = RunPod("str5");
  const std::string ctr = MustRunContainer(CtrRequest(pod_, "main", {"sleep", "3600"}));
  const std::string url = ExecUrl(ctr, {"true"}, false, true, true, false);
  {
    SpdyClient first;
    ASSERT_EQ(first.Connect(url, kV4), 101);
    auto error = first.OpenChannel("error");
    auto out = first.OpenChannel("stdout");
    auto err = first.OpenChannel("stderr");
    EXPECT_EQ(json::parse(ReadAll(*error)).at("status"), "Success");
  }
  SpdyClient again;
  EXPECT_EQ(again.Connect(url, kV4), 404) << "a used token";
  SpdyClient unknown;
  EXPECT_EQ(unknown.Connect(url.substr(0, url.rfind('/') + 1) + "AAAAAAAAAAAAAAAAAAAAAA", kV4), 404);
  const std::string late = ExecUrl(ctr, {"true"}, false, true, true, false);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  SpdyClient expired;
  EXPECT_EQ(expired.Connect(late, kV4), 404) << "an expired token";
  SpdyClient old_client;
  const std::string v1_only = ExecUrl(ctr, {"true"}, false, true, true, false);
  EXPECT_EQ(old_client.Connect(v1_only, {"v1.channel.k8s.io"}), 403) << "no shared protocol";
}

TEST_F(StreamingTest, BadRequestsAreRefusedWithTheirField) {
  const std::string ctr = Running(6, {"sleep", "3600"});
  grpc::Status st;
  ExecUrl(ctr, {"true"}, false, false, false, false, &st);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("stdin, stdout and stderr"), std::string::npos) << st.error_message();
  ExecUrl(ctr, {"true"}, false, true, true, true, &st);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("tty and stderr"), std::string::npos) << st.error_message();
  ExecUrl(ctr, {}, false, true, false, false, &st);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ExecUrl("nosuchcontainer", {"true"}, false, true, false, false, &st);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  AttachUrl(ctr, true, true, false, false, &st);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << "stdin of a container without one";
  AttachUrl(ctr, false, true, false, true, &st);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << "tty of a container without one";
  PortForwardUrl(pod_, {70000}, &st);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  PortForwardUrl("nosuchpod", {80}, &st);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(Stop(ctr, 0).ok());
  ExecUrl(ctr, {"true"}, false, true, false, false, &st);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(StreamingTest, AttachSeesTheOutputAndDetachingLeavesTheContainerRunning) {
  const std::string ctr = Running(7, {"sh", "-c", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done"});
  for (int round = 0; round < 2; ++round) {
    SpdyClient c;
    ASSERT_EQ(c.Connect(AttachUrl(ctr, false, true, true, false), kV4), 101);
    auto error = c.OpenChannel("error");
    auto out = c.OpenChannel("stdout");
    auto err = c.OpenChannel("stderr");
    std::string seen, chunk;
    while (seen.find("tick") == std::string::npos || std::count(seen.begin(), seen.end(), '\n') < 3) {
      ASSERT_TRUE(out->Read(chunk)) << seen;
      seen += chunk;
    }
    c.Close();  // detach
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(Status(ctr).status().state(), runtime::v1::CONTAINER_RUNNING) << "round " << round;
  }
}

TEST_F(StreamingTest, AttachedStdinReachesTheContainerAndStdinOnceClosesIt) {
  const std::string ctr = Running(8, {"cat"}, /*stdin_open=*/true, /*tty=*/false, /*stdin_once=*/true);
  SpdyClient c;
  ASSERT_EQ(c.Connect(AttachUrl(ctr, true, true, true, false), kV4), 101);
  auto error = c.OpenChannel("error");
  auto in = c.OpenChannel("stdin");
  auto out = c.OpenChannel("stdout");
  auto err = c.OpenChannel("stderr");
  ASSERT_TRUE(in->Write("ping\n"));
  std::string chunk;
  ASSERT_TRUE(out->Read(chunk));
  EXPECT_EQ(chunk, "ping\n");
  in->CloseWrite();  // the first attach ends its stdin: cat sees EOF and exits
  EXPECT_TRUE(WaitState(ctr, runtime::v1::CONTAINER_EXITED)) << berthd_->log();
  EXPECT_EQ(json::parse(ReadAll(*error)).at("status"), "Success");
}

TEST_F(StreamingTest, PortForwardReachesAServerInThePodManyConnectionsAtOnce) {
  const std::string ctr = Running(
      9, {"sh", "-c", "mkdir -p /tmp/www && echo hello-from-the-pod > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www"});
  ASSERT_TRUE(WaitFor(
      [&] {
        runtime::v1::ExecSyncResponse r;
        Exec(ctr, {"wget", "-q", "-O", "-", "http://127.0.0.1:8080/"}, 5, &r);
        return r.stdout().find("hello") != std::string::npos;
      },
      std::chrono::seconds(10)));
  SpdyClient c;
  ASSERT_EQ(c.Connect(PortForwardUrl(pod_, {8080, 8081}), {"portforward.k8s.io"}), 101) << c.response();
  EXPECT_EQ(c.protocol(), "portforward.k8s.io");
  constexpr int kConnections = 20;
  std::vector<std::future<std::string>> pages;
  for (int i = 0; i < kConnections; ++i) {
    pages.push_back(std::async(std::launch::async, [&c, i] {
      const std::string id = std::to_string(i);
      auto error = c.Open({{"streamtype", "error"}, {"port", "8080"}, {"requestid", id}});
      auto data = c.Open({{"streamtype", "data"}, {"port", "8080"}, {"requestid", id}});
      data->Write("GET /index.html HTTP/1.0\r\n\r\n");
      std::string page = ReadAll(*data);
      return page + ReadAll(*error);
    }));
  }
  for (auto& p : pages) EXPECT_NE(p.get().find("hello-from-the-pod"), std::string::npos);

  // Nothing listens on 8081: the error stream says so.
  auto error = c.Open({{"streamtype", "error"}, {"port", "8081"}, {"requestid", "x"}});
  auto data = c.Open({{"streamtype", "data"}, {"port", "8081"}, {"requestid", "x"}});
  const std::string why = ReadAll(*error);
  EXPECT_NE(why.find("8081"), std::string::npos) << why;
  EXPECT_NE(why.find("refused"), std::string::npos) << why;
  // 8082 is not a port the request named.
  auto error2 = c.Open({{"streamtype", "error"}, {"port", "8082"}, {"requestid", "y"}});
  auto data2 = c.Open({{"streamtype", "data"}, {"port", "8082"}, {"requestid", "y"}});
  const std::string why2 = ReadAll(*error2);
  EXPECT_NE(why2.find("not one the PortForward request named"), std::string::npos) << why2;
  c.Close();
}

TEST_F(StreamingTest, PortForwardOfAHostNetworkPodReachesTheHostsLoopback) {
  StartBerthd(10, "berthstr", 190);
  // A listener of the test's own on the host's loopback.
  UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&a), &len);
  ::listen(listener.get(), 4);
  const int port = ntohs(a.sin_port);
  std::thread server([&] {
    UniqueFd conn(::accept(listener.get(), nullptr, nullptr));
    const char reply[] = "from-the-host";
    ::send(conn.get(), reply, sizeof reply - 1, MSG_NOSIGNAL);
  });
  auto req = PodRequest("str10");
  req.mutable_config()->clear_hostname();  // a host-network pod has the host's
  req.mutable_config()->mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(
      runtime::v1::NODE);
  const std::string pod = MustRunPod(req);
  SpdyClient c;
  ASSERT_EQ(c.Connect(PortForwardUrl(pod, {port}), {"portforward.k8s.io"}), 101);
  auto error = c.Open({{"streamtype", "error"}, {"port", std::to_string(port)}, {"requestid", "0"}});
  auto data = c.Open({{"streamtype", "data"}, {"port", std::to_string(port)}, {"requestid", "0"}});
  EXPECT_EQ(ReadAll(*data), "from-the-host");
  server.join();
  c.Close();
}

TEST_F(StreamingTest, ExecOverWebSocketV5ClosesStdinAndReportsTheExitCode) {
  const std::string ctr = Running(11, {"sleep", "3600"});
  {
    WsClient ws(ExecUrl(ctr, {"sh", "-c", "cat; echo err >&2; exit 3"}, true, true, true, false),
                {"v5.channel.k8s.io", "v4.channel.k8s.io"});
    EXPECT_EQ(ws.protocol(), "v5.channel.k8s.io");
    ASSERT_TRUE(ws.Send(0, "through a websocket\n"));
    ASSERT_TRUE(ws.CloseChannel(0));  // v5: the end of stdin
    auto all = ws.ReadAll();
    EXPECT_EQ(all[1], "through a websocket\n");
    EXPECT_EQ(all[2], "err\n");
    const json st = json::parse(all[3]);
    EXPECT_EQ(st.at("reason"), "NonZeroExitCode");
    EXPECT_EQ(st.at("details").at("causes").at(0).at("message"), "3");
  }
  {
    WsClient ws(ExecUrl(ctr, {"sh", "-c", "stty size"}, true, true, false, true), {"v4.base64.channel.k8s.io"});
    EXPECT_TRUE(ws.base64());
    ASSERT_TRUE(ws.Resize(100, 30));
    auto all = ws.ReadAll();
    // The size may come after the shell started: the terminal then has its default.
    EXPECT_TRUE(all[1].find("30 100") != std::string::npos || all[1].find("24 80") != std::string::npos)
        << json(all[1]).dump() << "\n" << berthd_->log().substr(0, 6000);
    EXPECT_EQ(json::parse(all[3]).at("status"), "Success");
  }
  try {
    WsClient refused(ExecUrl(ctr, {"true"}, false, true, false, false), {"v9.channel.k8s.io"});
    ADD_FAILURE() << "no shared subprotocol, yet upgraded";
  } catch (const WsRefused& e) {
    EXPECT_EQ(e.status(), 403);
  }
}

TEST_F(StreamingTest, PortForwardOverWebSocket) {
  const std::string ctr =
      Running(12, {"sh", "-c", "mkdir -p /tmp/www && echo ws-page > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www"});
  ASSERT_TRUE(WaitFor(
      [&] {
        runtime::v1::ExecSyncResponse r;
        Exec(ctr, {"wget", "-q", "-O", "-", "http://127.0.0.1:8080/"}, 5, &r);
        return r.stdout().find("ws-page") != std::string::npos;
      },
      std::chrono::seconds(10)));
  WsClient ws(PortForwardUrl(pod_, {8080}) + "?port=8080", {"v4.channel.k8s.io"});
  ASSERT_TRUE(ws.Send(0, "GET / HTTP/1.0\r\n\r\n"));
  auto all = ws.ReadAll();
  ASSERT_GE(all[0].size(), 2u);
  EXPECT_EQ(static_cast<uint8_t>(all[0][0]) | (static_cast<uint8_t>(all[0][1]) << 8), 8080) << "the port prefix";
  EXPECT_NE(all[0].find("ws-page"), std::string::npos) << all[0];
}

}  // namespace
}  // namespace berth::testing
