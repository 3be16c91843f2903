// A point in time every wait of the harness ends by.
#pragma once

#include <chrono>

namespace faultline::harness {

/** When a wait gives up. Built from a steady_clock time point or from a duration counted
    from now, so `wait_done(2s)` and `wait_done(deadline)` both read naturally. */
class Deadline {
 public:
  using Clock = std::chrono::steady_clock;

  Deadline(Clock::time_point at) : at_(at) {}  // NOLINT(google-explicit-constructor)
  template <class Rep, class Period>
  Deadline(std::chrono::duration<Rep, Period> from_now)  // NOLINT(google-explicit-constructor)
      : at_(Clock::now() + std::chrono::duration_cast<Clock::duration>(from_now)) {}

  [[nodiscard]] Clock::time_point at() const noexcept { return at_; }
  [[nodiscard]] bool passed() const noexcept { return Clock::now() >= at_; }
  /** What is left, never negative. */
  [[nodiscard]] std::chrono::milliseconds remaining() const noexcept {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(at_ - Clock::now());
    return left.count() > 0 ? left : std::chrono::milliseconds{0};
  }

 private:
  Clock::time_point at_;
};

}  // namespace faultline::harness
