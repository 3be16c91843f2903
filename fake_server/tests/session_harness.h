// Drives a ProtocolSession without sockets: a host with a virtual clock, and byte
// pumping at random split sizes. No GoogleTest here: the fuzz targets use it too.
#pragma once

#include <algorithm>
#include <chrono>
#include <deque>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "detail/session.h"

namespace faultline::fake_server::testing {

using namespace std::chrono_literals;

/** A SessionHost whose timers run on a virtual clock advanced by the test. */
class FakeHost final : public detail::SessionHost {
 public:
  void signal_write() override { ++write_signals; }

  void run_after(std::chrono::milliseconds delay, std::function<void()> fn) override {
    timers_.push_back(Timer{now_ + delay, next_seq_++, std::move(fn)});
  }

  std::function<void()> make_waker(std::function<void()> fn) override {
    return [this, fn = std::move(fn)] { posted_.push_back(fn); };
  }

  /** How the session asked to close the transport (the first call wins). */
  struct Close {
    scenarios::CloseMode mode = scenarios::CloseMode::fin;
    bool after_flush = false;
    std::string reason;
    std::chrono::milliseconds at{0};  ///< virtual time of the call
  };
  void close_transport(scenarios::CloseMode mode, bool after_flush, std::string reason) override {
    if (!closed) {
      closed = Close{mode, after_flush, std::move(reason), now_};
    }
  }

  /** Runs posted wakers and the timers due now; true when something ran. */
  bool run_ready() {
    bool ran = false;
    while (!posted_.empty()) {
      auto fn = std::move(posted_.front());
      posted_.pop_front();
      fn();
      ran = true;
    }
    for (;;) {
      auto due = next_timer();
      if (due == timers_.end() || due->at > now_) {
        break;
      }
      auto fn = std::move(due->fn);
      timers_.erase(due);
      fn();
      ran = true;
    }
    return ran;
  }

  /** Moves the clock to the next timer; false when none is armed. */
  bool advance() {
    auto due = next_timer();
    if (due == timers_.end()) {
      return false;
    }
    now_ = std::max(now_, due->at);
    return true;
  }

  [[nodiscard]] std::chrono::milliseconds now() const { return now_; }
  [[nodiscard]] std::size_t timers() const { return timers_.size(); }

  int write_signals = 0;
  std::optional<Close> closed;

 private:
  struct Timer {
    std::chrono::milliseconds at;
    std::uint64_t seq;
    std::function<void()> fn;
  };
  std::vector<Timer>::iterator next_timer() {
    return std::min_element(timers_.begin(), timers_.end(), [](const Timer& a, const Timer& b) {
      return a.at != b.at ? a.at < b.at : a.seq < b.seq;
    });
  }

  std::chrono::milliseconds now_{0};
  std::uint64_t next_seq_ = 0;
  std::vector<Timer> timers_;
  std::deque<std::function<void()>> posted_;
};

/** Feeds bytes in pieces of random size (1..max_piece). */
template <class Sink>
void feed_split(const std::vector<std::uint8_t>& bytes, std::mt19937& rng, std::size_t max_piece,
                Sink&& sink) {
  std::size_t at = 0;
  while (at < bytes.size()) {
    const std::size_t n =
        std::min(std::uniform_int_distribution<std::size_t>(1, max_piece)(rng), bytes.size() - at);
    sink(std::span<const std::uint8_t>(bytes.data() + at, n));
    at += n;
  }
}

}  // namespace faultline::fake_server::testing
