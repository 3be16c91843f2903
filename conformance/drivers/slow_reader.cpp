#include "slow_reader.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

namespace faultline::conformance {

namespace {

/** How long the idle reader sleeps before it looks again (it is woken by every push). */
constexpr std::chrono::seconds kIdleWait{1};

}  // namespace

class SlowReader::Stream {
 public:
  Stream(std::shared_ptr<harness::Exchange> exchange, Clock::time_point sent,
         std::chrono::milliseconds delay)
      : exchange_(std::move(exchange)), sent_(sent), delay_(delay) {}

 private:
  friend class SlowReader;

  /** Nothing left to take. */
  [[nodiscard]] bool empty() const { return heads_.empty() && body_.empty() && !end_; }

  // Guarded by SlowReader::mutex_.
  std::shared_ptr<harness::Exchange> exchange_;
  Clock::time_point sent_;
  std::chrono::milliseconds delay_;
  std::deque<harness::Event> heads_;   ///< 1xx and final heads (they precede every byte)
  std::string body_;                   ///< body bytes received and not yet read
  std::optional<harness::Event> end_;  ///< the terminal event, once it arrived
  /** When the next read (or the terminal event) may be taken: `delay_` after the last
      read. */
  Clock::time_point next_take_{};
  bool listed_ = false;  ///< in SlowReader::streams_
  Hold hold_;            ///< empty: no push back
  bool held_ = false;    ///< paused through hold_
};

SlowReader::SlowReader() : thread_([this] { run(); }) {}

SlowReader::~SlowReader() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::shared_ptr<SlowReader::Stream> SlowReader::open(std::shared_ptr<harness::Exchange> exchange,
                                                     Clock::time_point sent,
                                                     std::chrono::milliseconds delay) {
  return std::make_shared<Stream>(std::move(exchange), sent, delay);
}

void SlowReader::push(const std::shared_ptr<Stream>& stream, harness::Event event) {
  {
    std::lock_guard lock(mutex_);
    if (event.type == harness::Event::Type::data) {
      stream->body_ += event.data;
      update_hold(*stream);
    } else if (event.terminal()) {
      stream->end_ = std::move(event);
    } else {
      stream->heads_.push_back(std::move(event));
    }
    if (!stream->listed_) {
      stream->listed_ = true;
      streams_.push_back(stream);
    }
  }
  wake_.notify_all();
}

void SlowReader::hold_with(const std::shared_ptr<Stream>& stream, Hold hold) {
  std::lock_guard lock(mutex_);
  stream->hold_ = std::move(hold);
  update_hold(*stream);
}

void SlowReader::drop_holds() {
  std::lock_guard lock(mutex_);
  holds_dropped_ = true;
}

void SlowReader::update_hold(Stream& s) {
  if (!s.hold_ || holds_dropped_) {
    return;
  }
  const bool hold = s.held_ ? s.body_.size() >= kHoldBytes / 2 : s.body_.size() >= kHoldBytes;
  if (hold != s.held_) {
    s.held_ = hold;
    s.hold_(hold);
  }
}

std::optional<SlowReader::Clock::time_point> SlowReader::take_due(Clock::time_point now,
                                                                  std::vector<Taken>& taken) {
  std::optional<Clock::time_point> next;
  for (auto& s : streams_) {
    const auto stamp = std::chrono::duration<double, std::milli>(now - s->sent_).count();
    // Heads are not read slowly: they go at once, in order, ahead of any byte.
    for (auto& head : s->heads_) {
      taken.push_back({s->exchange_, std::move(head)});
    }
    s->heads_.clear();
    // Reads: kReadBytes at a time (less only at the end of the body), one per delay.
    while (!s->body_.empty() && (s->body_.size() >= kReadBytes || s->end_ || stopping_)) {
      if (!stopping_ && s->next_take_ > now) {
        next = next ? std::min(*next, s->next_take_) : s->next_take_;
        break;
      }
      harness::Event e;
      e.type = harness::Event::Type::data;
      e.t_ms = stamp;
      const std::size_t n = std::min(kReadBytes, s->body_.size());
      e.data = s->body_.substr(0, n);
      s->body_.erase(0, n);
      update_hold(*s);
      s->next_take_ = now + s->delay_;
      taken.push_back({s->exchange_, std::move(e)});
      if (!stopping_) {
        break;  // the next read is a delay away
      }
    }
    // The terminal event, once every byte was read and the last read's delay passed.
    if (s->end_ && s->body_.empty()) {
      if (stopping_ || s->next_take_ <= now) {
        s->end_->t_ms = stamp;
        taken.push_back({s->exchange_, std::move(*s->end_)});
        s->end_.reset();
      } else {
        next = next ? std::min(*next, s->next_take_) : s->next_take_;
      }
    }
  }
  std::erase_if(streams_, [](const std::shared_ptr<Stream>& s) {
    if (s->empty()) {
      s->listed_ = false;
      return true;
    }
    return false;
  });
  return next;
}

void SlowReader::run() {
  std::vector<Taken> taken;
  std::unique_lock lock(mutex_);
  for (;;) {
    const auto now = Clock::now();
    const auto next = take_due(now, taken);
    if (!taken.empty()) {
      lock.unlock();
      for (auto& t : taken) {
        t.exchange->push(std::move(t.event));
      }
      taken.clear();
      lock.lock();
      continue;
    }
    if (stopping_) {
      return;
    }
    wake_.wait_until(lock, next ? std::min(*next, now + kIdleWait) : now + kIdleWait);
  }
}

}  // namespace faultline::conformance
