// The flood guard's budgets with a made-up clock.
#include "detail/flood_guard.h"

#include <gtest/gtest.h>

namespace faultline::fake_server::detail {
namespace {

using namespace std::chrono_literals;
using Clock = FloodGuard::Clock;

/** How many frames of `kind` the guard takes at one instant before refusing. */
std::size_t frames_until_refused(FloodGuard& guard, FloodKind kind, Clock::time_point now) {
  std::size_t n = 0;
  while (guard.spend(kind, now) && n < 1'000'000) {
    ++n;
  }
  return n;
}

TEST(FloodGuard, AFloodRunsOutOfItsBurstAndIsNamed) {
  const auto t0 = Clock::now();
  FloodGuard guard(t0);
  EXPECT_EQ(frames_until_refused(guard, FloodKind::ping, t0),
            default_flood_budgets()[static_cast<std::size_t>(FloodKind::ping)].burst);
  ASSERT_TRUE(guard.exhausted());
  EXPECT_EQ(*guard.exhausted(), FloodKind::ping);
  EXPECT_STREQ(to_string(*guard.exhausted()), "ping");
  // Other kinds keep their own budget.
  EXPECT_TRUE(guard.spend(FloodKind::settings, t0));
}

TEST(FloodGuard, TheBudgetRefillsWithTimeUpToTheBurst) {
  const std::array<FloodBudget, kFloodKinds> budgets = {
      {{10, 5, 0, 0}, {10, 5, 0, 0}, {10, 5, 0, 0}, {10, 5, 0, 0}, {10, 5, 0, 0}, {10, 5, 0, 0}}};
  const auto t0 = Clock::now();
  FloodGuard guard(t0, budgets);
  EXPECT_EQ(frames_until_refused(guard, FloodKind::settings, t0), 10u);
  EXPECT_EQ(frames_until_refused(guard, FloodKind::settings, t0 + 1s), 5u);
  // A long pause refills no more than the burst.
  EXPECT_EQ(frames_until_refused(guard, FloodKind::settings, t0 + 1h), 10u);
}

// WINDOW_UPDATEs come with DATA the server sends; a download through a small window
// must never look like a flood.
TEST(FloodGuard, WorkDoneEarnsCreditBeyondTheBurst) {
  const auto t0 = Clock::now();
  FloodGuard guard(t0);
  const auto& window = default_flood_budgets()[static_cast<std::size_t>(FloodKind::window_update)];
  // 16 MiB through a 1 KiB window: 16384 DATA frames, one WINDOW_UPDATE after each.
  for (int i = 0; i < 16384; ++i) {
    guard.on_data_sent();
    ASSERT_TRUE(guard.spend(FloodKind::window_update, t0)) << "after " << i << " frames";
  }
  EXPECT_FALSE(guard.exhausted());
  // Without DATA, the same frames run out after the burst.
  FloodGuard idle(t0);
  EXPECT_EQ(frames_until_refused(idle, FloodKind::window_update, t0), window.burst);
}

TEST(FloodGuard, StreamsOpenedEarnPriorityAndEmptyDataButNotResets) {
  const auto t0 = Clock::now();
  FloodGuard guard(t0);
  const auto budget = [](FloodKind kind) {
    return default_flood_budgets()[static_cast<std::size_t>(kind)];
  };
  for (int i = 0; i < 100; ++i) {
    guard.on_stream_opened();
  }
  EXPECT_EQ(frames_until_refused(guard, FloodKind::priority, t0),
            budget(FloodKind::priority).burst + 100 * budget(FloodKind::priority).per_stream);
  // Opening streams and resetting them at once (rapid reset) earns nothing.
  EXPECT_EQ(frames_until_refused(guard, FloodKind::reset_stream, t0),
            budget(FloodKind::reset_stream).burst);
}

}  // namespace
}  // namespace faultline::fake_server::detail
