// Per-stream flow-control counters: what DATA and WINDOW_UPDATE frames do to them.
#include "detail/stream_flow.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "detail/server_limits.h"
#include "detail/stats.h"

namespace faultline::fake_server::detail {
namespace {

FrameFacts data_out(std::int32_t stream, std::uint32_t length, std::int64_t window_left,
                    bool end = false) {
  FrameFacts f;
  f.dir = Direction::out;
  f.type = EventType::data;
  f.stream = stream;
  f.length = length;
  f.flags = end ? 0x1 : 0;
  f.remote_window = window_left;
  return f;
}

FrameFacts credit(std::int32_t stream, std::uint32_t increment) {
  FrameFacts f;
  f.dir = Direction::in;
  f.type = EventType::window_update;
  f.stream = stream;
  f.window_increment = increment;
  return f;
}

TEST(StreamFlow, CountsBytesCreditAndTheStallAtWindowZero) {
  StreamFlow flow;
  // The server sends until the window is used up: the stream stalls at 10 ms.
  flow.on_frame(data_out(1, 16384, 49151), 5);
  flow.on_frame(data_out(1, 49151, 0), 10);
  auto s = flow.to_json().at("1");
  EXPECT_EQ(s.at("data_out"), 65535);
  EXPECT_EQ(s.at("window"), 0);
  EXPECT_EQ(s.at("stalled_since_ms"), 10.0);
  // Credit arrives at 25 ms: the stall ends (15 ms) and the window grows.
  flow.on_frame(credit(1, 1000), 25);
  s = flow.to_json().at("1");
  EXPECT_EQ(s.at("credit_in"), 1000);
  EXPECT_EQ(s.at("window_updates_in"), 1);
  EXPECT_EQ(s.at("window"), 1000);
  EXPECT_EQ(s.at("stalled_since_ms"), -1.0);
  EXPECT_EQ(s.at("stalled_ms"), 15.0);
  // The last frame uses the window up with END_STREAM: nothing more to send, no stall.
  flow.on_frame(data_out(1, 1000, 0, true), 30);
  EXPECT_EQ(flow.to_json().at("1").at("stalled_since_ms"), -1.0);
}

TEST(StreamFlow, UploadsCountDataInAndConnectionFramesAreLeftOut) {
  StreamFlow flow;
  FrameFacts in = data_out(3, 10, -1);
  in.dir = Direction::in;
  flow.on_frame(in, 1);
  flow.on_frame(credit(0, 65535), 2);  // connection window: not a stream's
  const auto j = flow.to_json();
  EXPECT_EQ(j.size(), 1U);
  EXPECT_EQ(j.at("3").at("data_in"), 10);
  EXPECT_EQ(j.at("3").at("window"), -1);
}

TEST(StreamFlow, KeepsTheNewestStreams) {
  StreamFlow flow;
  for (std::int32_t id = 1; id <= static_cast<std::int32_t>(2 * kMaxFlowStreams + 1); id += 2) {
    flow.on_frame(data_out(id, 1, 100), 1);
  }
  const auto j = flow.to_json();
  EXPECT_EQ(j.size(), kMaxFlowStreams);
  EXPECT_FALSE(j.contains("1"));
  EXPECT_TRUE(j.contains(std::to_string(2 * kMaxFlowStreams + 1)));
}

}  // namespace
}  // namespace faultline::fake_server::detail
