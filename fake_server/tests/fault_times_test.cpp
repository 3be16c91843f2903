// How often a fault fires: `times` per connection (the default scope) or per server,
// seen by nghttp on several connections and cross-checked with faults_fired.
#include <gtest/gtest.h>

#include "fault_support.h"

namespace faultline::fake_server::testing {
namespace {

using nlohmann::json;

/** RST_STREAM(REFUSED_STREAM) on GET /health, `times` times per `scope`. */
json refuse_health(int times, const std::string& scope) {
  return json::array({{{"name", "refuse"},
                       {"on", {{"path", "/health"}}},
                       {"do", {{"rst_stream", {{"error", "REFUSED_STREAM"}}}}},
                       {"times", times},
                       {"scope", scope}}});
}

/** What one nghttp connection saw of its requests, in the order it opened them. */
struct Outcome {
  std::vector<std::int64_t> refused;   ///< streams reset with REFUSED_STREAM
  std::vector<std::int64_t> answered;  ///< streams that got response HEADERS
};

/** `nghttp -m count` on one connection: which of its requests were refused or answered. */
Outcome run_requests(const TestServer& server, int count) {
  const CommandResult result = nghttp({"-m", std::to_string(count), server.https() + "/health"});
  EXPECT_FALSE(result.timed_out);
  const auto frames = parse_nghttp_log(result.out);
  Outcome out;
  std::vector<std::int64_t> requests;
  for (const auto& frame : frames) {
    if (frame.dir == "send" && frame.type == "HEADERS") {
      requests.push_back(frame.stream);
    }
  }
  EXPECT_EQ(requests.size(), static_cast<std::size_t>(count)) << result.out;
  for (const auto& frame : received(frames, "RST_STREAM")) {
    EXPECT_NE(frame.detail.find("REFUSED_STREAM"), std::string::npos) << frame.detail;
    out.refused.push_back(frame.stream);
  }
  for (const auto& frame : received(frames, "HEADERS")) {
    out.answered.push_back(frame.stream);
  }
  // Every request got exactly one of the two.
  EXPECT_EQ(out.refused.size() + out.answered.size(), requests.size()) << result.out;
  return out;
}

TEST(FaultTimes, TwiceAConnectionRefusesTheFirstTwoStreamsOfEach) {
  auto server = TestServer::start({"--scenario", "default"});
  ASSERT_TRUE(server);
  ASSERT_TRUE(install_faults(*server, refuse_health(2, "connection")));
  // Two connections of four requests each: each connection's first two are refused.
  for (int i = 0; i < 2; ++i) {
    const Outcome seen = run_requests(*server, 4);
    EXPECT_EQ(seen.refused.size(), 2u);
    EXPECT_EQ(seen.answered.size(), 2u);
    ASSERT_FALSE(seen.refused.empty());
    ASSERT_FALSE(seen.answered.empty());
    EXPECT_LT(seen.refused.back(), seen.answered.front()) << "the first two are the refused";
  }
  // The server agrees: two firings per connection, four in all.
  const json stats = server->stats();
  EXPECT_EQ(stats["faults_fired"], json({{"refuse", 4}}));
  ASSERT_EQ(stats["connections"].size(), 2u);
  for (const auto& conn : stats["connections"]) {
    EXPECT_EQ(conn["faults_fired"], json({{"refuse", 2}}));
    EXPECT_EQ(conn["rst_sent"], json({{"REFUSED_STREAM", 2}}));
    EXPECT_EQ(conn["requests"], 2);
  }
}

TEST(FaultTimes, TwiceAServerRefusesOnlyTheFirstTwoStreamsOverall) {
  auto server = TestServer::start({"--scenario", "default"});
  ASSERT_TRUE(server);
  ASSERT_TRUE(install_faults(*server, refuse_health(2, "server")));
  // The first connection uses up both firings; the second is served whole.
  const Outcome one = run_requests(*server, 3);
  EXPECT_EQ(one.refused.size(), 2u);
  EXPECT_EQ(one.answered.size(), 1u);
  const Outcome two = run_requests(*server, 3);
  EXPECT_TRUE(two.refused.empty());
  EXPECT_EQ(two.answered.size(), 3u);

  const json stats = server->stats();
  EXPECT_EQ(stats["faults_fired"], json({{"refuse", 2}}));
  ASSERT_EQ(stats["connections"].size(), 2u);
  EXPECT_EQ(stats["connections"][0]["faults_fired"], json({{"refuse", 2}}));
  EXPECT_EQ(stats["connections"][1]["faults_fired"], json::object());
  EXPECT_EQ(stats["connections"][1]["rst_sent"], json::object());

  // Loading a scenario restarts the count: two more refusals (faults_fired, a stat, goes
  // on until POST /v1/reset).
  ASSERT_TRUE(install_faults(*server, refuse_health(2, "server")));
  const Outcome three = run_requests(*server, 3);
  EXPECT_EQ(three.refused.size(), 2u);
  EXPECT_EQ(three.answered.size(), 1u);
  EXPECT_EQ(server->stats()["faults_fired"], json({{"refuse", 4}}));
}

/** The server PINGs (non-ACK) one nghttp connection received. */
std::size_t server_pings(const TestServer& server) {
  const CommandResult result = nghttp({server.https() + "/health"});
  EXPECT_EQ(result.exit_code, 0) << result.err << result.out;
  std::size_t n = 0;
  for (const auto& frame : received(parse_nghttp_log(result.out), "PING")) {
    n += (frame.flags & 1u) == 0 ? 1 : 0;
  }
  return n;
}

TEST(FaultTimes, ConnectFaultFiresOnEveryConnectionOrOnceForTheServer) {
  auto server = TestServer::start({"--scenario", "default"});
  ASSERT_TRUE(server);
  const auto ping_on_connect = [](const std::string& scope) {
    return json::array({{{"name", "hello"},
                         {"on", {{"connect", true}}},
                         {"do", {{"ping", {{"count", 1}}}}},
                         {"scope", scope}}});
  };
  // Per connection (times 1): each of two connections is greeted with a PING.
  ASSERT_TRUE(install_faults(*server, ping_on_connect("connection")));
  EXPECT_EQ(server_pings(*server), 1u);
  EXPECT_EQ(server_pings(*server), 1u);
  json stats = server->stats();
  EXPECT_EQ(stats["faults_fired"], json({{"hello", 2}}));
  ASSERT_EQ(stats["connections"].size(), 2u);
  for (const auto& conn : stats["connections"]) {
    EXPECT_EQ(conn["pings_sent"], 1);
    EXPECT_EQ(conn["faults_fired"], json({{"hello", 1}}));
  }

  // Per server (times 1): only the first connection after the load is.
  ASSERT_TRUE(install_faults(*server, ping_on_connect("server")));
  EXPECT_EQ(server_pings(*server), 1u);
  EXPECT_EQ(server_pings(*server), 0u);
  EXPECT_EQ(server_pings(*server), 0u);
  stats = server->stats();
  EXPECT_EQ(stats["faults_fired"], json({{"hello", 3}}));  // 2 before the load, 1 since
  ASSERT_EQ(stats["connections"].size(), 5u);
  EXPECT_EQ(stats["connections"][2]["pings_sent"], 1);
  EXPECT_EQ(stats["connections"][2]["faults_fired"], json({{"hello", 1}}));
  for (std::size_t i = 3; i < 5; ++i) {
    EXPECT_EQ(stats["connections"][i]["pings_sent"], 0);
    EXPECT_EQ(stats["connections"][i]["faults_fired"], json::object());
  }
}

}  // namespace
}  // namespace faultline::fake_server::testing
