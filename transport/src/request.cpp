#include "faultline/transport/request.h"

#include <mutex>
#include <utility>
#include <vector>

namespace faultline::transport {

namespace detail {

/** Shared by an AbortController and the signals copied from it. The mutex guards the
    listener list only; listeners run under it so that remove_listener is a barrier. */
struct AbortState {
  std::mutex mutex;
  bool aborted = false;
  std::uint64_t next_token = 1;
  std::vector<std::pair<std::uint64_t, std::function<void()>>> listeners;
};

}  // namespace detail

Body Body::bytes(std::string data) {
  Body body;
  body.data_ = std::move(data);
  return body;
}

Body Body::pull(PullSource source, std::optional<std::uint64_t> length) {
  Body body;
  body.source_ = std::move(source);
  body.source_length_ = length;
  return body;
}

std::optional<std::uint64_t> Body::length() const noexcept {
  if (source_) {
    return source_length_;
  }
  return data_.size();
}

bool AbortSignal::aborted() const noexcept {
  if (!state_) {
    return false;
  }
  std::lock_guard lock(state_->mutex);
  return state_->aborted;
}

std::uint64_t AbortSignal::add_listener(std::function<void()> fn) const {
  if (!state_) {
    return 0;
  }
  std::lock_guard lock(state_->mutex);
  const std::uint64_t token = state_->next_token++;
  if (state_->aborted) {
    fn();
    return token;
  }
  state_->listeners.emplace_back(token, std::move(fn));
  return token;
}

void AbortSignal::remove_listener(std::uint64_t token) const noexcept {
  if (!state_ || token == 0) {
    return;
  }
  std::lock_guard lock(state_->mutex);
  std::erase_if(state_->listeners, [token](const auto& entry) { return entry.first == token; });
}

AbortController::AbortController() {
  signal_.state_ = std::make_shared<detail::AbortState>();
}

void AbortController::abort() noexcept {
  auto& state = *signal_.state_;
  std::lock_guard lock(state.mutex);
  if (state.aborted) {
    return;
  }
  state.aborted = true;
  auto listeners = std::move(state.listeners);
  state.listeners.clear();
  for (auto& [token, fn] : listeners) {
    try {
      fn();
    } catch (...) {
      // A listener only posts into an event loop; nothing useful to do with a failure.
    }
  }
}

}  // namespace faultline::transport
