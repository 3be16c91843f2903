#include "detail/asio_scheduler.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace faultline::transport::detail {

namespace asio = boost::asio;

/** The live timers; shared with their handlers so a late handler finds it gone. */
struct AsioScheduler::Timers {
  std::unordered_map<TimerId, std::unique_ptr<asio::steady_timer>> map;
};

AsioScheduler::AsioScheduler(asio::io_context& io) : io_(io), timers_(std::make_shared<Timers>()) {}

AsioScheduler::~AsioScheduler() {
  for (auto& [id, timer] : timers_->map) {
    timer->cancel();
  }
}

Scheduler::TimerId AsioScheduler::schedule(Clock::time_point at, std::function<void()> fn) {
  const TimerId id = next_++;
  auto timer = std::make_unique<asio::steady_timer>(io_, at);
  timer->async_wait(
      [weak = std::weak_ptr<Timers>(timers_), id, fn = std::move(fn)](const std::error_code& ec) {
        auto timers = weak.lock();
        if (ec || !timers) {
          return;
        }
        // Cancelled after expiry but before this handler ran: the id is gone.
        if (timers->map.erase(id) == 0) {
          return;
        }
        fn();
      });
  timers_->map.emplace(id, std::move(timer));
  return id;
}

void AsioScheduler::cancel(TimerId id) noexcept {
  const auto it = timers_->map.find(id);
  if (it == timers_->map.end()) {
    return;
  }
  it->second->cancel();
  timers_->map.erase(it);
}

void AsioScheduler::post(std::function<void()> fn) {
  asio::post(io_, std::move(fn));
}

}  // namespace faultline::transport::detail
