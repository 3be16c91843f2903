// Faults behind the liveness and retry checks, seen by curl: a black-holed connection
// (no answer, no FIN, open until the client gives up), and a route that answers only a
// request's first attempt (421, then the next route); HTTP_1_1_REQUIRED on the wire
// (RST_STREAM and GOAWAY), seen by nghttp. Each cross-checked with the server's stats.
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

}  // namespace
}  // namespace faultline::fake_server::testing
