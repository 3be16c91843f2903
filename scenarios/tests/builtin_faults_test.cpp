// The built-in fault scenarios: each loads, serves /health and /echo on both listeners,
// and injects the fault its description promises.
#include <gtest/gtest.h>

#include <variant>

#include "faultline/scenarios/loader.h"

namespace faultline::scenarios {
namespace {

/** Every scenario file that exists to inject faults (or limits, gates, slowness). */
const char* const kFaultScenarios[] = {
    "goaway-after-5", "goaway-above-last",   "goaway-graceful",     "goaway-storm",
    "max-streams-10", "limit-lowered",       "limit-zero",          "refused-first-attempt",
    "refused-always", "rst-internal",        "late-data-after-end", "late-data-after-rst",
    "late-trailers",  "unknown-stream-data", "reset-all",           "slow",
    "ping",           "hold-gates"};

TEST(ScenarioFaultFiles, EachServesHealthAndEchoOnBothListeners) {
  for (const char* name : kFaultScenarios) {
    SCOPED_TRACE(name);
    const Scenario s = load_builtin_scenario(name);
    ASSERT_EQ(s.listeners.size(), 2u);
    EXPECT_TRUE(s.listeners[0].tls);
    EXPECT_FALSE(s.listeners[1].tls);
    for (const char* listener : {"main", "plain"}) {
      Captures captures;
      EXPECT_NE(find_route(s, listener, "GET", "/health", captures), nullptr) << listener;
      EXPECT_NE(find_route(s, listener, "POST", "/echo", captures), nullptr) << listener;
    }
  }
}

/** The scenario's fault named `name`; fails the test when there is none. */
const Fault& named(const Scenario& s, std::string_view name) {
  for (const Fault& f : s.faults) {
    if (f.name == name) {
      return f;
    }
  }
  ADD_FAILURE() << s.name << " has no fault " << name;
  static const Fault kNone;
  return kNone;
}
/** A fault of a temporary scenario would dangle. */
const Fault& named(const Scenario&& s, std::string_view name) = delete;

TEST(ScenarioFaultFiles, Goaway) {
  const Scenario after5 = load_builtin_scenario("goaway-after-5");
  const Fault& current = named(after5, "goaway-after-5");
  EXPECT_EQ(std::get<StreamsOpenedTrigger>(current.trigger).count, 5u);
  EXPECT_EQ(std::get<GoawayAction>(current.action).last_stream_id.kind,
            LastStreamId::Kind::current);

  const Scenario above_scenario = load_builtin_scenario("goaway-above-last");
  const Fault& above = named(above_scenario, "goaway-above-last");
  EXPECT_EQ(std::get<GoawayAction>(above.action).last_stream_id.kind, LastStreamId::Kind::previous);

  const Scenario graceful = load_builtin_scenario("goaway-graceful");
  for (const char* fault : {"graceful-after-3", "graceful-on-admin"}) {
    const auto& goaway = std::get<GoawayAction>(named(graceful, fault).action);
    EXPECT_EQ(goaway.graceful_delay_ms, 200u) << fault;
    EXPECT_EQ(goaway.close_after_ms, 2000u) << fault;
  }
  EXPECT_EQ(std::get<AdminTrigger>(named(graceful, "graceful-on-admin").trigger).label, "drain");

  const Scenario storm_scenario = load_builtin_scenario("goaway-storm");
  const Fault& storm = named(storm_scenario, "storm");
  EXPECT_TRUE(std::holds_alternative<ConnectTrigger>(storm.trigger));
  EXPECT_EQ(std::get<StormAction>(storm.action).error, H2Error::enhance_your_calm);
}

TEST(ScenarioFaultFiles, StreamLimits) {
  const Scenario ten = load_builtin_scenario("max-streams-10");
  EXPECT_EQ(ten.settings.max_concurrent_streams, 10u);
  EXPECT_TRUE(ten.enforce_stream_limit);

  const Scenario lowered = load_builtin_scenario("limit-lowered");
  EXPECT_EQ(lowered.settings.max_concurrent_streams, 100u);
  const Fault& busy = named(lowered, "lower-when-busy");
  EXPECT_EQ(std::get<ActiveStreamsTrigger>(busy.trigger).count, 20u);
  EXPECT_EQ(std::get<SettingsAction>(busy.action).max_concurrent_streams, 5u);
  EXPECT_EQ(std::get<AdminTrigger>(named(lowered, "lower-on-admin").trigger).label, "lower");

  const Scenario zero = load_builtin_scenario("limit-zero");
  EXPECT_EQ(zero.settings.max_concurrent_streams, 0u);
  EXPECT_EQ(std::get<SettingsAction>(named(zero, "open").action).max_concurrent_streams, 10u);
}

TEST(ScenarioFaultFiles, Resets) {
  const Scenario first_scenario = load_builtin_scenario("refused-first-attempt");
  const Fault& first = named(first_scenario, "refuse-first");
  const auto& flaky = std::get<PathTrigger>(first.trigger);
  EXPECT_EQ(flaky.path, "/flaky");
  EXPECT_TRUE(attempt_matches(flaky.attempt, 1));
  EXPECT_FALSE(attempt_matches(flaky.attempt, 2));
  EXPECT_EQ(first.times, std::nullopt) << "every request's first attempt";
  EXPECT_EQ(std::get<RstStreamAction>(first.action),
            (RstStreamAction{H2Error::refused_stream, RstPoint::before_headers, 1}));

  const Scenario always_scenario = load_builtin_scenario("refused-always");
  const Fault& always = named(always_scenario, "refuse-always");
  EXPECT_TRUE(attempt_matches(std::get<PathTrigger>(always.trigger).attempt, 1000));
  EXPECT_EQ(always.times, std::nullopt);

  const Scenario internal = load_builtin_scenario("rst-internal");
  EXPECT_EQ(std::get<RstStreamAction>(named(internal, "internal-before-headers").action).error,
            H2Error::internal_error);
  const auto& mid = std::get<RstStreamAction>(named(internal, "internal-mid-body").action);
  EXPECT_EQ(mid.at, RstPoint::mid_body);
  EXPECT_EQ(mid.after_bytes, 16384u);
}

TEST(ScenarioFaultFiles, LateFrames) {
  const Scenario end_scenario = load_builtin_scenario("late-data-after-end");
  const Fault& end = named(end_scenario, "data-after-end");
  EXPECT_EQ(std::get<PathTrigger>(end.trigger).path, "/late");
  EXPECT_EQ(std::get<DataAfterEndStreamAction>(end.action).frames, 3u);

  const Scenario rst_scenario = load_builtin_scenario("late-data-after-rst");
  const Fault& rst = named(rst_scenario, "data-after-rst");
  EXPECT_TRUE(std::holds_alternative<ClientRstTrigger>(rst.trigger));
  EXPECT_EQ(std::get<DataAfterRstAction>(rst.action).frames, 4u);

  const Scenario trailers = load_builtin_scenario("late-trailers");
  Captures captures;
  const Route* route = find_route(trailers, "main", "GET", "/late/trailers", captures);
  ASSERT_NE(route, nullptr);
  EXPECT_FALSE(route->respond.trailers.empty());
  const auto& after_rst =
      std::get<DataAfterRstAction>(named(trailers, "trailers-after-rst").action);
  EXPECT_TRUE(after_rst.trailers);
  EXPECT_EQ(after_rst.duration_ms, 100u);

  const Scenario unknown = load_builtin_scenario("unknown-stream-data");
  EXPECT_EQ(std::get<DataUnknownStreamAction>(named(unknown, "idle-odd").action).stream_id.kind,
            UnknownStreamId::Kind::next_odd);
  EXPECT_EQ(std::get<DataUnknownStreamAction>(named(unknown, "idle-even").action).stream_id.kind,
            UnknownStreamId::Kind::next_even);
}

TEST(ScenarioFaultFiles, ConnectionLossSlownessPingsGates) {
  const Scenario reset = load_builtin_scenario("reset-all");
  for (const char* fault : {"reset-on-path", "reset-on-admin"}) {
    EXPECT_EQ(std::get<CloseAction>(named(reset, fault).action),
              (CloseAction{CloseMode::reset, ClosePoint::now, 1, true}))
        << fault;
  }

  const Scenario slow = load_builtin_scenario("slow");
  EXPECT_EQ(slow.listeners[0].handshake_delay_ms, 500u);
  EXPECT_EQ(slow.settings.initial_window_size, 1024u);
  Captures captures;
  const Route* dribble = find_route(slow, "main", "GET", "/slow/dribble", captures);
  ASSERT_NE(dribble, nullptr);
  EXPECT_EQ(dribble->respond.chunk_bytes, 1u);

  const Scenario ping_scenario = load_builtin_scenario("ping");
  const Fault& ping = named(ping_scenario, "ping");
  EXPECT_EQ(std::get<PingAction>(ping.action), (PingAction{100, 10u}));

  const Scenario gates = load_builtin_scenario("hold-gates");
  EXPECT_EQ(gates.gates.at("pool"), (GateConfig{8u, GateOrder::arrival, 0}));
  EXPECT_EQ(gates.gates.at("lifo").order, GateOrder::reverse);
  EXPECT_EQ(gates.gates.at("shuffle"), (GateConfig{std::nullopt, GateOrder::random, 42}));
}

}  // namespace
}  // namespace faultline::scenarios
