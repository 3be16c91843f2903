// Stream faults and connection faults on the wire: RST_STREAM on attempts and mid-body,
// late DATA (after END_STREAM, after the client's RST_STREAM, on an idle stream), TCP
// reset of every connection, server PINGs, and a slow TLS handshake.
#include <gtest/gtest.h>

#include "fault_support.h"

namespace faultline::fake_server::testing {
namespace {

using nlohmann::json;

/** DATA frames of a stream in the raw client's log after its first END_STREAM (or after
    `from` frames), whose payload is all 'x'. */
int late_x_frames(const json& seen, std::int64_t stream) {
  int n = 0;
  bool ended = false;
  for (const auto& frame : seen["frames"]) {
    if (frame["stream"] != stream) {
      continue;
    }
    if (ended && frame["type"] == 0 && frame.value("x", false)) {
      ++n;
    }
    if ((frame["type"] == 0 || frame["type"] == 1) && (frame["flags"].get<int>() & 1) != 0) {
      ended = true;
    }
  }
  return n;
}

TEST(FaultStream, RefusedOnTheFirstAttemptServedOnTheSecond) {
  auto server = TestServer::start({"--scenario", "refused-first-attempt"});
  ASSERT_TRUE(server);
  const std::vector<std::string> args{"-H", "x-faultline-request-id: job-1",
                                      server->https() + "/flaky"};
  const auto first = parse_nghttp_log(nghttp(args).out);
  const auto rst = received(first, "RST_STREAM");
  ASSERT_EQ(rst.size(), 1u);
  EXPECT_NE(rst[0].detail.find("REFUSED_STREAM"), std::string::npos);
  EXPECT_TRUE(received(first, "HEADERS").empty());
  EXPECT_EQ(server->admin_call("GET", "/v1/requests/job-1").body["served"], 0);

  const CommandResult second = nghttp(args);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const auto frames = parse_nghttp_log(second.out);
  EXPECT_TRUE(received(frames, "RST_STREAM").empty());
  EXPECT_EQ(received(frames, "HEADERS").size(), 1u);
  const json stats = server->stats();
  EXPECT_EQ(stats["requests"]["job-1"], 1);
  EXPECT_EQ(stats["faults_fired"], json({{"refuse-first", 1}}));

  // POST /v1/reset restarts the attempt count: the next one is a first attempt again.
  server->admin_call("POST", "/v1/reset");
  EXPECT_EQ(received(parse_nghttp_log(nghttp(args).out), "RST_STREAM").size(), 1u);
}

TEST(FaultStream, MidBodyResetAfterTheConfiguredBytes) {
  auto server = TestServer::start({"--scenario", "rst-internal"});
  ASSERT_TRUE(server);
  const auto frames = parse_nghttp_log(nghttp({server->https() + "/rst/internal/mid-body"}).out);
  std::uint64_t body = 0;
  for (const auto& frame : received(frames, "DATA")) {
    body += frame.length;
    EXPECT_EQ(frame.flags & 1u, 0u) << "no END_STREAM";
  }
  EXPECT_EQ(body, 16384u);
  const auto rst = received(frames, "RST_STREAM");
  ASSERT_EQ(rst.size(), 1u);
  EXPECT_NE(rst[0].detail.find("INTERNAL_ERROR"), std::string::npos);
  EXPECT_EQ(server->stats()["connections"][0]["rst_sent"], json({{"INTERNAL_ERROR", 1}}));

  const auto before = parse_nghttp_log(nghttp({server->https() + "/rst/internal"}).out);
  EXPECT_TRUE(received(before, "HEADERS").empty());
  ASSERT_EQ(received(before, "RST_STREAM").size(), 1u);
}

TEST(FaultStream, DataAfterEndStream) {
  auto server = TestServer::start({"--scenario", "late-data-after-end"});
  ASSERT_TRUE(server);
  const json seen = raw_h2(server->port("plain"),
                           {{"requests", {{{"path", "/late"}}}}, {"until", {{"late", 3}}}});
  ASSERT_FALSE(seen["timed_out"].get<bool>()) << seen.dump();
  EXPECT_EQ(late_x_frames(seen, 1), 3);
  for (const auto& frame : seen["frames"]) {
    if (frame["type"] == 0 && frame.value("x", false)) {
      EXPECT_EQ(frame["length"], 1024);
    }
  }
  EXPECT_EQ(server->stats()["connections"][0]["late_frames_sent"], 3);
}

TEST(FaultStream, DataAfterTheClientsReset) {
  auto server = TestServer::start({"--scenario", "late-data-after-rst"});
  ASSERT_TRUE(server);
  const json seen = raw_h2(
      server->port("plain"),
      {{"requests", {{{"path", "/late/rst"}}}}, {"rst_on_data", true}, {"until", {{"late", 4}}}});
  ASSERT_FALSE(seen["timed_out"].get<bool>()) << seen.dump();
  ASSERT_TRUE(eventually([&] { return server->stats()["connections"][0]["late_frames_sent"] == 4; },
                         20s, "4 late frames counted"));
  const json conn = server->stats()["connections"][0];
  EXPECT_EQ(conn["rst_received"], json({{"CANCEL", 1}}));
  EXPECT_EQ(conn["faults_fired"], json({{"data-after-rst", 1}}));
}

TEST(FaultStream, DataOnAStreamTheClientNeverOpened) {
  auto server = TestServer::start({"--scenario", "unknown-stream-data"});
  ASSERT_TRUE(server);
  const json seen = raw_h2(server->port("plain"),
                           {{"requests", {{{"path", "/unknown/even"}}}}, {"until_data_on", 2}});
  ASSERT_FALSE(seen["timed_out"].get<bool>()) << seen.dump();
  bool on_two = false;
  for (const auto& frame : seen["frames"]) {
    if (frame["stream"] == 2 && frame["type"] == 0) {
      on_two = true;
      EXPECT_EQ(frame["length"], 16);
      EXPECT_TRUE(frame["x"].get<bool>());
    }
  }
  EXPECT_TRUE(on_two) << seen.dump();
  EXPECT_EQ(server->stats()["connections"][0]["late_frames_sent"], 1);
}

TEST(FaultStream, DataOnTheNextUnusedOddStreamId) {
  auto server = TestServer::start({"--scenario", "unknown-stream-data"});
  ASSERT_TRUE(server);
  // The client opens streams 1 and 3 only; the fault fires on 3 and writes on 5.
  const json seen = raw_h2(
      server->port("plain"),
      {{"requests", {{{"path", "/health"}}, {{"path", "/unknown/idle"}}}}, {"until_data_on", 5}});
  ASSERT_FALSE(seen["timed_out"].get<bool>()) << seen.dump();
  std::vector<json> on_five;
  for (const auto& frame : seen["frames"]) {
    EXPECT_LE(frame["stream"].get<int>(), 5) << frame.dump();
    if (frame["stream"] == 5) {
      on_five.push_back(frame);
    }
  }
  // Nothing but that DATA on 5: no HEADERS ever opened it.
  ASSERT_EQ(on_five.size(), 1u) << seen.dump();
  EXPECT_EQ(on_five[0]["type"], 0);
  EXPECT_EQ(on_five[0]["length"], 16);
  EXPECT_TRUE(on_five[0]["x"].get<bool>());
  // The server agrees: one raw frame, one firing, on that connection.
  const json conn = server->stats()["connections"][0];
  EXPECT_EQ(conn["late_frames_sent"], 1);
  EXPECT_EQ(conn["faults_fired"], json({{"idle-odd", 1}}));
  EXPECT_EQ(conn["streams_opened"], 2);
  EXPECT_EQ(server->stats()["faults_fired"], json({{"idle-odd", 1}}));
}

TEST(FaultStream, ResetAllConnectionsOnAnAdminCall) {
  auto server = TestServer::start({"--scenario", "reset-all"});
  ASSERT_TRUE(server);
  auto h2 = raw_h2_background(server->port("plain"), {{"requests", {{{"path", "/hold"}}}}});
  BackgroundCommand tls(
      {curl(), "-sS", "--http2", "--cacert", server->ca(), server->https() + "/hold"}, 60s);
  ASSERT_TRUE(server->wait_held("hold", 2));
  EXPECT_EQ(server->fire("reset-all"), json({{"fired", 1}}));
  const json seen = raw_result(h2->wait());
  EXPECT_EQ(seen["socket_error"], "ECONNRESET") << seen.dump();
  const CommandResult curl_result = tls.wait();
  EXPECT_NE(curl_result.exit_code, 0);
  EXPECT_FALSE(curl_result.timed_out);
  ASSERT_TRUE(
      eventually([&] { return server->stats()["connections_open"] == 0; }, 20s, "all closed"));
  EXPECT_EQ(server->stats()["faults_fired"], json({{"reset-on-admin", 1}}));
}

TEST(FaultStream, PingsAreSentAndTheirAcksCounted) {
  auto server = TestServer::start({"--scenario", "ping"});
  ASSERT_TRUE(server);
  const json seen =
      raw_h2(server->port("plain"), {{"requests", json::array()}, {"until_pings", 10}});
  ASSERT_FALSE(seen["timed_out"].get<bool>()) << seen.dump();
  std::vector<std::int64_t> counters;
  for (const auto& frame : seen["frames"]) {
    if (frame["type"] == 6 && (frame["flags"].get<int>() & 1) == 0) {
      counters.push_back(frame["counter"].get<std::int64_t>());
    }
  }
  EXPECT_EQ(counters, (std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  ASSERT_TRUE(eventually([&] { return server->stats()["connections"][0]["ping_acks"] == 10; }, 20s,
                         "10 acks"));
  EXPECT_EQ(server->stats()["connections"][0]["pings_sent"], 10);
}

TEST(FaultStream, SlowTlsHandshake) {
  auto server = TestServer::start({"--scenario", "slow"});
  ASSERT_TRUE(server);
  const CommandResult result =
      run_command({curl(), "-sS", "-o", "/dev/null", "-w", "%{time_appconnect}", "--cacert",
                   server->ca(), server->https() + "/health"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_GE(std::stod(result.out), 0.5);
}

}  // namespace
}  // namespace faultline::fake_server::testing

namespace faultline::fake_server::testing {
namespace {

TEST(FaultStream, GoawayBelowTheNewestStreamAbandonsIt) {
  auto server = TestServer::start({"--scenario", "goaway-above-last"});
  ASSERT_TRUE(server);
  const CommandResult result = nghttp({"-m", "7", server->https() + "/health"});
  const auto frames = parse_nghttp_log(result.out);
  std::vector<std::int64_t> requests;
  for (const auto& frame : frames) {
    if (frame.dir == "send" && frame.type == "HEADERS") {
      requests.push_back(frame.stream);
    }
  }
  ASSERT_EQ(requests.size(), 7u);
  const auto goaways = received(frames, "GOAWAY");
  ASSERT_EQ(goaways.size(), 1u) << result.out;
  EXPECT_NE(goaways[0].detail.find("last_stream_id=" + std::to_string(requests[3]) + ","),
            std::string::npos);
  // Only the four streams at or below it were answered.
  std::vector<std::int64_t> answered;
  for (const auto& frame : received(frames, "HEADERS")) {
    answered.push_back(frame.stream);
  }
  EXPECT_EQ(answered, std::vector<std::int64_t>(requests.begin(), requests.begin() + 4));
  EXPECT_EQ(server->stats()["connections"][0]["faults_fired"], json({{"goaway-above-last", 1}}));
}

TEST(FaultStream, LateDataThenTrailersAfterTheClientsReset) {
  auto server = TestServer::start({"--scenario", "late-trailers"});
  ASSERT_TRUE(server);
  // The raw client resets at the first DATA; the server keeps writing 'x' DATA for
  // 100 ms, then a trailers HEADERS with END_STREAM, where the client stops.
  const json seen =
      raw_h2(server->port("plain"), {{"requests", {{{"path", "/late/trailers/slow"}}}},
                                     {"rst_on_data", true},
                                     {"until_trailers", true}});
  ASSERT_FALSE(seen["timed_out"].get<bool>()) << seen.dump();
  int late = 0;
  bool trailers = false;
  for (const auto& frame : seen["frames"]) {
    if (frame["type"] == 0 && frame.value("x", false)) {
      EXPECT_FALSE(trailers) << "DATA after the trailers";
      EXPECT_EQ(frame["length"], 256);
      ++late;
    }
    if (frame["type"] == 1 && frame["flags"] == 5) {
      trailers = true;
    }
  }
  EXPECT_GE(late, 1);
  EXPECT_TRUE(trailers) << seen.dump();
  EXPECT_EQ(server->stats()["connections"][0]["late_frames_sent"], late + 1);
}

TEST(FaultStream, CloseMidHeadersCutsTheHeadersFrame) {
  auto server = TestServer::start({"--scenario", "default"});
  ASSERT_TRUE(server);
  ASSERT_TRUE(
      install_faults(*server, json::array({{{"on", {{"path", "/health"}}},
                                            {"do", {{"close", {{"at", "mid_headers"}}}}}}})));
  const json seen = raw_h2(server->port("plain"), {{"requests", {{{"path", "/health"}}}}});
  ASSERT_FALSE(seen["timed_out"].get<bool>()) << seen.dump();
  ASSERT_TRUE(seen["partial"].is_object()) << seen.dump();
  EXPECT_EQ(seen["partial"]["type"], 1);
  const int declared = seen["partial"]["declared"].get<int>();
  EXPECT_EQ(seen["partial"]["payload"].get<int>(), std::max(1, declared / 2));
  ASSERT_TRUE(eventually([&] { return server->stats()["connections_open"] == 0; }, 20s, "closed"));
  EXPECT_EQ(server->stats()["connections"][0]["close_reason"], "close fault mid_headers");
  // The timeline records the bytes that went out (half the block), not the whole frame.
  const auto headers = timeline_events(*server, 1, "out", "HEADERS");
  ASSERT_EQ(headers.size(), 1u);
  EXPECT_EQ(headers[0]["length"], seen["partial"]["payload"]) << headers[0].dump();
}

}  // namespace
}  // namespace faultline::fake_server::testing

namespace faultline::fake_server::testing {
namespace {

TEST(FaultStream, AfterMsTriggerFiresOnTime) {
  auto server = TestServer::start({"--scenario", "default"});
  ASSERT_TRUE(server);
  ASSERT_TRUE(install_faults(*server, json::array({{{"name", "late-ping"},
                                                    {"on", {{"after_ms", 150}}},
                                                    {"do", {{"ping", {{"count", 1}}}}}}})));
  const json seen =
      raw_h2(server->port("plain"), {{"requests", json::array()}, {"until_pings", 1}});
  ASSERT_FALSE(seen["timed_out"].get<bool>()) << seen.dump();
  const auto pings = timeline_events(*server, 1, "out", "PING");
  ASSERT_EQ(pings.size(), 1u);
  EXPECT_GE(pings[0]["t_ms"].get<double>(), 150.0);
  EXPECT_EQ(server->stats()["faults_fired"], json({{"late-ping", 1}}));
}

}  // namespace
}  // namespace faultline::fake_server::testing
