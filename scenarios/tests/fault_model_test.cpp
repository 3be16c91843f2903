// The fault model's helpers: names, attempt matching, gate release orders, the
// classification the server relies on, and path pattern overlap.
#include "faultline/scenarios/faults.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <set>
#include <tuple>

#include "detail/path_pattern.h"
#include "faultline/scenarios/scenario.h"

namespace faultline::scenarios {
namespace {

TEST(FaultModel, ErrorCodeNamesAreRfc9113) {
  const std::pair<H2Error, const char*> names[] = {
      {H2Error::no_error, "NO_ERROR"},
      {H2Error::protocol_error, "PROTOCOL_ERROR"},
      {H2Error::internal_error, "INTERNAL_ERROR"},
      {H2Error::flow_control_error, "FLOW_CONTROL_ERROR"},
      {H2Error::settings_timeout, "SETTINGS_TIMEOUT"},
      {H2Error::stream_closed, "STREAM_CLOSED"},
      {H2Error::frame_size_error, "FRAME_SIZE_ERROR"},
      {H2Error::refused_stream, "REFUSED_STREAM"},
      {H2Error::cancel, "CANCEL"},
      {H2Error::compression_error, "COMPRESSION_ERROR"},
      {H2Error::connect_error, "CONNECT_ERROR"},
      {H2Error::enhance_your_calm, "ENHANCE_YOUR_CALM"},
      {H2Error::inadequate_security, "INADEQUATE_SECURITY"},
      {H2Error::http_1_1_required, "HTTP_1_1_REQUIRED"},
  };
  std::uint32_t expected_code = 0;
  for (const auto& [code, name] : names) {
    SCOPED_TRACE(name);
    EXPECT_EQ(static_cast<std::uint32_t>(code), expected_code++) << "RFC 9113 section 7 order";
    EXPECT_EQ(to_string(code), name);
    EXPECT_EQ(h2_error_from_string(name), code);
  }
  EXPECT_EQ(to_string(static_cast<H2Error>(0xe)), "0xe");
  EXPECT_EQ(to_string(static_cast<H2Error>(0xffffffffu)), "0xffffffff");
  EXPECT_EQ(h2_error_from_string("cancel"), std::nullopt);
  EXPECT_EQ(h2_error_from_string("0x8"), std::nullopt);
  EXPECT_EQ(h2_error_from_string(""), std::nullopt);
}

TEST(FaultModel, EnumSpellings) {
  EXPECT_STREQ(to_string(FaultScope::connection), "connection");
  EXPECT_STREQ(to_string(FaultScope::server), "server");
  EXPECT_STREQ(to_string(RstPoint::before_headers), "before_headers");
  EXPECT_STREQ(to_string(RstPoint::after_headers), "after_headers");
  EXPECT_STREQ(to_string(RstPoint::mid_body), "mid_body");
  EXPECT_STREQ(to_string(ClosePoint::now), "now");
  EXPECT_STREQ(to_string(ClosePoint::mid_headers), "mid_headers");
  EXPECT_STREQ(to_string(ClosePoint::mid_body), "mid_body");
  EXPECT_STREQ(to_string(CloseMode::fin), "fin");
  EXPECT_STREQ(to_string(CloseMode::reset), "reset");
  EXPECT_STREQ(to_string(CloseMode::close_notify), "close_notify");
  EXPECT_STREQ(to_string(GateOrder::arrival), "arrival");
  EXPECT_STREQ(to_string(GateOrder::reverse), "reverse");
  EXPECT_STREQ(to_string(GateOrder::random), "random");
}

TEST(FaultModel, KindNames) {
  EXPECT_EQ(trigger_name(StreamsOpenedTrigger{}), "streams_opened");
  EXPECT_EQ(trigger_name(ActiveStreamsTrigger{}), "active_streams");
  EXPECT_EQ(trigger_name(AfterMsTrigger{}), "after_ms");
  EXPECT_EQ(trigger_name(ConnectTrigger{}), "connect");
  EXPECT_EQ(trigger_name(PathTrigger{}), "path");
  EXPECT_EQ(trigger_name(ClientRstTrigger{}), "client_rst");
  EXPECT_EQ(trigger_name(AdminTrigger{}), "admin");
  EXPECT_EQ(trigger_name(IdleTrigger{}), "idle_ms");
  EXPECT_EQ(action_name(GoawayAction{}), "goaway");
  EXPECT_EQ(action_name(SettingsAction{}), "settings");
  EXPECT_EQ(action_name(RstStreamAction{}), "rst_stream");
  EXPECT_EQ(action_name(DataAfterEndStreamAction{}), "data_after_end_stream");
  EXPECT_EQ(action_name(DataAfterRstAction{}), "data_after_rst");
  EXPECT_EQ(action_name(DataUnknownStreamAction{}), "data_unknown_stream");
  EXPECT_EQ(action_name(CloseAction{}), "close");
  EXPECT_EQ(action_name(PingAction{}), "ping");
  EXPECT_EQ(action_name(StormAction{}), "storm");
  EXPECT_EQ(action_name(ProtocolViolationAction{}), "protocol_violation");
}

TEST(FaultModel, ActionClasses) {
  const CloseAction close_now{};
  const CloseAction close_mid{CloseMode::fin, ClosePoint::mid_body, 5, false};
  const CloseAction close_all{CloseMode::reset, ClosePoint::now, 1, true};
  // goaway, rst_stream and close mean something on HTTP/1.1; nothing else does.
  EXPECT_TRUE(has_h1_meaning(GoawayAction{}));
  EXPECT_TRUE(has_h1_meaning(RstStreamAction{}));
  EXPECT_TRUE(has_h1_meaning(close_now));
  for (const Action& h2_only :
       {Action{SettingsAction{}}, Action{DataAfterEndStreamAction{}}, Action{DataAfterRstAction{}},
        Action{DataUnknownStreamAction{}}, Action{PingAction{}}, Action{StormAction{}},
        Action{ProtocolViolationAction{}}}) {
    EXPECT_FALSE(has_h1_meaning(h2_only)) << action_name(h2_only);
  }
  // Stream-bound: the ones with a target stream.
  EXPECT_TRUE(is_stream_bound(RstStreamAction{}));
  EXPECT_TRUE(is_stream_bound(DataAfterEndStreamAction{}));
  EXPECT_TRUE(is_stream_bound(DataAfterRstAction{}));
  EXPECT_TRUE(is_stream_bound(ProtocolViolationAction{}));
  EXPECT_TRUE(is_stream_bound(close_mid));
  EXPECT_FALSE(is_stream_bound(close_now));
  EXPECT_FALSE(is_stream_bound(GoawayAction{}));
  EXPECT_FALSE(is_stream_bound(DataUnknownStreamAction{}));
  // Server-wide: storm, and close of all connections.
  EXPECT_TRUE(is_server_wide(StormAction{}));
  EXPECT_TRUE(is_server_wide(close_all));
  EXPECT_FALSE(is_server_wide(close_now));
  EXPECT_FALSE(is_server_wide(GoawayAction{}));
}

TEST(FaultModel, ListenersThatCanSpeakHttp2) {
  EXPECT_TRUE(can_speak_h2(Listener{"a", false, AlpnPolicy::h2_h1, 0}));
  EXPECT_TRUE(can_speak_h2(Listener{"a", true, AlpnPolicy::h2_h1, 0}));
  EXPECT_TRUE(can_speak_h2(Listener{"a", true, AlpnPolicy::h2_only, 0}));
  EXPECT_FALSE(can_speak_h2(Listener{"a", true, AlpnPolicy::h1_only, 0}));
  EXPECT_FALSE(can_speak_h2(Listener{"a", true, AlpnPolicy::h1_strict, 0}));
  EXPECT_FALSE(can_speak_h2(Listener{"a", true, AlpnPolicy::none, 0}));
}

TEST(FaultModel, AttemptMatching) {
  const Attempts always;
  const Attempts first_two{Attempts::Mode::first, 2, {}};
  const Attempts listed{Attempts::Mode::list, 0, {1, 3, 7}};
  for (std::uint32_t attempt = 1; attempt <= 8; ++attempt) {
    SCOPED_TRACE(attempt);
    EXPECT_TRUE(attempt_matches(always, attempt));
    EXPECT_EQ(attempt_matches(first_two, attempt), attempt <= 2);
    EXPECT_EQ(attempt_matches(listed, attempt), attempt == 1 || attempt == 3 || attempt == 7);
  }
  EXPECT_FALSE(attempt_matches(first_two, 0));
}

TEST(FaultModel, ReleaseOrders) {
  EXPECT_EQ(release_order(GateConfig{}, 4), (std::vector<std::size_t>{0, 1, 2, 3}));
  EXPECT_EQ(release_order(GateConfig{std::nullopt, GateOrder::reverse, 0}, 4),
            (std::vector<std::size_t>{3, 2, 1, 0}));
  EXPECT_TRUE(release_order(GateConfig{}, 0).empty());
  EXPECT_EQ(release_order(GateConfig{std::nullopt, GateOrder::random, 5}, 1),
            (std::vector<std::size_t>{0}));
}

TEST(FaultModel, RandomReleaseOrderIsASeededPermutation) {
  const GateConfig seed_42{std::nullopt, GateOrder::random, 42};
  const std::vector<std::size_t> order = release_order(seed_42, 50);
  // A permutation of 0..49 ...
  std::vector<std::size_t> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::size_t> identity(50);
  std::iota(identity.begin(), identity.end(), std::size_t{0});
  EXPECT_EQ(sorted, identity);
  EXPECT_NE(order, identity) << "50 streams left in arrival order: not shuffled";
  // ... the same for the same seed, different for another.
  EXPECT_EQ(release_order(seed_42, 50), order);
  EXPECT_NE(release_order(GateConfig{std::nullopt, GateOrder::random, 43}, 50), order);
  // The documented algorithm, spelled out independently: Fisher-Yates, mt19937_64(seed).
  std::vector<std::size_t> expected = identity;
  std::mt19937_64 rng(42);
  for (std::size_t i = expected.size() - 1; i >= 1; --i) {
    std::swap(expected[i], expected[rng() % (i + 1)]);
  }
  EXPECT_EQ(order, expected);
}

TEST(FaultModel, PatternsOverlap) {
  using detail::patterns_overlap;
  const std::tuple<const char*, const char*, bool> cases[] = {
      {"/a", "/a", true},
      {"/a", "/b", false},
      {"/a/{x}", "/a/7", true},
      {"/a/{x}", "/a", false},
      {"/a/{x}", "/a/", false},  // a capture takes a non-empty segment
      {"/a/{x}", "/a/{y}/b", false},
      {"/{x}/b", "/a/{y}", true},
      {"/*", "/", true},
      {"/*", "/a/b/c", true},
      {"/a/*", "/a", false},
      {"/a/*", "/a/", true},
      {"/a/*", "/b/c", false},
      {"/a/*", "/a/{x}/c", true},
      {"/", "/", true},
      {"/", "/{x}", false},
  };
  for (const auto& [a, b, overlap] : cases) {
    EXPECT_EQ(patterns_overlap(a, b), overlap) << a << " vs " << b;
    EXPECT_EQ(patterns_overlap(b, a), overlap) << b << " vs " << a << " (symmetric)";
  }
}

}  // namespace
}  // namespace faultline::scenarios
