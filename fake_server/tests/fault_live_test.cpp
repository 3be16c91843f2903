// Faults behind the liveness and retry checks, seen by curl: a black-holed connection
// (no answer, no FIN, open until the client gives up), and a route that answers only a
// request's first attempt (421, then the next route); HTTP_1_1_REQUIRED on the wire
// (RST_STREAM and GOAWAY), seen by nghttp; the idle_ms trigger closing the connection on
// the request after a pause, seen by a raw h2 client and by Python's http.client. Each
// cross-checked with the server's stats.
#include <gtest/gtest.h>

#include "fault_support.h"

namespace faultline::fake_server::testing {
namespace {

using nlohmann::json;

// A held request, then the connection black-holed and the gate released: curl gets no
// response and no FIN (it times out, exit 28), the server keeps the connection open
// until curl has gone, then closes it.
TEST(FaultLive, BlackHoleAnswersNothingAndKeepsTheConnectionOpen) {
  auto server = TestServer::start({"--scenario", "default"});
  ASSERT_TRUE(server);
  BackgroundCommand held({curl(), "-sS", "--http2", "--max-time", "3", "--cacert", server->ca(),
                          server->https() + "/hold"},
                         60s);
  ASSERT_TRUE(server->wait_held("hold", 1));
  ASSERT_TRUE(apply_to_one(*server, {{"close", {{"mode", "black_hole"}}}}));
  ASSERT_TRUE(eventually(
      [&] { return server->stats()["connections"][0].value("guard", "") == "black_hole"; }, 20s,
      "the connection black-holed"));
  const auto released = server->admin_call("POST", "/v1/gates/hold/release");
  EXPECT_EQ(released.status, 200) << released.body.dump();
  // Still open: no FIN or RST went out.
  EXPECT_TRUE(server->stats()["connections"][0]["open"].get<bool>());
  const CommandResult result = held.wait();
  EXPECT_EQ(result.exit_code, 28) << "curl must time out, not see an end: " << result.err;
  EXPECT_EQ(result.out, "");
  ASSERT_TRUE(eventually([&] { return server->stats()["connections_open"] == 0; }, 20s,
                         "closed once curl went"));
  const json conn = server->stats()["connections"][0];
  EXPECT_NE(conn["close_reason"].get<std::string>().find("black hole"), std::string::npos)
      << conn.dump();
}

// match.attempt: the first attempt of request "r1" takes the 421 route, the second falls
// through to the 200 one; another request id starts again at attempt 1. Over h2 and h1.
TEST(FaultLive, RouteAnswersOnlyTheFirstAttempt) {
  const auto file = write_temp_file("attempts.json", R"({
    "name": "attempts",
    "routes": [
      {"match": {"path": "/m", "attempt": {"first": 1}},
       "respond": {"status": 421, "body": "misdirected"}},
      {"match": {"path": "/m"}, "respond": {"status": 200, "body": "served"}}]})");
  auto server = TestServer::start({"--scenario", file.string()});
  ASSERT_TRUE(server);
  for (const char* mode : {"--http2", "--http1.1"}) {
    for (const auto& [id, want] : std::vector<std::pair<std::string, std::string>>{
             {std::string("r1-") + mode, "421 misdirected"},
             {std::string("r1-") + mode, "200 served"},
             {std::string("r2-") + mode, "421 misdirected"}}) {
      const CommandResult result = run_command({curl(), "-sS", mode, "-w", " %{http_code}", "-H",
                                                "x-faultline-request-id: " + id, "--cacert",
                                                server->ca(), server->https() + "/m"});
      ASSERT_EQ(result.exit_code, 0) << result.err;
      const auto space = result.out.rfind(' ');
      EXPECT_EQ(result.out.substr(space + 1) + " " + result.out.substr(0, space), want)
          << id << " " << mode;
    }
  }
}

// RST_STREAM(HTTP_1_1_REQUIRED) and GOAWAY(HTTP_1_1_REQUIRED) as nghttp receives them.
TEST(FaultLive, Http11RequiredOnTheWire) {
  auto server = TestServer::start({"--scenario", "default"});
  ASSERT_TRUE(server);
  ASSERT_TRUE(install_faults(
      *server,
      json::array(
          {{{"name", "h11-rst"},
            {"on", {{"path", "/health"}}},
            {"do", {{"rst_stream", {{"error", "HTTP_1_1_REQUIRED"}}}}}},
           {{"name", "h11-goaway"},
            {"on", {{"streams_opened", 2}}},
            {"do",
             {{"goaway", {{"last_stream_id", "previous"}, {"error", "HTTP_1_1_REQUIRED"}}}}}}})));
  const CommandResult result =
      nghttp({"-v", server->https() + "/health", server->https() + "/health?again"});
  const auto frames = parse_nghttp_log(result.out);
  const auto rst = received(frames, "RST_STREAM");
  ASSERT_EQ(rst.size(), 1u) << result.out;
  EXPECT_NE(rst[0].detail.find("HTTP_1_1_REQUIRED(0x0d)"), std::string::npos) << rst[0].detail;
  const auto goaway = received(frames, "GOAWAY");
  ASSERT_EQ(goaway.size(), 1u) << result.out;
  EXPECT_NE(goaway[0].detail.find("HTTP_1_1_REQUIRED(0x0d)"), std::string::npos)
      << goaway[0].detail;
  EXPECT_EQ(server->stats()["faults_fired"], json({{"h11-goaway", 1}, {"h11-rst", 1}}));
}

/** A scenario whose connections close (FIN) when a request arrives after 500 ms idle. */
std::filesystem::path idle_close_scenario() {
  return write_temp_file("idle-close.json", R"({
    "name": "idle-close",
    "listeners": [{"name": "plain", "tls": false}],
    "routes": [{"match": {"path": "/health"}, "respond": {"status": 200, "body": "ok"}}],
    "faults": [{"name": "idle", "on": {"idle_ms": 500}, "do": {"close": {"mode": "fin"}},
                "times": "always"}]})");
}

// idle_ms over h2, seen by the raw client: a request right after the connection opened
// is served; the next one, sent 1000 ms after the first ended, meets a FIN before any
// frame for it.
TEST(FaultLive, IdleTriggerClosesOnTheRequestAfterAPause) {
  auto server = TestServer::start({"--scenario", idle_close_scenario().string()});
  ASSERT_TRUE(server);
  const json seen = raw_h2(
      server->port("plain"),
      {{"requests", json::array({{{"path", "/health"}, {"id", "first"}},
                                 {{"path", "/health"}, {"id", "second"}, {"after_ms", 1000}}})}});
  ASSERT_FALSE(seen["timed_out"].get<bool>()) << seen.dump();
  EXPECT_TRUE(seen["closed"].get<bool>()) << seen.dump();
  bool first_ended = false;
  for (const auto& frame : seen["frames"]) {
    EXPECT_NE(frame["stream"], 3) << "nothing answers the request after the pause: " << seen.dump();
    first_ended |= frame["stream"] == 1 && frame["type"] == 0 && (frame["flags"].get<int>() & 1);
  }
  EXPECT_TRUE(first_ended) << seen.dump();
  const json stats = server->stats();
  EXPECT_EQ(stats["requests"], json({{"first", 1}})) << stats.dump();
  EXPECT_EQ(stats["faults_fired"], json({{"idle", 1}})) << stats.dump();
}

// The same over HTTP/1.1 keep-alive, seen by Python's http.client: the second request,
// after a 1000 ms pause, finds the connection closed without a response.
TEST(FaultLive, IdleTriggerClosesAnHttp11KeepAliveConnection) {
  auto server = TestServer::start({"--scenario", idle_close_scenario().string()});
  ASSERT_TRUE(server);
  const auto python = tool_path(FAULTLINE_PYTHON3, "python3");
  ASSERT_TRUE(python);
  const std::string script = R"(
import http.client, json, sys, time
c = http.client.HTTPConnection('127.0.0.1', int(sys.argv[1]), timeout=20)
out = []
for i, pause in enumerate([0, 1.0]):
    time.sleep(pause)  # the idle gap under test, not a synchronisation
    try:
        c.request('GET', '/health', headers={'x-faultline-request-id': 'r%d' % i})
        r = c.getresponse()
        out.append([r.status, r.read().decode()])
    except Exception as e:
        out.append(type(e).__name__)
print(json.dumps(out))
)";
  const CommandResult result =
      run_command({*python, "-c", script, std::to_string(server->port("plain"))});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json out = json::parse(result.out);
  ASSERT_EQ(out.size(), 2u) << result.out;
  EXPECT_EQ(out[0], json::array({200, "ok"})) << result.out;
  EXPECT_TRUE(out[1].is_string()) << "the request after the pause must find no answer: "
                                  << result.out;
  const json stats = server->stats();
  EXPECT_EQ(stats["requests"], json({{"r0", 1}})) << stats.dump();
  EXPECT_EQ(stats["faults_fired"], json({{"idle", 1}})) << stats.dump();
}

}  // namespace
}  // namespace faultline::fake_server::testing
