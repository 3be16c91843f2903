// SETTINGS_MAX_CONCURRENT_STREAMS: announced (nghttp's frame log), enforced against a
// raw client that opens more (REFUSED_STREAM, counted as violations), and changed
// mid-connection by a settings fault.
#include <gtest/gtest.h>

#include "fault_support.h"

namespace faultline::fake_server::testing {
namespace {

using nlohmann::json;

TEST(FaultLimit, TheLimitIsAnnounced) {
  auto server = TestServer::start({"--scenario", "max-streams-10"});
  ASSERT_TRUE(server);
  const CommandResult result = nghttp({server->https() + "/health"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto settings = received(parse_nghttp_log(result.out), "SETTINGS");
  ASSERT_FALSE(settings.empty());
  EXPECT_NE(settings[0].detail.find("SETTINGS_MAX_CONCURRENT_STREAMS(0x03):10"), std::string::npos)
      << settings[0].detail;
  // The server's timeline shows the frame as written (three settings, 18 bytes).
  const auto sent = timeline_events(*server, 1, "out", "SETTINGS");
  ASSERT_FALSE(sent.empty());
  EXPECT_EQ(sent[0]["length"], settings[0].length);
}

TEST(FaultLimit, StreamsBeyondTheLimitAreRefused) {
  auto server = TestServer::start({"--scenario", "max-streams-10"});
  ASSERT_TRUE(server);
  // 20 held requests in one write, after the client ACKed the limit of 10.
  json requests = json::array();
  for (int i = 0; i < 20; ++i) {
    requests.push_back({{"path", "/hold"}});
  }
  const json seen = raw_h2(server->port("plain"), {{"requests", requests}, {"until_refused", 10}});
  ASSERT_FALSE(seen["timed_out"].get<bool>()) << seen.dump();
  std::vector<std::int64_t> refused;
  for (const auto& frame : seen["frames"]) {
    if (frame["type"] == 3) {
      EXPECT_EQ(frame["error"], 7);  // REFUSED_STREAM
      refused.push_back(frame["stream"].get<std::int64_t>());
    }
  }
  std::vector<std::int64_t> expected;
  for (int i = 10; i < 20; ++i) {
    expected.push_back(2 * i + 1);
  }
  EXPECT_EQ(refused, expected);

  const json conn = server->stats()["connections"][0];
  EXPECT_EQ(conn["stream_limit_violations"], 10);
  EXPECT_EQ(conn["rst_sent"], json({{"REFUSED_STREAM", 10}}));
  EXPECT_EQ(conn["streams_opened"], 10);
  EXPECT_EQ(conn["peak_concurrent_streams"], 10);
}

TEST(FaultLimit, NodeClientOpeningTwentyStreamsGetsTenAtATime) {
  // Node's http2 (nghttp2) obeys the announced limit: every request is served and the
  // server never sees more than 10 open streams.
  auto server = TestServer::start({"--scenario", "max-streams-10"});
  ASSERT_TRUE(server);
  const std::string script = R"(
const http2 = require('http2');
const fs = require('fs');
const s = http2.connect(process.argv[1], {ca: fs.readFileSync(process.argv[2])});
let ok = 0, refused = 0, left = 20;
s.on('remoteSettings', (settings) => {
  if (left !== 20) return;
  for (let i = 0; i < 20; i++) {
    const r = s.request({':path': '/slow'});
    r.on('response', (h) => { if (h[':status'] === 200) ok++; });
    r.on('error', (e) => { if (String(e.message).includes('REFUSED')) refused++; });
    r.resume();
    r.on('close', () => { if (--left === 0) { console.log(JSON.stringify({ok, refused,
      limit: settings.maxConcurrentStreams})); s.close(); } });
  }
});)";
  const CommandResult result =
      run_command({node(), "-e", script, server->https(), server->ca()}, 60s);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json seen = json::parse(result.out);
  EXPECT_EQ(seen["limit"], 10);
  EXPECT_EQ(seen["ok"], 20);
  EXPECT_EQ(seen["refused"], 0);
  const json conn = server->stats()["connections"][0];
  EXPECT_LE(conn["peak_concurrent_streams"].get<int>(), 10);
  EXPECT_EQ(conn["stream_limit_violations"], 0);
}

TEST(FaultLimit, SettingsFaultLowersTheLimitMidConnection) {
  auto server = TestServer::start({"--scenario", "limit-lowered"});
  ASSERT_TRUE(server);
  BackgroundCommand client({FAULTLINE_NGHTTP, "-v", "-n", server->https() + "/hold"}, 60s);
  ASSERT_TRUE(server->wait_held("hold", 1));
  EXPECT_EQ(server->fire("lower"), json({{"fired", 1}}));
  // The client acknowledges the new SETTINGS before the stream ends.
  ASSERT_TRUE(eventually(
      [&] {
        int acks = 0;
        for (const auto& e : timeline_events(*server, 1, "in", "SETTINGS")) {
          if (e["flags"] == json::array({"ACK"})) {
            ++acks;
          }
        }
        return acks == 2;
      },
      20s, "two SETTINGS ACKs"));
  EXPECT_EQ(server->admin_call("POST", "/v1/gates/hold/release").body, json({{"released", 1}}));
  const CommandResult result = client.wait();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto settings = received(parse_nghttp_log(result.out), "SETTINGS");
  std::vector<std::string> limits;
  for (const auto& frame : settings) {
    constexpr std::string_view kKey = "SETTINGS_MAX_CONCURRENT_STREAMS(0x03):";
    const auto at = frame.detail.find(kKey);
    if (at != std::string::npos) {
      const auto from = at + kKey.size();
      limits.push_back(frame.detail.substr(from, frame.detail.find(']', from) - from));
    }
  }
  EXPECT_EQ(limits, (std::vector<std::string>{"100", "5"})) << result.out;
  EXPECT_EQ(server->stats()["faults_fired"]["lower-on-admin"], 1);
}

}  // namespace
}  // namespace faultline::fake_server::testing

namespace faultline::fake_server::testing {
namespace {

TEST(FaultLimit, TwentyOpenStreamsLowerTheLimitToFive) {
  auto server = TestServer::start({"--scenario", "limit-lowered"});
  ASSERT_TRUE(server);
  json requests = json::array();
  for (int i = 0; i < 20; ++i) {
    requests.push_back({{"path", "/hold"}});
  }
  // The 20th open stream fires active_streams: 20 -> SETTINGS(MAX_CONCURRENT_STREAMS 5).
  const json seen = raw_h2(server->port("plain"), {{"requests", requests}, {"until_settings", 2}});
  ASSERT_FALSE(seen["timed_out"].get<bool>()) << seen.dump();
  std::vector<json> settings;
  for (const auto& frame : seen["frames"]) {
    if (frame["type"] == 4 && frame.contains("settings")) {
      settings.push_back(frame["settings"]);
    }
  }
  ASSERT_EQ(settings.size(), 2u);
  EXPECT_EQ(settings[0]["3"], 100);
  EXPECT_EQ(settings[1], json({{"3", 5}}));
  EXPECT_EQ(server->stats()["faults_fired"], json({{"lower-when-busy", 1}}));
}

TEST(FaultLimit, StormEndsOnReset) {
  auto server = TestServer::start({"--scenario", "default"});
  ASSERT_TRUE(server);
  EXPECT_EQ(server->admin_call("POST", "/v1/actions", R"({"storm":{"debug":"calm"}})").body,
            json({{"applied", 1}}));
  const json stormed = raw_h2(server->port("plain"), {{"requests", {{{"path", "/health"}}}}});
  bool goaway = false;
  for (const auto& frame : stormed["frames"]) {
    if (frame["type"] == 7) {
      goaway = true;
      EXPECT_EQ(frame["last"], 0);
      EXPECT_EQ(frame["error"], 0xb);
    }
    EXPECT_NE(frame["type"], 1) << "a stormed connection serves nothing";
  }
  EXPECT_TRUE(goaway) << stormed.dump();
  server->admin_call("POST", "/v1/reset");
  const CommandResult calm = nghttp({server->https() + "/health"});
  EXPECT_EQ(calm.exit_code, 0) << calm.out;
  EXPECT_TRUE(received(parse_nghttp_log(calm.out), "GOAWAY").empty());
}

}  // namespace
}  // namespace faultline::fake_server::testing

namespace faultline::fake_server::testing {
namespace {

TEST(FaultLimit, UnenforcedLimitServesViolationsButCountsThem) {
  auto server = TestServer::start({"--scenario", "max-streams-10"});
  ASSERT_TRUE(server);
  json scenario = server->admin_call("GET", "/v1/scenario").body;
  scenario["enforce_stream_limit"] = false;
  ASSERT_EQ(server->admin_call("PUT", "/v1/scenario", scenario.dump()).status, 200);
  json requests = json::array();
  for (int i = 0; i < 12; ++i) {
    requests.push_back({{"path", "/hold"}});
  }
  auto client = raw_h2_background(server->port("plain"), {{"requests", requests}});
  ASSERT_TRUE(server->wait_held("hold", 12));
  const json conn = server->stats()["connections"][0];
  EXPECT_EQ(conn["stream_limit_violations"], 2);
  EXPECT_EQ(conn["rst_sent"], json::object());
  EXPECT_EQ(conn["streams_opened"], 12);
}

}  // namespace
}  // namespace faultline::fake_server::testing
