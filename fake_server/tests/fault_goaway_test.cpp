// GOAWAY faults on the wire, seen by nghttp's frame log and cross-checked with the
// server's stats and timeline: after the k-th stream, graceful two-phase, storm,
// close_after_ms with a stream still open, and the admin API's actions.
#include <gtest/gtest.h>

#include "fault_support.h"

namespace faultline::fake_server::testing {
namespace {

using nlohmann::json;

/** The request stream ids nghttp opened, in order (it opens priority streams first). */
std::vector<std::int64_t> requests_of(const std::vector<LoggedFrame>& frames) {
  std::vector<std::int64_t> ids;
  for (const auto& frame : frames) {
    if (frame.dir == "send" && frame.type == "HEADERS") {
      ids.push_back(frame.stream);
    }
  }
  return ids;
}

std::string last_stream_id(std::int64_t id) {
  return "last_stream_id=" + std::to_string(id) + ",";
}

TEST(FaultGoaway, AfterTheFifthStreamNamesIt) {
  auto server = TestServer::start({"--scenario", "goaway-after-5"});
  ASSERT_TRUE(server);
  const CommandResult result = nghttp({"-m", "7", server->https() + "/health"});
  const auto frames = parse_nghttp_log(result.out);
  const auto requests = requests_of(frames);
  ASSERT_GE(requests.size(), 5u) << result.out;
  const auto goaways = received(frames, "GOAWAY");
  ASSERT_EQ(goaways.size(), 1u) << result.out;
  EXPECT_NE(goaways[0].detail.find(last_stream_id(requests[4])), std::string::npos)
      << goaways[0].detail;
  EXPECT_NE(goaways[0].detail.find("error_code=NO_ERROR"), std::string::npos);

  // The server agrees: one GOAWAY with that last-stream-id, one firing.
  const auto sent = timeline_events(*server, 1, "out", "GOAWAY");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0]["last_stream_id"], requests[4]);
  EXPECT_EQ(sent[0]["error"], "NO_ERROR");
  const json stats = server->stats();
  EXPECT_EQ(stats["goaway_sent"], 1);
  EXPECT_EQ(stats["faults_fired"], json({{"goaway-after-5", 1}}));
  EXPECT_EQ(stats["connections"][0]["faults_fired"], json({{"goaway-after-5", 1}}));
}

TEST(FaultGoaway, GracefulShutdownSendsMaxThenTheLastStream) {
  auto server = TestServer::start({"--scenario", "goaway-graceful"});
  ASSERT_TRUE(server);
  // Three slow requests: the third opens the shutdown; all three are below the final
  // last-stream-id and complete.
  const CommandResult result = nghttp({"-m", "3", server->https() + "/slow"});
  ASSERT_EQ(result.exit_code, 0) << result.err << result.out;
  const auto frames = parse_nghttp_log(result.out);
  const auto requests = requests_of(frames);
  ASSERT_EQ(requests.size(), 3u);
  const auto goaways = received(frames, "GOAWAY");
  ASSERT_EQ(goaways.size(), 2u) << result.out;
  EXPECT_NE(goaways[0].detail.find(last_stream_id(2147483647)), std::string::npos);
  EXPECT_NE(goaways[1].detail.find(last_stream_id(requests[2])), std::string::npos);
  EXPECT_EQ(received(frames, "HEADERS").size(), 3u);
  const auto sent = timeline_events(*server, 1, "out", "GOAWAY");
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0]["last_stream_id"], 2147483647);
  EXPECT_EQ(sent[1]["last_stream_id"], requests[2]);
  // The gap between them is the configured 200 ms (less the first frame's own send delay).
  EXPECT_GE(sent[1]["t_ms"].get<double>() - sent[0]["t_ms"].get<double>(), 150.0);
}

TEST(FaultGoaway, StormGreetsEveryConnectionWithGoawayZero) {
  auto server = TestServer::start({"--scenario", "goaway-storm"});
  ASSERT_TRUE(server);
  for (int i = 0; i < 2; ++i) {
    const CommandResult result = nghttp({server->https() + "/health"});
    const auto goaways = received(parse_nghttp_log(result.out), "GOAWAY");
    ASSERT_EQ(goaways.size(), 1u) << result.out;
    EXPECT_NE(goaways[0].detail.find(last_stream_id(0)), std::string::npos);
    EXPECT_NE(goaways[0].detail.find("ENHANCE_YOUR_CALM"), std::string::npos);
  }
  ASSERT_TRUE(eventually([&] { return server->stats()["connections_open"] == 0; }, 20s,
                         "stormed connections closed"));
  const json stats = server->stats();
  EXPECT_EQ(stats["requests_total"], 0);
  EXPECT_EQ(stats["goaway_sent"], 2);
  for (const auto& conn : stats["connections"]) {
    EXPECT_EQ(conn["close_reason"], "goaway storm");
  }
}

TEST(FaultGoaway, AdminActionSendsTheGivenIdErrorAndDebug) {
  auto server = TestServer::start({"--scenario", "default"});
  ASSERT_TRUE(server);
  auto client = nghttp_held(*server);
  ASSERT_TRUE(client);
  // Invalid actions are refused with the path of the problem.
  const auto bad = server->admin_call("POST", "/v1/actions", R"({"goaway":{"error":"NOPE"}})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body["error"]["path"], "$.goaway.error");
  EXPECT_EQ(server->admin_call("POST", "/v1/actions?connection=99", R"({"ping":{}})").status, 404);
  const auto unknown = server->admin_call("POST", "/v1/actions/fire", R"({"name":"nope"})");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body["error"]["path"], "$.name");

  const auto applied = server->admin_call(
      "POST", "/v1/actions?connection=1",
      R"({"goaway":{"last_stream_id":0,"error":"ENHANCE_YOUR_CALM","debug":"bye"}})");
  EXPECT_EQ(applied.body, json({{"applied", 1}}));
  const CommandResult result = client->wait();
  const auto goaways = received(parse_nghttp_log(result.out), "GOAWAY");
  ASSERT_EQ(goaways.size(), 1u) << result.out;
  EXPECT_NE(goaways[0].detail.find(last_stream_id(0)), std::string::npos);
  EXPECT_NE(goaways[0].detail.find("ENHANCE_YOUR_CALM"), std::string::npos);
  EXPECT_NE(goaways[0].detail.find("[bye]"), std::string::npos) << goaways[0].detail;
  // The held stream was above last-stream-id: abandoned, never served; the connection
  // closed once nothing at or below it was open.
  ASSERT_TRUE(eventually([&] { return server->stats()["connections_open"] == 0; }, 20s,
                         "connection closed"));
  const json conn = server->stats()["connections"][0];
  EXPECT_EQ(conn["goaway_sent"], 1);
  EXPECT_EQ(conn["close_reason"], "goaway: idle");
  EXPECT_EQ(server->admin_call("GET", "/v1/gates").body["gates"]["hold"]["held"], 0);
}

}  // namespace
}  // namespace faultline::fake_server::testing

namespace faultline::fake_server::testing {
namespace {

TEST(FaultGoaway, EvenLastStreamIdGoesOutRaw) {
  // nghttp2 refuses an even last-stream-id (a server stream id): the raw writer sends it.
  auto server = TestServer::start({"--scenario", "default"});
  ASSERT_TRUE(server);
  auto client = nghttp_held(*server);
  ASSERT_TRUE(client);
  EXPECT_TRUE(
      apply_to_one(*server, {{"goaway", {{"last_stream_id", 2}, {"error", "PROTOCOL_ERROR"}}}}));
  const CommandResult result = client->wait();
  const auto goaways = received(parse_nghttp_log(result.out), "GOAWAY");
  ASSERT_EQ(goaways.size(), 1u) << result.out;
  EXPECT_NE(goaways[0].detail.find("last_stream_id=2,"), std::string::npos);
  EXPECT_NE(goaways[0].detail.find("PROTOCOL_ERROR"), std::string::npos);
  const auto sent = timeline_events(*server, 1, "out", "GOAWAY");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0]["last_stream_id"], 2);
  EXPECT_EQ(server->stats()["requests"], nlohmann::json::object());
}

TEST(FaultGoaway, CloseAfterMsClosesWithAStreamStillOpen) {
  auto server = TestServer::start({"--scenario", "default"});
  ASSERT_TRUE(server);
  auto client = nghttp_held(*server);
  ASSERT_TRUE(client);
  // GOAWAY naming the held stream: it is not abandoned, so the connection is not idle
  // and stays open until close_after_ms.
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(apply_to_one(*server,
                           {{"goaway", {{"last_stream_id", "current"}, {"close_after_ms", 300}}}}));
  const CommandResult result = client->wait();
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(result.timed_out);
  EXPECT_GE(waited, 300ms);
  // nghttp saw the GOAWAY naming its request, then lost the connection with the response
  // never started (it reports the request unprocessed, though it exits 0).
  const auto frames = parse_nghttp_log(result.out);
  std::int64_t request = -1;
  for (const auto& frame : frames) {
    if (frame.dir == "send" && frame.type == "HEADERS") {
      request = frame.stream;
    }
  }
  const auto goaways = received(frames, "GOAWAY");
  ASSERT_EQ(goaways.size(), 1u) << result.out;
  EXPECT_NE(goaways[0].detail.find(last_stream_id(request)), std::string::npos)
      << goaways[0].detail;
  EXPECT_TRUE(received(frames, "HEADERS").empty()) << result.out;
  EXPECT_NE(result.err.find("not processed"), std::string::npos) << "[" << result.err << "]";

  // The server agrees: closed by the delay, at least 300 ms after its GOAWAY; the held
  // stream left the gate with the connection.
  ASSERT_TRUE(eventually([&] { return server->stats()["connections_open"] == 0; }, 20s,
                         "connection closed"));
  EXPECT_EQ(server->stats()["connections"][0]["close_reason"], "goaway: close_after_ms");
  const auto sent = timeline_events(*server, 1, "out", "GOAWAY");
  const auto close = timeline_events(*server, 1, "out", "close");
  ASSERT_EQ(sent.size(), 1u);
  ASSERT_EQ(close.size(), 1u);
  EXPECT_EQ(sent[0]["last_stream_id"], request);
  EXPECT_GE(close[0]["t_ms"].get<double>() - sent[0]["t_ms"].get<double>(), 300.0);
  EXPECT_EQ(server->admin_call("GET", "/v1/gates").body["gates"]["hold"]["held"], 0);
}

}  // namespace
}  // namespace faultline::fake_server::testing
