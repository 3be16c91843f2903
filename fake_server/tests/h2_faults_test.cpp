// Every HTTP/2 fault family in memory, over the session seam (h2_exchange.h): what the
// server writes is read back frame by frame and checked byte for byte. The same faults
// seen by independent clients on the wire are in fault_*_test.cpp.
#include "detail/h2_faults.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "faultline/scenarios/loader.h"
#include "h2_exchange.h"

namespace faultline::fake_server::testing {
namespace {

using detail::FrameType;
using detail::FrameWriter;
using nlohmann::json;
using namespace std::chrono_literals;
namespace frame_flag = detail::frame_flag;
namespace setting_id = detail::setting_id;

/** Routes for the fault scenarios: quick, delayed, held, bodies, trailers, a slow body. */
constexpr std::string_view kRoutes = R"([
  {"match": {"path": "/health"}, "respond": {"status": 200, "body": "ok"}},
  {"match": {"path": "/slow"}, "respond": {"status": 200, "delay_ms": 100, "body": "slow"}},
  {"match": {"path": "/hold"}, "respond": {"status": 200, "hold": "gate", "body": "held"}},
  {"match": {"path": "/body"}, "respond": {"status": 200, "body": {"random_bytes": 1000, "seed": 7}}},
  {"match": {"path": "/stream"},
   "respond": {"status": 200, "chunk_bytes": 100, "chunk_delay_ms": 10,
               "body": {"random_bytes": 100000, "seed": 7}, "trailers": {"x-trailer": "yes"}}}
])";

/** A scenario with kRoutes, the given faults and optional top-level settings. */
scenarios::Scenario scenario(std::string_view faults, std::string_view settings = "{}") {
  std::string text =
      R"({"name": "faults", "listeners": [{"name": "main", "tls": true, "alpn": "h2+h1"}],)";
  text += R"("settings": )" + std::string(settings) + ",";
  text += R"("routes": )" + std::string(kRoutes) + ",";
  text += R"("faults": )" + std::string(faults) + "}";
  return scenarios::parse_scenario(text);
}

std::vector<std::uint8_t> bytes_of(std::string_view text) {
  return {text.begin(), text.end()};
}

/** The frames the server wrote on one stream, in order. */
std::vector<const SentFrame*> on_stream(const H2Exchange& ex, std::uint32_t id) {
  std::vector<const SentFrame*> out;
  for (const SentFrame& frame : ex.frames) {
    if (frame.header.stream_id == id) {
      out.push_back(&frame);
    }
  }
  return out;
}

std::uint64_t data_bytes(const std::vector<const SentFrame*>& frames) {
  std::uint64_t n = 0;
  for (const SentFrame* frame : frames) {
    if (frame->is(FrameType::data)) {
      n += frame->header.length;
    }
  }
  return n;
}

std::pair<std::string, std::string> tag(const std::string& id) {
  return {"x-faultline-request-id", id};
}

// ---- goaway --------------------------------------------------------------------------

// RFC 9113 6.8: streams at or below last-stream-id complete; those above are not served.
TEST(H2GoawayFaults, AfterTheFifthStreamNamesItAndClosesOnceIdle) {
  H2Exchange ex(scenario(R"([{"name": "g5", "on": {"streams_opened": 5},
                              "do": {"goaway": {"last_stream_id": "current"}}}])"));
  // Seven delayed requests at once: the fifth (stream 9) fires the fault.
  std::vector<std::int32_t> ids;
  for (int i = 0; i < 7; ++i) {
    ids.push_back(ex.client.request("GET", "/slow", {tag("r" + std::to_string(i))}));
  }
  ASSERT_TRUE(ex.pump([&] { return ex.host.closed.has_value(); }));

  const auto goaways = ex.sent(FrameType::goaway);
  ASSERT_EQ(goaways.size(), 1u);
  const auto goaway = detail::decode_goaway(goaways[0]->frame());
  ASSERT_TRUE(goaway);
  EXPECT_EQ(goaway->last_stream_id, 9u);
  EXPECT_EQ(goaway->error_code, 0u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(ex.client.streams[ids[i]].body, "slow") << "stream " << ids[i];
    EXPECT_EQ(ex.context.stats.served("r" + std::to_string(i)), 1u);
  }
  for (int i = 5; i < 7; ++i) {
    EXPECT_EQ(ex.context.stats.served("r" + std::to_string(i)), 0u) << "stream " << ids[i];
  }
  EXPECT_EQ(ex.host.closed->reason, "goaway: idle");
  EXPECT_EQ(ex.host.closed->mode, scenarios::CloseMode::close_notify);
  EXPECT_EQ(ex.connection_stats()["faults_fired"], json({{"g5", 1}}));
}

// RFC 9113 6.8: a graceful shutdown is GOAWAY(2^31-1), then the real one.
TEST(H2GoawayFaults, GracefulSendsMaxThenTheLastStreamAfterTheDelay) {
  H2Exchange ex(scenario(R"([{"on": {"streams_opened": 3},
                              "do": {"goaway": {"last_stream_id": "current", "debug": "bye",
                                                "graceful_delay_ms": 200}}}])"));
  const auto a = ex.client.request("GET", "/slow");
  const auto b = ex.client.request("GET", "/slow");
  const auto c = ex.client.request("GET", "/slow");
  ASSERT_TRUE(ex.pump([&] { return ex.host.closed.has_value(); }));

  const auto goaways = ex.sent(FrameType::goaway);
  ASSERT_EQ(goaways.size(), 2u);
  const auto first = detail::decode_goaway(goaways[0]->frame());
  const auto final = detail::decode_goaway(goaways[1]->frame());
  ASSERT_TRUE(first && final);
  EXPECT_EQ(first->last_stream_id, scenarios::kMaxStreamId);
  EXPECT_EQ(first->debug, "");
  EXPECT_EQ(goaways[0]->at, 0ms);
  EXPECT_EQ(final->last_stream_id, 5u);
  EXPECT_EQ(final->debug, "bye");
  EXPECT_EQ(goaways[1]->at, 200ms);
  for (auto id : {a, b, c}) {
    EXPECT_EQ(ex.client.streams[id].body, "slow");
  }
  EXPECT_EQ(ex.host.closed->at, 200ms);  // every stream ended at 100 ms: idle at once
}

// An even last-stream-id is one nghttp2 refuses to send: the raw writer sends it, byte
// for byte, and the stream above it is abandoned (RFC 9113 5.1.1: servers never open
// odd streams, so 2 is a deliberate contradiction).
TEST(H2GoawayFaults, AnEvenLastStreamIdGoesOutRawAndAbandonsTheStreamAboveIt) {
  H2Exchange ex(scenario(R"([{"on": {"streams_opened": 1},
                              "do": {"goaway": {"last_stream_id": 2, "error": "PROTOCOL_ERROR",
                                                "debug": "raw"}}}])"));
  const auto below = ex.client.request("GET", "/slow", {tag("below")});
  const auto above = ex.client.request("GET", "/slow", {tag("above")});
  ASSERT_TRUE(ex.pump([&] { return ex.host.closed.has_value(); }));

  const auto goaways = ex.sent(FrameType::goaway);
  ASSERT_EQ(goaways.size(), 1u);
  EXPECT_EQ(goaways[0]->payload,
            std::vector<std::uint8_t>({0, 0, 0, 2, 0, 0, 0, 1, 'r', 'a', 'w'}));
  EXPECT_EQ(goaways[0]->header.length, 11u);
  // The stream below is answered in full (what nghttp2's client then makes of a
  // PROTOCOL_ERROR GOAWAY is its own business).
  const auto answered = on_stream(ex, static_cast<std::uint32_t>(below));
  ASSERT_EQ(answered.size(), 2u);
  EXPECT_TRUE(answered[0]->is(FrameType::headers));
  EXPECT_EQ(answered[1]->payload, bytes_of("slow"));
  EXPECT_NE(answered[1]->header.flags & frame_flag::kEndStream, 0);
  EXPECT_EQ(ex.context.stats.served("below"), 1u);
  EXPECT_TRUE(on_stream(ex, static_cast<std::uint32_t>(above)).empty());
  EXPECT_EQ(ex.context.stats.served("above"), 0u);
  EXPECT_EQ(ex.connection_stats()["goaway_sent"], 1);
}

TEST(H2GoawayFaults, CloseAfterMsClosesWithAStreamStillOpen) {
  H2Exchange ex(scenario(R"([{"on": {"path": "/hold"},
                              "do": {"goaway": {"last_stream_id": "max", "close_when_idle": false,
                                                "close_after_ms": 50}}}])"));
  const auto held = ex.client.request("GET", "/hold");
  ASSERT_TRUE(ex.pump([&] { return ex.host.closed.has_value(); }));
  EXPECT_EQ(ex.host.closed->at, 50ms);
  EXPECT_EQ(ex.host.closed->reason, "goaway: close_after_ms");
  EXPECT_FALSE(ex.client.streams[held].closed);
}

// A storm greets the connection whose connect started it with exactly one GOAWAY(0).
TEST(H2GoawayFaults, StormGreetsTheConnectionWithOneGoawayZeroAndServesNothing) {
  H2Exchange ex(scenario(R"([{"on": {"connect": true},
                              "do": {"storm": {"error": "ENHANCE_YOUR_CALM", "debug": "calm"}}}])"));
  (void)ex.client.request("GET", "/health", {tag("stormed")});
  ASSERT_TRUE(ex.pump([&] { return ex.host.closed.has_value(); }));
  ASSERT_FALSE(ex.frames.empty());
  EXPECT_TRUE(ex.frames[0].is(FrameType::settings));
  const auto goaways = ex.sent(FrameType::goaway);
  ASSERT_EQ(goaways.size(), 1u);
  EXPECT_EQ(goaways[0]->payload,
            std::vector<std::uint8_t>({0, 0, 0, 0, 0, 0, 0, 0xb, 'c', 'a', 'l', 'm'}));
  EXPECT_EQ(ex.host.closed->reason, "goaway storm");
  EXPECT_EQ(ex.context.stats.served("stormed"), 0u);
}

// ---- settings and the stream limit ----------------------------------------------------

/** A client written by hand (h2_frame.h), for what nghttp2's client never does: open
    more streams than the server allows. Header blocks are HPACK literals. */
class RawClient {
 public:
  explicit RawClient(H2Exchange& ex) : ex_(ex) {
    std::vector<std::uint8_t> out = bytes_of("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    FrameWriter(out).settings({});
    ex_.raw_exchange(out);
  }
  void ack_settings() {
    send([](FrameWriter& w) { w.settings_ack(); });
  }
  void get(std::uint32_t id, std::string_view path) {
    std::vector<std::uint8_t> block;
    detail::append_hpack_literal(block, ":method", "GET");
    detail::append_hpack_literal(block, ":scheme", "https");
    detail::append_hpack_literal(block, ":authority", "localhost");
    detail::append_hpack_literal(block, ":path", path);
    send([&](FrameWriter& w) {
      w.headers(id, block, frame_flag::kEndStream | frame_flag::kEndHeaders);
    });
  }
  template <class Write>
  void send(Write&& write) {
    std::vector<std::uint8_t> out;
    FrameWriter writer(out);
    write(writer);
    ex_.raw_exchange(out);
  }

 private:
  H2Exchange& ex_;
};

/** The RST_STREAM error codes the server sent on `id`. */
std::vector<std::uint32_t> resets_of(const H2Exchange& ex, std::uint32_t id) {
  std::vector<std::uint32_t> codes;
  for (const SentFrame* frame : on_stream(ex, id)) {
    if (frame->is(FrameType::rst_stream)) {
      codes.push_back(detail::decode_rst_stream(frame->frame()).value_or(0xffffffff));
    }
  }
  return codes;
}

// The limit is the server's own: nghttp2 never learns it, so the entry is appended to
// its SETTINGS on the way out and the frame's length rewritten.
TEST(H2SettingsFaults, TheLimitIsAppendedToTheInitialSettings) {
  H2Exchange ex(scenario("[]", R"({"max_concurrent_streams": 7})"));
  ex.raw_exchange({});
  ASSERT_FALSE(ex.frames.empty());
  const SentFrame& settings = ex.frames[0];
  ASSERT_TRUE(settings.is(FrameType::settings));
  const auto entries = detail::decode_settings(settings.frame());
  ASSERT_TRUE(entries);
  EXPECT_EQ(settings.header.length, entries->size() * detail::kSettingEntryBytes);
  ASSERT_FALSE(entries->empty());
  EXPECT_EQ(entries->back(), (detail::SettingEntry{setting_id::kMaxConcurrentStreams, 7}));
  // Exactly once: nghttp2's own part does not carry it.
  EXPECT_EQ(std::count_if(entries->begin(), entries->end(),
                          [](const auto& e) { return e.id == setting_id::kMaxConcurrentStreams; }),
            1);
}

// RFC 9113 5.1.2: a stream beyond the acknowledged limit gets RST_STREAM(REFUSED_STREAM)
// and never opens.
TEST(H2SettingsFaults, AStreamBeyondTheAcknowledgedLimitIsRefused) {
  H2Exchange ex(scenario("[]", R"({"max_concurrent_streams": 1})"));
  RawClient client(ex);
  client.ack_settings();
  client.get(1, "/hold");
  client.get(3, "/hold");
  EXPECT_TRUE(resets_of(ex, 1).empty());
  EXPECT_EQ(resets_of(ex, 3), std::vector<std::uint32_t>({0x7}));
  EXPECT_EQ(ex.connection_stats()["stream_limit_violations"], 1);
  EXPECT_EQ(ex.connection_stats()["streams_opened"], 1);
}

// RFC 9113 6.5.3: until the client acknowledges a lowered limit, the larger one holds.
TEST(H2SettingsFaults, ALoweredLimitHoldsOnlyOnceAcknowledged) {
  H2Exchange ex(scenario(R"([{"on": {"streams_opened": 1},
                              "do": {"settings": {"max_concurrent_streams": 1,
                                                  "initial_window_size": 1000}}}])",
                         R"({"max_concurrent_streams": 2})"));
  RawClient client(ex);
  client.ack_settings();
  client.get(1, "/hold");                  // fires the fault: a second SETTINGS goes out
  std::vector<const SentFrame*> settings;  // not the ACK of the client's SETTINGS
  for (const SentFrame* frame : ex.sent(FrameType::settings)) {
    if ((frame->header.flags & frame_flag::kAck) == 0) {
      settings.push_back(frame);
    }
  }
  ASSERT_EQ(settings.size(), 2u);
  EXPECT_EQ(detail::decode_settings(settings[1]->frame()),
            (std::vector<detail::SettingEntry>{{setting_id::kInitialWindowSize, 1000},
                                               {setting_id::kMaxConcurrentStreams, 1}}));
  client.get(3, "/hold");  // not acknowledged yet: the old limit of 2 holds
  EXPECT_TRUE(resets_of(ex, 3).empty());
  client.ack_settings();
  client.get(5, "/hold");  // now 1
  EXPECT_EQ(resets_of(ex, 5), std::vector<std::uint32_t>({0x7}));
}

// ---- rst_stream and close: where a response is cut -------------------------------------

TEST(H2CutFaults, RstBeforeHeadersSendsOnlyTheReset) {
  H2Exchange ex(scenario(R"([{"on": {"path": "/health"},
                              "do": {"rst_stream": {"error": "REFUSED_STREAM"}}}])"));
  const auto id = ex.client.request("GET", "/health", {tag("cut")});
  ASSERT_TRUE(ex.finish(id));
  const auto frames = on_stream(ex, static_cast<std::uint32_t>(id));
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0]->payload, std::vector<std::uint8_t>({0, 0, 0, 7}));
  EXPECT_EQ(ex.context.stats.served("cut"), 0u);
}

TEST(H2CutFaults, RstAfterHeadersLeavesTheHeadersOpen) {
  H2Exchange ex(scenario(R"([{"on": {"path": "/health"},
                              "do": {"rst_stream": {"error": "INTERNAL_ERROR",
                                                    "at": "after_headers"}}}])"));
  const auto id = ex.client.request("GET", "/health", {tag("cut")});
  ASSERT_TRUE(ex.finish(id));
  const auto frames = on_stream(ex, static_cast<std::uint32_t>(id));
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_TRUE(frames[0]->is(FrameType::headers));
  EXPECT_EQ(frames[0]->header.flags & frame_flag::kEndStream, 0);
  EXPECT_EQ(frames[1]->payload, std::vector<std::uint8_t>({0, 0, 0, 2}));
  EXPECT_EQ(ex.context.stats.served("cut"), 1u);  // its headers went out
}

TEST(H2CutFaults, RstMidBodyCutsAfterTheGivenBytes) {
  H2Exchange ex(scenario(R"([{"on": {"path": "/body"},
                              "do": {"rst_stream": {"error": "CANCEL", "at": "mid_body",
                                                    "after_bytes": 300}}}])"));
  const auto id = ex.client.request("GET", "/body");
  ASSERT_TRUE(ex.finish(id));
  const auto frames = on_stream(ex, static_cast<std::uint32_t>(id));
  EXPECT_EQ(data_bytes(frames), 300u);
  ASSERT_FALSE(frames.empty());
  EXPECT_EQ(frames.back()->payload, std::vector<std::uint8_t>({0, 0, 0, 8}));
  for (const SentFrame* frame : frames) {
    EXPECT_EQ(frame->header.flags & frame_flag::kEndStream, 0);
  }
  EXPECT_EQ(ex.client.streams[id].close_error, 8u);
}

// The cut HEADERS frame: its 9-byte header and the first half of its block, then the
// close; nothing queued after it goes out.
TEST(H2CutFaults, CloseMidHeadersWritesHalfTheHeadersFrame) {
  H2Exchange ex(scenario(R"([{"on": {"path": "/health"},
                              "do": {"close": {"mode": "reset", "at": "mid_headers"}}}])"));
  ex.client.strict = false;
  (void)ex.client.request("GET", "/health");
  ASSERT_TRUE(ex.pump([&] { return ex.host.closed.has_value(); }));
  EXPECT_EQ(ex.host.closed->mode, scenarios::CloseMode::reset);
  EXPECT_EQ(ex.host.closed->reason, "close fault mid_headers");
  const auto& cut = ex.partial_frame();
  ASSERT_GE(cut.size(), detail::kFrameHeaderBytes);
  const std::uint32_t length =
      (std::uint32_t{cut[0]} << 16) | (std::uint32_t{cut[1]} << 8) | cut[2];
  EXPECT_EQ(cut[3], static_cast<std::uint8_t>(FrameType::headers));
  EXPECT_EQ(cut.size(), detail::kFrameHeaderBytes + std::max<std::uint32_t>(1, length / 2));
  EXPECT_TRUE(ex.sent(FrameType::headers).empty());
}

TEST(H2CutFaults, CloseMidBodyClosesAfterTheGivenBytes) {
  H2Exchange ex(scenario(R"([{"on": {"path": "/body"},
                              "do": {"close": {"mode": "fin", "at": "mid_body",
                                               "after_bytes": 100}}}])"));
  const auto id = ex.client.request("GET", "/body");
  ASSERT_TRUE(ex.pump([&] { return ex.host.closed.has_value(); }));
  EXPECT_EQ(ex.host.closed->mode, scenarios::CloseMode::fin);
  EXPECT_EQ(data_bytes(on_stream(ex, static_cast<std::uint32_t>(id))), 100u);
}

// A stream-bound action fired by connect acts on the next stream that opens.
TEST(H2CutFaults, AConnectFaultsStreamActionTakesTheNextStream) {
  H2Exchange ex(scenario(R"([{"on": {"connect": true},
                              "do": {"rst_stream": {"error": "CANCEL"}}}])"));
  const auto first = ex.client.request("GET", "/health");
  const auto second = ex.client.request("GET", "/health");
  ASSERT_TRUE(
      ex.pump([&] { return ex.client.streams[first].closed && ex.client.streams[second].closed; }));
  EXPECT_EQ(resets_of(ex, static_cast<std::uint32_t>(first)), std::vector<std::uint32_t>({8}));
  EXPECT_EQ(ex.client.streams[second].body, "ok");
}

// ---- late frames ------------------------------------------------------------------------

/** The payloads of the DATA frames on `id` after its END_STREAM. */
std::vector<std::vector<std::uint8_t>> late_data(const H2Exchange& ex, std::uint32_t id) {
  std::vector<std::vector<std::uint8_t>> out;
  bool ended = false;
  for (const SentFrame* frame : on_stream(ex, id)) {
    if (ended && frame->is(FrameType::data)) {
      out.push_back(frame->payload);
    }
    if ((frame->is(FrameType::data) || frame->is(FrameType::headers)) &&
        (frame->header.flags & frame_flag::kEndStream) != 0) {
      ended = true;
    }
  }
  return out;
}

// RFC 9113 5.1: DATA on a closed stream; flags 0, payload all 'x'.
TEST(H2LateFaults, DataAfterEndStreamFollowsTheCompletedResponse) {
  H2Exchange ex(scenario(R"([{"on": {"path": "/health"},
                              "do": {"data_after_end_stream": {"frames": 3, "frame_bytes": 10}}}])"));
  ex.client.strict = false;
  const auto id = ex.client.request("GET", "/health");
  ASSERT_TRUE(ex.finish(id));
  ASSERT_TRUE(ex.pump([&] { return late_data(ex, static_cast<std::uint32_t>(id)).size() == 3; }));
  EXPECT_EQ(ex.client.streams[id].body, "ok");
  for (const auto& payload : late_data(ex, static_cast<std::uint32_t>(id))) {
    EXPECT_EQ(payload, std::vector<std::uint8_t>(10, scenarios::kLateDataByte));
  }
  EXPECT_EQ(ex.connection_stats()["late_frames_sent"], 3);
}

// After the client's RST_STREAM: late DATA, then trailers as HPACK literals (the route's).
TEST(H2LateFaults, DataThenTrailersAfterTheClientsReset) {
  H2Exchange ex(scenario(R"([{"on": {"client_rst": true},
                              "do": {"data_after_rst": {"frames": 2, "frame_bytes": 8,
                                                        "trailers": true}}}])"));
  const auto id = ex.client.request("GET", "/stream");
  ASSERT_TRUE(ex.pump([&] { return !ex.client.streams[id].body.empty(); }));
  nghttp2_submit_rst_stream(ex.client.session(), NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
  const auto sid = static_cast<std::uint32_t>(id);
  ASSERT_TRUE(ex.pump([&] {
    const auto frames = on_stream(ex, sid);
    return !frames.empty() && frames.back()->is(FrameType::headers);
  }));
  const auto frames = on_stream(ex, sid);
  ASSERT_GE(frames.size(), 3u);
  const SentFrame& trailers = *frames.back();
  EXPECT_EQ(trailers.header.flags, frame_flag::kEndStream | frame_flag::kEndHeaders);
  std::vector<std::uint8_t> block;
  detail::append_hpack_literal(block, "x-trailer", "yes");
  EXPECT_EQ(trailers.payload, block);
  for (std::size_t i = frames.size() - 3; i + 1 < frames.size(); ++i) {
    EXPECT_EQ(frames[i]->payload, std::vector<std::uint8_t>(8, scenarios::kLateDataByte));
  }
  EXPECT_EQ(ex.connection_stats()["late_frames_sent"], 3);
}

// RFC 9113 5.1: DATA on an idle stream. Late DATA is flow-controlled: a burst ends at the
// first frame the client's connection window (65535) cannot take.
TEST(H2LateFaults, DataOnTheNextOddStreamStopsAtTheConnectionWindow) {
  H2Exchange ex(scenario(R"([{"on": {"path": "/hold"},
                              "do": {"data_unknown_stream": {"stream_id": "next_odd",
                                                             "frames": 10,
                                                             "frame_bytes": 16384}}}])"));
  ex.client.strict = false;
  (void)ex.client.request("GET", "/hold");
  ASSERT_TRUE(ex.pump([&] { return !on_stream(ex, 3).empty(); }));
  const auto frames = on_stream(ex, 3);
  EXPECT_EQ(frames.size(), 3u);  // 3 x 16384 fit in 65535, a fourth does not
  for (const SentFrame* frame : frames) {
    EXPECT_TRUE(frame->is(FrameType::data));
    EXPECT_EQ(frame->header.flags, 0);
    EXPECT_EQ(frame->header.length, 16384u);
  }
}

TEST(H2LateFaults, DataOnStreamTwoForNextEven) {
  H2Exchange ex(scenario(R"([{"on": {"path": "/hold"},
                              "do": {"data_unknown_stream": {"stream_id": "next_even"}}}])"));
  ex.client.strict = false;
  (void)ex.client.request("GET", "/hold");
  ASSERT_TRUE(ex.pump([&] { return !on_stream(ex, 2).empty(); }));
  const auto frames = on_stream(ex, 2);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0]->payload, std::vector<std::uint8_t>(16, scenarios::kLateDataByte));
}

// ---- ping ---------------------------------------------------------------------------------

TEST(H2PingFaults, PingsCarryACounterOnTheirIntervalAndAcksAreCounted) {
  H2Exchange ex(scenario(R"([{"on": {"connect": true},
                              "do": {"ping": {"interval_ms": 100, "count": 3}}}])"));
  ASSERT_TRUE(ex.pump([&] {
    return ex.sent(FrameType::ping).size() == 3 && ex.connection_stats()["ping_acks"] == 3;
  }));
  const auto pings = ex.sent(FrameType::ping);
  for (std::size_t i = 0; i < pings.size(); ++i) {
    EXPECT_EQ(pings[i]->header.flags, 0);
    EXPECT_EQ(pings[i]->payload,
              std::vector<std::uint8_t>({0, 0, 0, 0, 0, 0, 0, static_cast<std::uint8_t>(i + 1)}));
    EXPECT_EQ(pings[i]->at, std::chrono::milliseconds(100 * i));
  }
  EXPECT_EQ(ex.connection_stats()["pings_sent"], 3);
  EXPECT_FALSE(ex.host.advance()) << "a fourth PING is armed";
}

// ---- protocol violations ------------------------------------------------------------------

/** A scenario whose GET /health is answered by protocol_violation `spec`. */
scenarios::Scenario violation(std::string_view spec) {
  return scenario(R"([{"on": {"path": "/health"}, "do": {"protocol_violation": )" +
                  std::string(spec) + "}}]");
}

/** The HEADERS block of a raw violation: HPACK literals without indexing, new names. */
std::vector<std::uint8_t> literal_block(
    const std::vector<std::pair<std::string, std::string>>& fields) {
  std::vector<std::uint8_t> block;
  for (const auto& [name, value] : fields) {
    detail::append_hpack_literal(block, name, value);
  }
  return block;
}

// RFC 9113 4.2: an HTTP/1.1 head where a frame should start reads as a frame too large
// for the client; nghttp2's client answers GOAWAY(FRAME_SIZE_ERROR), which the stats show.
TEST(H2ViolationFaults, GarbageInPlaceOfTheResponse) {
  H2Exchange ex(violation(R"({"kind": "garbage"})"));
  ex.client.strict = false;
  (void)ex.client.request("GET", "/health", {tag("v")});
  ASSERT_TRUE(ex.pump([&] { return !ex.connection_stats()["goaway_codes_received"].empty(); }));
  // Read as a frame header, the garbage swallows whatever the server writes after it.
  const auto& rest = ex.partial_frame();
  const auto garbage = bytes_of(detail::kGarbageBytes);
  ASSERT_GE(rest.size(), garbage.size());
  EXPECT_TRUE(std::equal(garbage.begin(), garbage.end(), rest.begin()));
  EXPECT_EQ(ex.connection_stats()["goaway_codes_received"], json({{"FRAME_SIZE_ERROR", 1}}));
  EXPECT_EQ(ex.context.stats.served("v"), 0u);
}

// RFC 9113 8.4: a PUSH_PROMISE on the request's stream promising stream 2, a GET of the
// request's path; the client's SETTINGS are in the stats (this client leaves push on).
TEST(H2ViolationFaults, PushPromiseOnTheRequestsStream) {
  H2Exchange ex(violation(R"({"kind": "push_promise"})"));
  ex.client.strict = false;
  const auto id = ex.client.request("GET", "/health", {tag("v")});
  ASSERT_TRUE(ex.pump([&] { return !ex.sent(FrameType::push_promise).empty(); }));
  const auto frames = on_stream(ex, static_cast<std::uint32_t>(id));
  ASSERT_EQ(frames.size(), 1u);
  ASSERT_TRUE(frames[0]->is(FrameType::push_promise));
  EXPECT_EQ(frames[0]->header.flags, frame_flag::kEndHeaders);
  auto expected = std::vector<std::uint8_t>{0, 0, 0, 2};
  const auto block = literal_block({{":method", "GET"},
                                    {":scheme", "https"},
                                    {":authority", "localhost"},
                                    {":path", "/health"}});
  expected.insert(expected.end(), block.begin(), block.end());
  EXPECT_EQ(frames[0]->payload, expected);
  EXPECT_EQ(ex.connection_stats()["client_settings"], json({{"INITIAL_WINDOW_SIZE", 1 << 20}}));
  EXPECT_EQ(ex.context.stats.served("v"), 0u);
}

// RFC 7541 6.1 / RFC 9113 4.3: the indexed field 0 is no HPACK; the client ends the
// connection with GOAWAY(COMPRESSION_ERROR).
TEST(H2ViolationFaults, BadHpackEndsTheConnectionWithCompressionError) {
  H2Exchange ex(violation(R"({"kind": "bad_hpack"})"));
  ex.client.strict = false;
  const auto id = ex.client.request("GET", "/health");
  ASSERT_TRUE(ex.pump([&] { return !ex.connection_stats()["goaway_codes_received"].empty(); }));
  const auto frames = on_stream(ex, static_cast<std::uint32_t>(id));
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_TRUE(frames[0]->is(FrameType::headers));
  EXPECT_EQ(frames[0]->payload, std::vector<std::uint8_t>({0x80}));
  EXPECT_EQ(ex.connection_stats()["goaway_codes_received"], json({{"COMPRESSION_ERROR", 1}}));
}

// RFC 9113 8.3.2 and 8.2.2: malformed response heads are stream errors; the client
// resets the stream with PROTOCOL_ERROR and the connection goes on.
TEST(H2ViolationFaults, MalformedHeadsAreResetByTheClient) {
  const std::pair<std::string_view, std::vector<std::pair<std::string, std::string>>> cases[] = {
      {R"({"kind": "bad_status"})", {{":status", "2x0"}, {"content-length", "0"}}},
      {R"({"kind": "bad_status", "status": ""})", {{"content-length", "0"}}},
      {R"({"kind": "forbidden_field"})",
       {{":status", "200"}, {"connection", "keep-alive"}, {"content-length", "0"}}},
      {R"({"kind": "forbidden_field", "name": "X-Upper", "value": "1"})",
       {{":status", "200"}, {"X-Upper", "1"}, {"content-length", "0"}}},
  };
  for (const auto& [spec, fields] : cases) {
    SCOPED_TRACE(spec);
    H2Exchange ex(violation(spec));
    const auto id = ex.client.request("GET", "/health");
    ASSERT_TRUE(ex.finish(id));
    const auto frames = on_stream(ex, static_cast<std::uint32_t>(id));
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0]->header.flags, frame_flag::kEndStream | frame_flag::kEndHeaders);
    EXPECT_EQ(frames[0]->payload, literal_block(fields));
    EXPECT_EQ(ex.client.streams[id].close_error, 1u);  // PROTOCOL_ERROR
    EXPECT_EQ(ex.connection_stats()["rst_received"], json({{"PROTOCOL_ERROR", 1}}));
    EXPECT_TRUE(ex.connection_stats()["goaway_codes_received"].empty());
  }
}

}  // namespace
}  // namespace faultline::fake_server::testing
