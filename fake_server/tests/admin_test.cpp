// The admin API against a running server and real clients: gates, stats that match
// what the client did, timelines, scenario replacement, reset.
#include <gtest/gtest.h>

#include "process_support.h"

namespace faultline::fake_server::testing {
namespace {

using nlohmann::json;

class Admin : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = TestServer::start({"--scenario", "default"});
    ASSERT_TRUE(server_);
  }

  std::vector<std::string> curl_get(const std::string& path, const std::string& request_id) {
    return {curl(),
            "-sS",
            "--cacert",
            server_->ca(),
            "-H",
            "x-faultline-request-id: " + request_id,
            server_->https() + path};
  }

  [[nodiscard]] ::testing::AssertionResult held(const std::string& gate, int count) {
    return server_->wait_held(gate, count);
  }

  std::unique_ptr<TestServer> server_;
};

TEST_F(Admin, HeldStreamIsReleasedInArrivalOrder) {
  // Two requests park at the gate, in a known order.
  BackgroundCommand first(curl_get("/hold", "first"), 60s);
  ASSERT_TRUE(held("hold", 1));
  BackgroundCommand second(curl_get("/hold", "second"), 60s);
  ASSERT_TRUE(held("hold", 2));
  EXPECT_EQ(server_->admin_call("GET", "/v1/requests/first").body["served"], 0);

  // Release one: the first one arrived first.
  const auto one = server_->admin_call("POST", "/v1/gates/hold/release", R"({"count":1})");
  EXPECT_EQ(one.body, json({{"released", 1}}));
  EXPECT_EQ(first.wait().out, "released");
  EXPECT_EQ(server_->admin_call("GET", "/v1/requests/first").body["served"], 1);
  EXPECT_EQ(server_->admin_call("GET", "/v1/requests/second").body["served"], 0);

  // Release the rest (no body: all).
  EXPECT_EQ(server_->admin_call("POST", "/v1/gates/hold/release").body, json({{"released", 1}}));
  EXPECT_EQ(second.wait().out, "released");
  EXPECT_EQ(server_->admin_call("POST", "/v1/gates/hold/release").body, json({{"released", 0}}));
  const json gate = server_->admin_call("GET", "/v1/gates").body["gates"]["hold"];
  EXPECT_EQ(gate, json({{"held", 0}, {"released", 2}}));
}

TEST_F(Admin, StatsCountOneConnectionAndAHundredStreams) {
  // nghttp: 100 requests on one connection, all tagged with the same id.
  const CommandResult result =
      run_command({FAULTLINE_NGHTTP, "-n", "-m", "100", "-H", "x-faultline-request-id: burst",
                   server_->https() + "/health"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json stats = server_->stats();
  EXPECT_EQ(stats["connections_total"], 1);
  EXPECT_EQ(stats["streams_total"], 100);
  EXPECT_EQ(stats["requests_total"], 100);
  EXPECT_EQ(stats["requests"]["burst"], 100);
  ASSERT_EQ(stats["connections"].size(), 1u);
  const json& conn = stats["connections"][0];
  EXPECT_EQ(conn["alpn"], "h2");
  EXPECT_EQ(conn["protocol"], "h2");
  EXPECT_EQ(conn["tls_version"], "TLSv1.3");
  EXPECT_EQ(conn["streams_opened"], 100);
  EXPECT_GE(conn["peak_concurrent_streams"], 1);
  EXPECT_LE(conn["peak_concurrent_streams"], 100);
  EXPECT_GT(conn["bytes_in"], 0);
  EXPECT_GT(conn["bytes_out"], 0);
  EXPECT_GE(conn["settings_received"], 1);

  // The timeline shows the client's SETTINGS and our responses.
  const json timeline =
      server_->admin_call("GET", "/v1/connections/" + conn["id"].dump() + "/timeline").body;
  ASSERT_GE(timeline["events"].size(), 200u);
  EXPECT_EQ(timeline["dropped"], 0);
  EXPECT_EQ(timeline["events"][0]["dir"], "out");  // our SETTINGS go first
  EXPECT_EQ(timeline["events"][0]["type"], "SETTINGS");
  int response_headers = 0;
  for (const auto& event : timeline["events"]) {
    if (event["dir"] == "out" && event["type"] == "HEADERS") {
      ++response_headers;
    }
  }
  EXPECT_EQ(response_headers, 100);
}

TEST_F(Admin, EachTaggedRequestIsServedOnce) {
  // Node: one session, 100 concurrent requests with distinct ids.
  const char* script = R"(
    const http2 = require('http2'), fs = require('fs');
    const s = http2.connect(process.argv[1], {ca: fs.readFileSync(process.argv[2])});
    let left = 100;
    for (let i = 0; i < 100; ++i) {
      const req = s.request({':path': '/health', 'x-faultline-request-id': 'n-' + i});
      req.resume();
      req.on('end', () => { if (--left === 0) { console.log('done'); s.close(); } });
    }
  )";
  const CommandResult result = run_command({node(), "-e", script, server_->https(), server_->ca()});
  ASSERT_EQ(result.out, "done\n") << result.err;
  const json stats = server_->stats();
  EXPECT_EQ(stats["connections_total"], 1);
  EXPECT_EQ(stats["streams_total"], 100);
  ASSERT_EQ(stats["requests"].size(), 100u);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(stats["requests"]["n-" + std::to_string(i)], 1) << i;
  }
  EXPECT_GT(stats["connections"][0]["peak_concurrent_streams"], 1);
}

TEST_F(Admin, ClientCancelIsCountedAsRstReceived) {
  const char* script = R"(
    const http2 = require('http2'), fs = require('fs');
    const s = http2.connect(process.argv[1], {ca: fs.readFileSync(process.argv[2])});
    s.on('connect', () => {
      const req = s.request({':path': '/hold'});
      req.on('error', () => {});
      // A ping round trip after the HEADERS: the server has the request. Then cancel.
      s.ping(() => {
        req.close(http2.constants.NGHTTP2_CANCEL);
        s.ping(() => { console.log('cancelled'); s.close(); });
      });
    });
  )";
  const CommandResult result = run_command({node(), "-e", script, server_->https(), server_->ca()});
  ASSERT_EQ(result.out, "cancelled\n") << result.err;
  ASSERT_TRUE(eventually([&] { return server_->stats()["rst_received"]["CANCEL"] == 1; }, 10s,
                         "RST_STREAM(CANCEL) counted"));
  EXPECT_TRUE(held("hold", 0));  // the cancelled stream left the gate
}

TEST_F(Admin, InvalidScenarioIsRejectedWithItsPathAndTheOldOneStays) {
  json scenario = server_->admin_call("GET", "/v1/scenario").body;
  ASSERT_EQ(scenario["name"], "default");
  json broken = scenario;
  broken["routes"][1]["respond"]["status"] = 99;
  const auto reply = server_->admin_call("PUT", "/v1/scenario", broken.dump());
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.body["error"]["path"], "$.routes[1].respond.status");
  const auto bad_json = server_->admin_call("PUT", "/v1/scenario", "{not json");
  EXPECT_EQ(bad_json.status, 400);
  json moved = scenario;
  moved["listeners"][1]["tls"] = true;
  EXPECT_EQ(server_->admin_call("PUT", "/v1/scenario", moved.dump()).body["error"]["path"],
            "$.listeners");
  // Still the old scenario.
  EXPECT_EQ(run_command(curl_get("/health", "after-bad-put")).out, "ok");
  EXPECT_EQ(server_->admin_call("GET", "/v1/scenario").body["name"], "default");
}

TEST_F(Admin, ValidScenarioReplacesRoutesAndAlpnForNewConnections) {
  json scenario = server_->admin_call("GET", "/v1/scenario").body;
  scenario["name"] = "replaced";
  scenario["listeners"][0]["alpn"] = "h1-only";
  scenario["routes"].insert(scenario["routes"].begin(),
                            json::parse(R"({"match":{"path":"/new"},"respond":{"body":"new"}})"));
  const auto reply = server_->admin_call("PUT", "/v1/scenario", scenario.dump());
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.body, json({{"ok", true}, {"scenario", "replaced"}}));
  const CommandResult result = run_command({curl(), "-sS", "--http2", "--cacert", server_->ca(),
                                            "-w", " %{http_version}", server_->https() + "/new"});
  EXPECT_EQ(result.out, "new 1.1") << result.err;
}

TEST_F(Admin, ResetClearsCountersAndClosedConnections) {
  ASSERT_EQ(run_command(curl_get("/health", "before")).out, "ok");
  EXPECT_EQ(server_->stats()["connections_total"], 1);
  EXPECT_EQ(server_->admin_call("POST", "/v1/reset").body, json({{"ok", true}}));
  const json stats = server_->stats();
  EXPECT_EQ(stats["connections_total"], 0);
  EXPECT_EQ(stats["requests_total"], 0);
  EXPECT_EQ(stats["requests"], json::object());
  EXPECT_EQ(stats["connections"], json::array());
}

TEST_F(Admin, ErrorsAreJson) {
  const auto missing = server_->admin_call("GET", "/v1/connections/12345");
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(missing.body["error"].contains("message"));
  EXPECT_EQ(server_->admin_call("GET", "/nope").status, 404);
  EXPECT_EQ(server_->admin_call("DELETE", "/v1/gates").status, 405);
}

}  // namespace
}  // namespace faultline::fake_server::testing
