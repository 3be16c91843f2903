// The HTTP/2 session against nghttp2's client session, in memory (h2_exchange.h).
#include "detail/h2_session.h"

#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>
#include <nlohmann/json.hpp>

#include <cstring>
#include <map>

#include "detail/random_bytes.h"
#include "faultline/common/sha256.h"
#include "faultline/scenarios/loader.h"
#include "h2_exchange.h"

namespace faultline::fake_server::detail {
namespace {

using common::sha256_hex;
using testing::ClientStream;
using testing::FakeHost;
using namespace std::chrono_literals;

class H2SessionTest : public ::testing::Test {
 protected:
  explicit H2SessionTest(const char* scenario = "default")
      : ex_(scenarios::load_builtin_scenario(scenario)) {}

  [[nodiscard]] ::testing::AssertionResult pump(const std::function<bool()>& done,
                                                std::size_t max_piece = 97) {
    return ex_.pump(done, max_piece);
  }
  [[nodiscard]] ::testing::AssertionResult finish(std::int32_t id) { return ex_.finish(id); }
  nlohmann::json stats() { return ex_.server_stats(); }

  testing::H2Exchange ex_;
  ServerContext& context_ = ex_.context;
  FakeHost& host_ = ex_.host;
  std::shared_ptr<ConnectionStats>& stats_ = ex_.stats;
  H2Session& session_ = ex_.session;
  testing::H2Client& client_ = ex_.client;
};

TEST_F(H2SessionTest, SendsTheScenarioSettingsAndAnswersHealth) {
  const auto id = client_.request("GET", "/health", {{"x-faultline-request-id", "r1"}});
  ASSERT_TRUE(finish(id));
  EXPECT_EQ(client_.settings[NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE], 65535u);
  EXPECT_EQ(client_.settings[NGHTTP2_SETTINGS_MAX_FRAME_SIZE], 16384u);
  const ClientStream& stream = client_.streams[id];
  EXPECT_EQ(stream.status, 200);
  EXPECT_EQ(stream.body, "ok");
  EXPECT_EQ(stream.headers.at("content-length"), "2");
  EXPECT_EQ(stream.headers.at("x-faultline-request-id"), "r1");
  EXPECT_EQ(context_.stats.served("r1"), 1u);
}

TEST_F(H2SessionTest, EchoDigestsLargeBodiesCutAnywhere) {
  std::vector<std::uint8_t> bytes(300000);
  RandomBytes(5).fill(bytes);
  const std::string body(bytes.begin(), bytes.end());
  const auto id = client_.request("POST", "/echo?q=1", {{"content-type", "application/x"}}, body);
  ASSERT_TRUE(finish(id));
  ASSERT_EQ(client_.streams[id].status, 200);
  const auto echo = nlohmann::json::parse(client_.streams[id].body);
  EXPECT_EQ(echo["body_bytes"], body.size());
  EXPECT_EQ(echo["sha256"], sha256_hex(body));
  EXPECT_EQ(echo["query"], "q=1");
  EXPECT_EQ(echo["headers"]["content-type"], "application/x");
}

TEST_F(H2SessionTest, RandomBytesMatchTheGenerator) {
  const auto id = client_.request("GET", "/bytes/100000");
  ASSERT_TRUE(finish(id));
  std::vector<std::uint8_t> expected(100000);
  RandomBytes(7).fill(expected);
  EXPECT_EQ(client_.streams[id].body, std::string(expected.begin(), expected.end()));
  EXPECT_EQ(client_.streams[id].headers.at("content-length"), "100000");
}

TEST_F(H2SessionTest, SseEventsArriveOnTheirTimersSplitAcrossFrames) {
  const auto id = client_.request("GET", "/sse/split");
  ASSERT_TRUE(finish(id));
  const ClientStream& stream = client_.streams[id];
  EXPECT_EQ(stream.headers.at("content-type"), "text/event-stream");
  EXPECT_EQ(stream.body.rfind("id: 0\nevent: tick\ndata: event 0\n\nid: 1\n", 0), 0u);
  // split [1,2,3]: every DATA frame is at most 3 bytes (the last one may be empty).
  for (std::size_t length : stream.data_frames) {
    EXPECT_LE(length, 3u);
  }
  // Five events 10 ms apart: the first arrives at 0 ms, the last at 40 ms.
  EXPECT_EQ(stream.data_at.front(), 0ms);
  EXPECT_EQ(stream.data_at.back(), 40ms);
}

TEST_F(H2SessionTest, TrailersFollowTheBody) {
  const auto id = client_.request("GET", "/trailers");
  ASSERT_TRUE(finish(id));
  EXPECT_EQ(client_.streams[id].body, "body with trailers\n");
  EXPECT_EQ(client_.streams[id].trailers.at("x-trailer"), "yes");
}

TEST_F(H2SessionTest, DelayAndChunkDelay) {
  const auto id = client_.request("GET", "/slow");
  ASSERT_TRUE(finish(id));
  const ClientStream& stream = client_.streams[id];
  EXPECT_EQ(stream.body, "chunk 1\nchunk 2\nchunk 3\nchunk 4\nchunk 5\n");
  // Headers after 200 ms, then 8-byte pieces 50 ms apart.
  EXPECT_EQ(stream.data_at.front(), 200ms);
  EXPECT_EQ(stream.data_at.back(), 400ms);
  EXPECT_EQ(stream.data_frames.front(), 8u);
}

TEST_F(H2SessionTest, HeldStreamWaitsForTheGateThenOthersGoFirst) {
  const auto held = client_.request("GET", "/hold", {{"x-faultline-request-id", "held"}});
  const auto free = client_.request("GET", "/health");
  ASSERT_TRUE(finish(free));
  EXPECT_FALSE(client_.streams[held].closed);
  EXPECT_EQ(context_.gates.held("hold"), 1u);
  EXPECT_EQ(context_.stats.served("held"), 0u);
  // Release through the registry, as the admin API does.
  EXPECT_EQ(context_.gates.release("hold", std::nullopt), 1u);
  ASSERT_TRUE(finish(held));
  EXPECT_EQ(client_.streams[held].body, "released");
  EXPECT_EQ(context_.stats.served("held"), 1u);
}

TEST_F(H2SessionTest, ClientResetOfAHeldStreamLeavesTheGate) {
  const auto held = client_.request("GET", "/hold");
  ASSERT_TRUE(pump([&] { return context_.gates.held("hold") == 1; }));
  nghttp2_submit_rst_stream(client_.session(), NGHTTP2_FLAG_NONE, held, NGHTTP2_CANCEL);
  ASSERT_TRUE(pump([&] { return context_.gates.held("hold") == 0; }));
  EXPECT_EQ(stats()["rst_received"]["CANCEL"], 1);
}

TEST_F(H2SessionTest, RedirectsAndNotFound) {
  const auto cross = client_.request("GET", "/cross/h1");
  const auto chain = client_.request("GET", "/redirect/3");
  const auto missing = client_.request("GET", "/nowhere/at/all");
  ASSERT_TRUE(pump([&] {
    return client_.streams[cross].closed && client_.streams[chain].closed &&
           client_.streams[missing].closed;
  }));
  EXPECT_EQ(client_.streams[cross].status, 307);
  EXPECT_EQ(client_.streams[cross].headers.at("location"), "https://127.0.0.1:3/echo");
  EXPECT_EQ(client_.streams[chain].status, 302);
  EXPECT_EQ(client_.streams[chain].headers.at("location"), "/redirect/2");
  EXPECT_EQ(client_.streams[missing].status, 404);
}

TEST_F(H2SessionTest, StatsCountStreamsAndPeakConcurrency) {
  std::vector<std::int32_t> ids;
  for (int i = 0; i < 10; ++i) {
    ids.push_back(
        client_.request("GET", "/health", {{"x-faultline-request-id", "id" + std::to_string(i)}}));
  }
  ASSERT_TRUE(pump([&] {
    return std::all_of(ids.begin(), ids.end(), [&](auto id) { return client_.streams[id].closed; });
  }));
  const auto c = nlohmann::json::parse(stats_->to_json());
  EXPECT_EQ(c["streams_opened"], 10);
  EXPECT_EQ(c["requests"], 10);
  EXPECT_EQ(c["active_streams"], 0);
  EXPECT_GE(c["peak_concurrent_streams"], 1);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(context_.stats.served("id" + std::to_string(i)), 1u);
  }
}

// respond.early (RFC 9113 8.1): the complete response goes out on the request head, then
// RST_STREAM(NO_ERROR) while the client is still sending; the body is not read.
TEST_F(H2SessionTest, EarlyAnswerEndsTheResponseThenResetsWithNoError) {
  context_.scenarios.replace(scenarios::parse_scenario(
      R"({"name":"early","routes":[{"match":{"path":"/early"},)"
      R"("respond":{"status":413,"early":true,"body":{"text":"too big"}}}]})"));
  const auto id = client_.request("POST", "/early", {{"x-faultline-request-id", "e1"}},
                                  std::string(1 << 20, 'u'));
  const auto after = client_.request("GET", "/early");  // no body: answered as usual
  ASSERT_TRUE(finish(id));
  ASSERT_TRUE(finish(after));
  EXPECT_EQ(client_.streams[id].status, 413);
  EXPECT_EQ(client_.streams[id].body, "too big");
  EXPECT_EQ(client_.streams[id].close_error, static_cast<std::uint32_t>(NGHTTP2_NO_ERROR));
  EXPECT_EQ(client_.streams[after].status, 413);
  // END_STREAM on the response first, then the reset: never the reset alone.
  bool ended = false;
  int resets = 0;
  for (const auto& frame : ex_.frames) {
    if (frame.header.stream_id != static_cast<std::uint32_t>(id)) {
      continue;
    }
    if (frame.is(FrameType::rst_stream)) {
      EXPECT_TRUE(ended) << "RST_STREAM before the response ended";
      ASSERT_EQ(frame.payload.size(), 4u);
      EXPECT_EQ(frame.payload[3], NGHTTP2_NO_ERROR);
      ++resets;
    } else if ((frame.header.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
      ended = true;
    }
  }
  EXPECT_EQ(resets, 1);
  // Nothing of the megabyte was read before the answer, and the request counts as served.
  EXPECT_EQ(stats()["request_body_bytes"].value("e1", std::uint64_t{0}), 0u);
  EXPECT_EQ(context_.stats.served("e1"), 1u);
}

TEST_F(H2SessionTest, OversizeBodyIs413) {
  scenarios::Scenario small = *context_.scenarios.current();
  small.limits.max_request_body_bytes = 1000;
  context_.scenarios.replace(small);
  const auto id = client_.request("POST", "/echo", {}, std::string(5000, 'x'));
  ASSERT_TRUE(finish(id));
  EXPECT_EQ(client_.streams[id].status, 413);
}

TEST_F(H2SessionTest, OversizeHeadersAre431) {
  scenarios::Scenario small = *context_.scenarios.current();
  small.limits.max_header_bytes = 200;
  context_.scenarios.replace(small);
  const auto id = client_.request("GET", "/health", {{"x-big", std::string(300, 'h')}});
  ASSERT_TRUE(finish(id));
  EXPECT_EQ(client_.streams[id].status, 431);
}

TEST_F(H2SessionTest, GarbageGetsGoawayProtocolError) {
  const std::string garbage = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  session_.on_input({reinterpret_cast<const std::uint8_t*>(garbage.data()), garbage.size()});
  std::vector<std::uint8_t> out;
  session_.produce_output(out, 1 << 16);
  EXPECT_TRUE(session_.should_close());
  // The server's SETTINGS, then GOAWAY(PROTOCOL_ERROR): frame type 7 with code 1.
  ASSERT_GE(out.size(), 9u + 12u + 9u + 8u);
  const std::size_t goaway = out.size() - 17;
  EXPECT_EQ(out[goaway + 3], NGHTTP2_GOAWAY);
  EXPECT_EQ(out[goaway + 16], NGHTTP2_PROTOCOL_ERROR);
}

TEST_F(H2SessionTest, ShutdownSendsGoawayAndCloses) {
  const auto id = client_.request("GET", "/health");
  ASSERT_TRUE(finish(id));
  session_.shutdown();
  ASSERT_TRUE(pump([&] { return client_.goaway_error.has_value(); }));
  EXPECT_EQ(*client_.goaway_error, NGHTTP2_NO_ERROR);
  EXPECT_TRUE(session_.should_close());
  EXPECT_EQ(stats()["goaway_sent"], 1);
}

// 2000 PINGs at once: the flood guard's budget (1000) runs out; GOAWAY(ENHANCE_YOUR_CALM),
// counted as a guard, and the session closes.
TEST_F(H2SessionTest, APingFloodGetsGoawayEnhanceYourCalm) {
  ASSERT_TRUE(finish(client_.request("GET", "/health")));
  for (std::uint64_t i = 0; i < 2000; ++i) {
    std::uint8_t payload[8] = {};
    std::memcpy(payload, &i, sizeof payload);
    ASSERT_EQ(nghttp2_submit_ping(client_.session(), NGHTTP2_FLAG_NONE, payload), 0);
  }
  ASSERT_TRUE(pump([&] { return client_.goaway_error.has_value(); }));
  EXPECT_EQ(*client_.goaway_error, NGHTTP2_ENHANCE_YOUR_CALM);
  EXPECT_TRUE(session_.should_close());
  EXPECT_EQ(stats()["guards"]["flood:ping"], 1);
  EXPECT_EQ(stats()["connections"][0]["guard"], "flood:ping");
}

class H2ResetAllTest : public H2SessionTest {
 protected:
  H2ResetAllTest() : H2SessionTest("reset-all") {}
};

// The request that fires "close every connection now" is not served (nor counted as a
// request): its connection is going away with the rest.
TEST_F(H2ResetAllTest, TheTriggerRequestIsNotServed) {
  const auto id = client_.request("GET", "/reset-all", {{"x-faultline-request-id", "trigger"}});
  (void)pump([&] { return client_.streams[id].closed; });
  EXPECT_EQ(stats()["faults_fired"]["reset-on-path"], 1) << stats().dump();
  EXPECT_EQ(client_.streams[id].status, 0) << "answered " << client_.streams[id].status;
  EXPECT_EQ(context_.stats.served("trigger"), 0u);
  EXPECT_EQ(stats()["requests_total"], 0);
}

}  // namespace
}  // namespace faultline::fake_server::detail
