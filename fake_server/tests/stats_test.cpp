// Timeline ring, connection counters, registry JSON and reset, gates.
#include "detail/stats.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "detail/gates.h"

namespace faultline::fake_server::detail {
namespace {

using nlohmann::json;

FrameFacts frame(Direction dir, EventType type, std::int32_t stream, std::uint8_t flags = 0) {
  FrameFacts facts;
  facts.dir = dir;
  facts.type = type;
  facts.stream = stream;
  facts.flags = flags;
  return facts;
}

TEST(Timeline, RingKeepsTheNewestAndCountsDropped) {
  Timeline timeline(3);
  for (int i = 0; i < 5; ++i) {
    TimelineEvent event;
    event.stream = i;
    timeline.push(event);
  }
  const auto events = timeline.events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].stream, 2);
  EXPECT_EQ(events[2].stream, 4);
  EXPECT_EQ(timeline.dropped(), 2u);
}

TEST(Names, ErrorsAndFlags) {
  EXPECT_EQ(h2_error_name(8), "CANCEL");
  EXPECT_EQ(h2_error_name(0x1f), "0x1f");
  EXPECT_EQ(frame_flag_names(EventType::headers, 0x5),
            (std::vector<std::string>{"END_STREAM", "END_HEADERS"}));
  EXPECT_EQ(frame_flag_names(EventType::settings, 0x1), (std::vector<std::string>{"ACK"}));
}

TEST(ConnectionStats, CountsWhatTheFramesSay) {
  StatsRegistry registry(16);
  auto conn = registry.open_connection("main", true);
  conn->set_protocol("h2", "h2", "TLSv1.3");
  // Two streams open, one closes, a third opens: peak 2.
  for (std::int32_t id : {1, 3}) {
    auto facts = frame(Direction::in, EventType::headers, id, 0x4);
    facts.opens_stream = true;
    conn->on_frame(facts);
  }
  conn->on_stream_closed();
  auto third = frame(Direction::in, EventType::headers, 5, 0x5);
  third.opens_stream = true;
  conn->on_frame(third);
  auto rst = frame(Direction::in, EventType::rst_stream, 3);
  rst.error_code = 8;
  conn->on_frame(rst);
  auto goaway = frame(Direction::out, EventType::goaway, 0);
  goaway.error_code = 0;
  goaway.last_stream_id = 5;
  conn->on_frame(goaway);
  conn->on_frame(frame(Direction::in, EventType::settings, 0));
  conn->on_frame(frame(Direction::in, EventType::settings, 0, 0x1));  // ACK: not counted
  conn->on_request();
  conn->on_served("abc");
  conn->on_served("abc");
  conn->add_bytes(10, 20);

  const json c = json::parse(conn->to_json());
  EXPECT_EQ(c["streams_opened"], 3);
  EXPECT_EQ(c["peak_concurrent_streams"], 2);
  EXPECT_EQ(c["active_streams"], 2);
  EXPECT_EQ(c["rst_received"]["CANCEL"], 1);
  EXPECT_EQ(c["goaway_sent"], 1);
  EXPECT_EQ(c["settings_received"], 1);
  EXPECT_EQ(c["requests"], 1);
  EXPECT_EQ(c["bytes_in"], 10);
  EXPECT_EQ(c["alpn"], "h2");
  EXPECT_EQ(c["tls_version"], "TLSv1.3");
  EXPECT_TRUE(c["open"]);

  const json stats = json::parse(registry.stats_json());
  EXPECT_EQ(stats["connections_total"], 1);
  EXPECT_EQ(stats["connections_open"], 1);
  EXPECT_EQ(stats["streams_total"], 3);
  EXPECT_EQ(stats["requests_total"], 1);
  EXPECT_EQ(stats["rst_received"]["CANCEL"], 1);
  EXPECT_EQ(stats["goaway_sent"], 1);
  EXPECT_EQ(stats["requests"]["abc"], 2);
  EXPECT_EQ(registry.served("abc"), 2u);

  const json timeline = json::parse(*registry.timeline_json(conn->id()));
  ASSERT_EQ(timeline["events"].size(), 7u);
  EXPECT_EQ(timeline["events"][3]["type"], "RST_STREAM");
  EXPECT_EQ(timeline["events"][3]["error"], "CANCEL");
  EXPECT_EQ(timeline["events"][4]["last_stream_id"], 5);
  EXPECT_EQ(timeline["events"][4]["dir"], "out");
  EXPECT_EQ(timeline["events"][2]["flags"], json({"END_STREAM", "END_HEADERS"}));
}

TEST(StatsRegistry, ResetClearsCountersAndClosedConnections) {
  StatsRegistry registry(16);
  auto closed = registry.open_connection("main", true);
  auto open = registry.open_connection("plain", false);
  open->on_h1_request("GET", "/x");
  open->on_h1_response(200);
  open->on_served("id");
  closed->close("peer closed");
  EXPECT_EQ(json::parse(registry.stats_json())["connections_open"], 1);
  EXPECT_EQ(json::parse(*registry.connection_json(closed->id()))["close_reason"], "peer closed");

  registry.reset();
  const json stats = json::parse(registry.stats_json());
  EXPECT_EQ(stats["connections_total"], 0);
  EXPECT_EQ(stats["requests"], json::object());
  ASSERT_EQ(stats["connections"].size(), 1u);
  EXPECT_EQ(stats["connections"][0]["id"], open->id());
  EXPECT_FALSE(registry.connection_json(closed->id()).has_value());
  EXPECT_EQ(json::parse(*registry.timeline_json(open->id()))["events"].size(), 0u);
}

// Retention is bounded: closed connections' timelines over a budget of events are
// released oldest first (their counters stay), request ids over a cap are counted as
// untracked instead of growing the map.
TEST(StatsRegistry, ClosedTimelinesBeyondTheBudgetAreReleasedOldestFirst) {
  StatsRegistry registry(16, /*closed_timeline_events=*/40, /*max_request_ids=*/1000);
  std::vector<std::shared_ptr<ConnectionStats>> closed;
  for (int i = 0; i < 5; ++i) {
    auto conn = registry.open_connection("plain", false);
    for (int k = 0; k < 9; ++k) {
      conn->on_h1_request("GET", "/x");  // 9 events, 10 with the close
    }
    conn->close("peer closed");
    closed.push_back(conn);
  }
  // 50 events kept would exceed 40: the oldest connection's timeline went.
  const json first = json::parse(*registry.timeline_json(closed[0]->id()));
  EXPECT_EQ(first["events"].size(), 0u);
  EXPECT_EQ(first["dropped"], 10);
  EXPECT_EQ(json::parse(*registry.connection_json(closed[0]->id()))["close_reason"], "peer closed");
  EXPECT_EQ(json::parse(*registry.timeline_json(closed[1]->id()))["events"].size(), 10u);
  EXPECT_EQ(json::parse(*registry.timeline_json(closed[4]->id()))["events"].size(), 10u);
}

TEST(StatsRegistry, RequestIdsBeyondTheCapAreCountedAsUntracked) {
  StatsRegistry registry(16, kClosedTimelineEvents, /*max_request_ids=*/3);
  auto conn = registry.open_connection("plain", false);
  for (const char* id : {"a", "b", "c", "d", "e", "a"}) {
    conn->on_served(id);
  }
  const json stats = json::parse(registry.stats_json());
  EXPECT_EQ(stats["requests"], json({{"a", 2}, {"b", 1}, {"c", 1}}));
  EXPECT_EQ(stats["requests_untracked"], 2);
  registry.reset();
  EXPECT_EQ(json::parse(registry.stats_json())["requests_untracked"], 0);
}

TEST(StatsRegistry, EachServeRecordsItsConnectionUpToTheCap) {
  StatsRegistry registry(16);
  auto first = registry.open_connection("plain", false);
  auto second = registry.open_connection("plain", false);
  first->on_served("r");
  second->on_served("r");
  first->on_served("r");
  EXPECT_EQ(registry.served_on("r"),
            (std::vector<std::uint64_t>{first->id(), second->id(), first->id()}));
  EXPECT_TRUE(registry.served_on("unknown").empty());
  for (std::size_t i = 0; i < 2 * StatsRegistry::kMaxServedConnections; ++i) {
    second->on_served("many");
  }
  EXPECT_EQ(registry.served("many"), 2 * StatsRegistry::kMaxServedConnections);
  EXPECT_EQ(registry.served_on("many").size(), StatsRegistry::kMaxServedConnections);
  registry.reset();
  EXPECT_TRUE(registry.served_on("r").empty());
}

TEST(StatsRegistry, H1EventsInTheTimeline) {
  StatsRegistry registry(16);
  auto conn = registry.open_connection("plain", false);
  conn->on_h1_request("POST", "/echo");
  conn->on_h1_response(413);
  conn->close("closed by server");
  const json events = json::parse(*registry.timeline_json(conn->id()))["events"];
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0]["type"], "request");
  EXPECT_EQ(events[0]["method"], "POST");
  EXPECT_EQ(events[1]["status"], 413);
  EXPECT_EQ(events[2]["type"], "close");
}

TEST(Gates, ReleaseInArrivalOrderAndCancel) {
  GateRegistry gates;
  std::vector<int> order;
  const auto first = gates.hold("g", [&] { order.push_back(1); });
  (void)gates.hold("g", [&] { order.push_back(2); });
  (void)gates.hold("g", [&] { order.push_back(3); });
  (void)gates.hold("other", [&] { order.push_back(9); });
  EXPECT_TRUE(gates.cancel(first));
  EXPECT_FALSE(gates.cancel(first));
  EXPECT_EQ(gates.release("g", 1), 1u);
  EXPECT_EQ(order, (std::vector<int>{2}));
  EXPECT_EQ(gates.release("g", std::nullopt), 1u);
  EXPECT_EQ(order, (std::vector<int>{2, 3}));
  EXPECT_EQ(gates.release("g", std::nullopt), 0u);
  EXPECT_EQ(gates.release("unknown", std::nullopt), 0u);
  const json listing = json::parse(gates.json());
  EXPECT_EQ(listing["gates"]["g"]["released"], 2);
  EXPECT_EQ(listing["gates"]["other"]["held"], 1);
}

}  // namespace
}  // namespace faultline::fake_server::detail
