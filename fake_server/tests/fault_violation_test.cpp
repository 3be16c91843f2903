// Protocol violations (docs/scenarios.md, "Protocol violations") on the wire, seen by
// nghttp -v (nghttp2's own client): what it received in place of a response, what it
// answered, and the same answer in the server's stats (goaway_codes_received,
// client_settings, rst_received).
#include <gtest/gtest.h>

#include "fault_support.h"

namespace faultline::fake_server::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

/** GET /v/{kind} answered by protocol_violation {kind}; forbidden_field also as /v/upper. */
std::unique_ptr<TestServer> start_violation_server() {
  json routes = json::array();
  json faults = json::array();
  for (const char* kind :
       {"garbage", "push_promise", "bad_hpack", "bad_status", "forbidden_field"}) {
    const std::string path = std::string("/v/") + kind;
    routes.push_back({{"match", {{"path", path}}}, {"respond", {{"body", "never"}}}});
    faults.push_back({{"on", {{"path", path}}},
                      {"do", {{"protocol_violation", {{"kind", kind}}}}},
                      {"times", "always"}});
  }
  routes.push_back({{"match", {{"path", "/v/upper"}}}, {"respond", {{"body", "never"}}}});
  faults.push_back(
      {{"on", {{"path", "/v/upper"}}},
       {"do", {{"protocol_violation", {{"kind", "forbidden_field"}, {"name", "X-Upper"}}}}},
       {"times", "always"}});
  const json scenario = {{"name", "violations"}, {"routes", routes}, {"faults", faults}};
  const auto file = write_temp_file("faultline-violations.json", scenario.dump());
  return TestServer::start({"--scenario", file.string()});
}

/** Waits until the server's only connection has closed (its stats are then final). */
::testing::AssertionResult closed(const TestServer& server) {
  return eventually([&] { return server.stats()["connections_open"] == 0; }, 20s,
                    "the connection closed");
}

/** The only connection's stats object. */
json only_connection(const TestServer& server) {
  const json connections = server.stats()["connections"];
  return connections.size() == 1 ? connections[0] : json{{"connections", connections}};
}

// RFC 9113 8.4: nghttp with --no-push sends SETTINGS_ENABLE_PUSH=0 and answers the
// PUSH_PROMISE with GOAWAY(PROTOCOL_ERROR).
TEST(FaultViolation, PushPromiseToAClientThatDisabledPush) {
  auto server = start_violation_server();
  ASSERT_TRUE(server);
  const CommandResult result = nghttp({"--no-push", server->https() + "/v/push_promise"});
  const auto frames = parse_nghttp_log(result.out);
  ASSERT_EQ(received(frames, "PUSH_PROMISE").size(), 1U) << result.out;
  EXPECT_NE(received(frames, "PUSH_PROMISE")[0].detail.find("promised_stream_id=2"),
            std::string::npos)
      << result.out;
  const auto goaway = sent(frames, "GOAWAY");
  ASSERT_EQ(goaway.size(), 1U) << result.out;
  EXPECT_NE(goaway[0].detail.find("PROTOCOL_ERROR"), std::string::npos) << result.out;
  ASSERT_TRUE(closed(*server));
  const json connection = only_connection(*server);
  EXPECT_EQ(connection["client_settings"]["ENABLE_PUSH"], 0) << connection.dump();
  EXPECT_EQ(connection["goaway_codes_received"], json({{"PROTOCOL_ERROR", 1}}))
      << connection.dump();
}

// RFC 7541 6.1, RFC 9113 4.3: a header block that is no HPACK ends the connection with
// GOAWAY(COMPRESSION_ERROR).
TEST(FaultViolation, BadHpackIsACompressionError) {
  auto server = start_violation_server();
  ASSERT_TRUE(server);
  const CommandResult result = nghttp({server->https() + "/v/bad_hpack"});
  const auto frames = parse_nghttp_log(result.out);
  const auto goaway = sent(frames, "GOAWAY");
  ASSERT_EQ(goaway.size(), 1U) << result.out;
  EXPECT_NE(goaway[0].detail.find("COMPRESSION_ERROR"), std::string::npos) << result.out;
  ASSERT_TRUE(closed(*server));
  EXPECT_EQ(only_connection(*server)["goaway_codes_received"], json({{"COMPRESSION_ERROR", 1}}));
}

// RFC 9113 4.2: an HTTP/1.1 head in place of a frame is a frame too large.
TEST(FaultViolation, GarbageIsAFrameSizeError) {
  auto server = start_violation_server();
  ASSERT_TRUE(server);
  const CommandResult result = nghttp({server->https() + "/v/garbage"});
  const auto goaway = sent(parse_nghttp_log(result.out), "GOAWAY");
  ASSERT_EQ(goaway.size(), 1U) << result.out;
  EXPECT_NE(goaway[0].detail.find("FRAME_SIZE_ERROR"), std::string::npos) << result.out;
  ASSERT_TRUE(closed(*server));
  EXPECT_EQ(only_connection(*server)["goaway_codes_received"], json({{"FRAME_SIZE_ERROR", 1}}));
}

// RFC 9113 8.3.2, 8.2.2, 8.2.1: a malformed response head is a stream error; nghttp
// resets the stream with PROTOCOL_ERROR and sends no GOAWAY of its own for it.
TEST(FaultViolation, MalformedHeadsAreResetWithProtocolError) {
  for (const char* path : {"/v/bad_status", "/v/forbidden_field", "/v/upper"}) {
    SCOPED_TRACE(path);
    auto server = start_violation_server();
    ASSERT_TRUE(server);
    const CommandResult result = nghttp({server->https() + path});
    const auto frames = parse_nghttp_log(result.out);
    const auto rst = sent(frames, "RST_STREAM");
    ASSERT_EQ(rst.size(), 1U) << result.out;
    EXPECT_NE(rst[0].detail.find("PROTOCOL_ERROR"), std::string::npos) << result.out;
    ASSERT_TRUE(closed(*server));
    const json connection = only_connection(*server);
    EXPECT_EQ(connection["rst_received"], json({{"PROTOCOL_ERROR", 1}})) << connection.dump();
    EXPECT_EQ(connection["goaway_codes_received"].count("PROTOCOL_ERROR"), 0U) << connection.dump();
  }
}

}  // namespace
}  // namespace faultline::fake_server::testing
