// Time and deferral for the transport's loop, behind an interface so the pool and the
// engine run without Asio in unit tests (a manual clock drives them there).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace faultline::transport::detail {

/** The event loop as the pool and the engine see it. Everything but post() is called on
    the loop thread only. */
class Scheduler {
 public:
  using Clock = std::chrono::steady_clock;
  using TimerId = std::uint64_t;  ///< 0 is never a valid timer

  virtual ~Scheduler() = default;
  [[nodiscard]] virtual Clock::time_point now() const = 0;
  /** Runs `fn` on the loop at `at` unless cancelled first. */
  virtual TimerId schedule(Clock::time_point at, std::function<void()> fn) = 0;
  /** `fn` of the timer will not run; unknown or fired ids are ignored. */
  virtual void cancel(TimerId id) noexcept = 0;
  /** Runs `fn` on the loop soon, never inside the caller. Thread safe. */
  virtual void post(std::function<void()> fn) = 0;
};

/** Cancels its timer when reset or destroyed. Loop thread only. */
class ScopedTimer {
 public:
  ScopedTimer() = default;
  ScopedTimer(const ScopedTimer&) = delete;
  ScopedTimer& operator=(const ScopedTimer&) = delete;
  ~ScopedTimer() { reset(); }

  void start(Scheduler& scheduler, Scheduler::Clock::time_point at, std::function<void()> fn) {
    reset();
    scheduler_ = &scheduler;
    id_ = scheduler.schedule(at, std::move(fn));
  }
  void reset() noexcept {
    if (scheduler_ != nullptr && id_ != 0) {
      scheduler_->cancel(id_);
    }
    id_ = 0;
  }
  /** Forget the timer without cancelling it (call from its own callback). */
  void release() noexcept { id_ = 0; }
  [[nodiscard]] bool armed() const noexcept { return id_ != 0; }

 private:
  Scheduler* scheduler_ = nullptr;
  Scheduler::TimerId id_ = 0;
};

}  // namespace faultline::transport::detail
