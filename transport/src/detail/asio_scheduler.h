// The Scheduler on a real Asio io_context (the Client's loop).
#pragma once

#include <memory>
#include <unordered_map>

#include "detail/scheduler.h"

namespace boost::asio {
class io_context;
}

namespace faultline::transport::detail {

/** Timers and posts on an io_context. Loop thread only, except post(). */
class AsioScheduler final : public Scheduler {
 public:
  explicit AsioScheduler(boost::asio::io_context& io);
  ~AsioScheduler() override;
  AsioScheduler(const AsioScheduler&) = delete;
  AsioScheduler& operator=(const AsioScheduler&) = delete;

  [[nodiscard]] Clock::time_point now() const override { return Clock::now(); }
  TimerId schedule(Clock::time_point at, std::function<void()> fn) override;
  void cancel(TimerId id) noexcept override;
  void post(std::function<void()> fn) override;

 private:
  struct Timers;
  boost::asio::io_context& io_;
  std::shared_ptr<Timers> timers_;
  TimerId next_ = 1;
};

}  // namespace faultline::transport::detail
