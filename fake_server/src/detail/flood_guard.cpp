#include "detail/flood_guard.h"

#include <algorithm>

namespace faultline::fake_server::detail {

const char* to_string(FloodKind kind) noexcept {
  switch (kind) {
    case FloodKind::settings:
      return "settings";
    case FloodKind::ping:
      return "ping";
    case FloodKind::window_update:
      return "window_update";
    case FloodKind::empty_data:
      return "empty_data";
    case FloodKind::priority:
      return "priority";
    case FloodKind::reset_stream:
      return "reset_stream";
  }
  return "unknown";
}

const std::array<FloodBudget, kFloodKinds>& default_flood_budgets() {
  // burst, per second, per stream opened, per DATA frame sent; indexed by FloodKind.
  static const std::array<FloodBudget, kFloodKinds> budgets = {{
      // settings, ping: a client sends a few; below nghttp2's 1000 queued ACKs, so that
      // the guard answers a flood even when the output is not drained in between.
      {500, 10, 0, 0},
      {500, 10, 0, 0},
      {2000, 100, 4, 4},  // window_update: about one per DATA frame received, per stream
      {1000, 10, 2, 0},   // empty_data: a client may end a body with one
      {1000, 10, 4, 0},   // priority: a few per stream (nghttp opens priority trees)
      {1000, 100, 0, 0},  // reset_stream: aborts happen, thousands at once do not
  }};
  return budgets;
}

FloodGuard::FloodGuard(Clock::time_point now, const std::array<FloodBudget, kFloodKinds>& budgets)
    : budgets_(budgets) {
  for (std::size_t i = 0; i < kFloodKinds; ++i) {
    buckets_[i] = Bucket{static_cast<double>(budgets_[i].burst), now};
  }
}

bool FloodGuard::spend(FloodKind kind, Clock::time_point now) {
  const auto index = static_cast<std::size_t>(kind);
  const FloodBudget& budget = budgets_[index];
  Bucket& bucket = buckets_[index];
  const double seconds = std::chrono::duration<double>(now - bucket.refilled).count();
  if (seconds > 0) {
    // Refills stop at the burst; credit earned by work (earn()) may lie above it.
    if (bucket.tokens < budget.burst) {
      bucket.tokens = std::min<double>(budget.burst, bucket.tokens + seconds * budget.per_second);
    }
    bucket.refilled = now;
  }
  if (bucket.tokens < 1) {
    if (!exhausted_) {
      exhausted_ = kind;
    }
    return false;
  }
  bucket.tokens -= 1;
  return true;
}

void FloodGuard::earn(std::uint32_t FloodBudget::*per_event) {
  for (std::size_t i = 0; i < kFloodKinds; ++i) {
    const FloodBudget& budget = budgets_[i];
    // Earned tokens may exceed the burst: work done is credit kept.
    buckets_[i].tokens += budget.*per_event;
  }
}

void FloodGuard::on_stream_opened() {
  earn(&FloodBudget::per_stream);
}

void FloodGuard::on_data_sent() {
  earn(&FloodBudget::per_data);
}

}  // namespace faultline::fake_server::detail
