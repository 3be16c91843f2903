#include "detail/session_pool.h"

#include <algorithm>
#include <utility>

#include "detail/limits.h"

namespace faultline::transport::detail {

SessionPool::SessionPool(Url origin, PoolConfig config, SessionFactory factory,
                         Scheduler& scheduler, PoolListener& listener, Stats& stats)
    : origin_(std::move(origin)),
      config_(config),
      factory_(std::move(factory)),
      scheduler_(scheduler),
      listener_(listener),
      stats_(stats),
      origin_stats_(stats.origins[origin_.origin()]) {
  config_.max_sessions = std::max<std::size_t>(config_.max_sessions, 1);
  config_.stream_cap = std::max<std::uint32_t>(config_.stream_cap, 1);
}

SessionPool::~SessionPool() {
  *alive_ = false;
  close_all();
}

std::error_code SessionPool::submit(const std::shared_ptr<Exchange>& exchange, bool front) {
  enqueue(exchange, front);
  dispatch();
  if (exchange->placement.where == Placement::Where::queued &&
      queue_.size() > config_.queue_limit) {
    queue_.erase(exchange->placement.queue_it);
    --stats_.queue_depth;
    exchange->placement = {};
    return make_error_code(errc::queue_full);
  }
  maybe_open_sessions();
  return {};
}

void SessionPool::withdraw(Exchange& exchange) {
  auto& placement = exchange.placement;
  if (placement.pool != this) {
    return;
  }
  if (placement.where == Placement::Where::queued) {
    queue_.erase(placement.queue_it);
    --stats_.queue_depth;
  } else if (placement.where == Placement::Where::stream) {
    auto it = entries_.find(placement.session);
    if (it != entries_.end()) {
      it->second.session->cancel(exchange);
    }
  }
  placement = {};
}

void SessionPool::resume(const Exchange& exchange) {
  if (exchange.placement.pool != this || exchange.placement.where != Placement::Where::stream) {
    return;
  }
  const auto it = entries_.find(exchange.placement.session);
  if (it != entries_.end()) {
    it->second.session->resume(exchange);
  }
}

void SessionPool::close_all() {
  while (!entries_.empty()) {
    const auto id = entries_.begin()->first;
    entries_.begin()->second.session->close();
    retire(id, CloseReason::client_shutdown);
  }
}

void SessionPool::check_session(SessionId id) {
  const auto it = entries_.find(id);
  if (it != entries_.end() && it->second.state != State::connecting) {
    it->second.session->check_alive();
  }
}

void SessionPool::enqueue(const std::shared_ptr<Exchange>& exchange, bool front) {
  const auto it = queue_.insert(front ? queue_.begin() : queue_.end(), exchange);
  exchange->placement = {Placement::Where::queued, this, it, 0, 0};
  ++stats_.queue_depth;
  stats_.peak_queue_depth = std::max(stats_.peak_queue_depth, stats_.queue_depth);
}

std::shared_ptr<Exchange> SessionPool::dequeue_front() {
  auto exchange = std::move(queue_.front());
  queue_.pop_front();
  --stats_.queue_depth;
  exchange->placement = {};
  return exchange;
}

std::uint32_t SessionPool::limit_of(const Entry& entry) const noexcept {
  return std::min(config_.stream_cap, entry.server_limit);
}

SessionPool::Entries::iterator SessionPool::pick_session() {
  auto best = entries_.end();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    const Entry& entry = it->second;
    if (entry.state != State::ready || entry.active >= limit_of(entry)) {
      continue;
    }
    // The least busy session first: spreads streams (and head-of-line risk) evenly.
    if (best == entries_.end() || entry.active < best->second.active) {
      best = it;
    }
  }
  return best;
}

void SessionPool::dispatch() {
  while (!queue_.empty()) {
    const auto it = pick_session();
    if (it == entries_.end()) {
      return;
    }
    auto exchange = dequeue_front();
    if (config_.hooks != nullptr && config_.hooks->on_dequeued(*exchange)) {
      continue;
    }
    start_stream(it->first, it->second, std::move(exchange));
  }
}

void SessionPool::start_stream(SessionId id, Entry& entry, std::shared_ptr<Exchange> exchange) {
  exchange->placement = {Placement::Where::stream, this, {}, id, 0};
  if (!entry.session->submit(exchange)) {
    // Out of stream ids, or the session is dying: it reports on_session_closed soon.
    entry.state = State::draining;
    enqueue(exchange, true);
    maybe_open_sessions();
    return;
  }
  entry.idle_timer.reset();
  ++entry.active;
  ++stats_.streams_opened;
  if (config_.hooks != nullptr) {
    config_.hooks->on_stream_started(stats_);
  }
  stats_.peak_streams_per_session =
      std::max<std::uint64_t>(stats_.peak_streams_per_session, entry.active);
}

bool SessionPool::bound_fruitless() const {
  return config_.hooks == nullptr || config_.hooks->bound_fruitless_sessions();
}

bool SessionPool::lost_without_serving(std::uint64_t opened_in_round) {
  if (opened_in_round == fruitless_round_) {
    ++fruitless_round_;
    ++fruitless_;
  }
  if (fruitless_ >= kMaxFruitlessSessions && bound_fruitless()) {
    fruitless_ = 0;
    return true;
  }
  return false;
}

bool SessionPool::has_live_sessions() const noexcept {
  return std::any_of(entries_.begin(), entries_.end(),
                     [](const auto& kv) { return kv.second.state != State::draining; });
}

void SessionPool::maybe_open_sessions() {
  if (queue_.empty()) {
    return;
  }
  if (config_.hooks != nullptr && !config_.hooks->may_open_session(origin_)) {
    return;
  }
  const bool storm = config_.hooks != nullptr && !config_.hooks->count_connecting_sessions();
  std::size_t counted = 0;
  std::size_t connecting = 0;
  for (const auto& [id, entry] : entries_) {
    if (entry.state == State::connecting) {
      ++connecting;
    }
    if (entry.state == State::ready || (entry.state == State::connecting && !storm)) {
      ++counted;
    }
  }
  // An origin never seen speaking h2 gets one probe session: if it is HTTP/1.1-only we
  // learn that from one handshake, not from max_sessions of them.
  if (!known_h2_ && connecting > 0 && !storm) {
    return;
  }
  const std::uint32_t expected =
      std::min(config_.stream_cap, last_server_limit_.value_or(config_.stream_cap));
  std::size_t pending_capacity = storm ? 0 : connecting * expected;
  while (counted < config_.max_sessions && queue_.size() > pending_capacity) {
    open_session();
    ++counted;
    pending_capacity += storm ? 0 : expected;
    if (!known_h2_ && !storm) {
      return;
    }
  }
}

void SessionPool::open_session() {
  const SessionId id = next_id_++;
  auto [it, inserted] = entries_.try_emplace(id);
  it->second.opened_in_round = fruitless_round_;
  it->second.session = factory_(origin_, id, *this);
  ++stats_.sessions_opened;
  ++stats_.h2_sessions_opened;
  ++stats_.sessions_open;
  ++origin_stats_.h2_attempts;
  it->second.session->start();
}

void SessionPool::arm_idle(SessionId id, Entry& entry) {
  if (config_.idle_timeout.count() <= 0 ||
      (config_.hooks != nullptr && !config_.hooks->reap_idle_sessions())) {
    return;
  }
  entry.idle_timer.start(scheduler_, scheduler_.now() + config_.idle_timeout,
                         [this, id] { on_idle(id); });
}

void SessionPool::on_idle(SessionId id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) {
    return;
  }
  auto& entry = it->second;
  entry.idle_timer.release();
  if (entry.active != 0 || entry.state != State::ready) {
    return;
  }
  // Idle means no open streams AND nothing waiting. A ready session with free slots
  // would have taken the waiters, so it is at its server limit (0): keep it for them
  // (the limit may rise) and look again one idle timeout later.
  if (!queue_.empty()) {
    arm_idle(id, entry);
    return;
  }
  entry.session->close();
  retire(id, CloseReason::idle);
  maybe_open_sessions();
}

void SessionPool::retire(SessionId id, CloseReason reason) {
  auto it = entries_.find(id);
  if (it == entries_.end()) {
    return;
  }
  graveyard_.push_back(std::move(it->second.session));
  entries_.erase(it);
  --stats_.sessions_open;
  ++stats_.sessions_closed;
  ++stats_.closed_by_reason[reason];
  if (graveyard_.size() == 1) {
    scheduler_.post([this, alive = std::weak_ptr<bool>(alive_)] {
      if (auto a = alive.lock(); a && *a) {
        graveyard_.clear();
      }
    });
  }
}

void SessionPool::fail_queue(const Outcome& outcome) {
  ExchangeQueue waiting;
  waiting.swap(queue_);
  stats_.queue_depth -= waiting.size();
  for (auto& exchange : waiting) {
    exchange->placement = {};
    exchange->on_attempt_end(exchange->attempt, outcome);
  }
}

void SessionPool::on_session_ready(SessionId id, std::uint32_t max_concurrent_streams) {
  auto it = entries_.find(id);
  if (it == entries_.end()) {
    return;
  }
  auto& entry = it->second;
  entry.state = State::ready;
  entry.server_limit = max_concurrent_streams;
  known_h2_ = true;
  last_server_limit_ = max_concurrent_streams;
  ++origin_stats_.h2_sessions_ready;
  dispatch();
  if (entry.active == 0) {
    arm_idle(id, entry);
  }
  maybe_open_sessions();
}

void SessionPool::on_session_settings(SessionId id, std::uint32_t max_concurrent_streams) {
  auto it = entries_.find(id);
  if (it == entries_.end()) {
    return;
  }
  it->second.server_limit = max_concurrent_streams;
  last_server_limit_ = max_concurrent_streams;
  dispatch();
  maybe_open_sessions();
}

void SessionPool::on_session_goaway(SessionId id, std::int32_t /*last_stream_id*/,
                                    std::uint32_t error_code) {
  auto it = entries_.find(id);
  if (it == entries_.end()) {
    return;
  }
  ++stats_.goaways_received;
  if (error_code == kHttp11Required &&
      (config_.hooks == nullptr || config_.hooks->honour_http11_required())) {
    // RFC 9113 section 7: the origin wants HTTP/1.1. Streams above last-stream-id come
    // back unprocessed and, like the waiters, go to HTTP/1.1 from the remembered origin.
    known_h2_ = false;
    listener_.on_origin_http11(origin_, CloseReason::http11_required);
    fail_queue(Outcome::http11_required_by_server("GOAWAY HTTP_1_1_REQUIRED"));
  }
  auto& entry = it->second;
  const bool was_ready = entry.state == State::ready;
  entry.state = State::draining;
  entry.goaway = true;
  entry.idle_timer.reset();
  if (entry.active == 0 && was_ready) {
    entry.session->close();
    const bool fruitless = entry.completed == 0 && !queue_.empty();
    const auto opened_in_round = entry.opened_in_round;
    retire(id, CloseReason::goaway);
    if (fruitless && lost_without_serving(opened_in_round)) {
      fail_queue(
          Outcome::failed_with(errc::session_lost, "sessions closed before serving any request"));
      return;
    }
  }
  maybe_open_sessions();
}

void SessionPool::on_stream_closed(SessionId id, std::shared_ptr<Exchange> exchange,
                                   std::uint32_t attempt, Outcome outcome) {
  auto it = entries_.find(id);
  if (it != entries_.end()) {
    auto& entry = it->second;
    if (entry.active > 0) {
      --entry.active;
    }
    if (outcome.kind == Outcome::Kind::completed) {
      ++entry.completed;
      fruitless_ = 0;
    }
  }
  if (exchange->placement.pool == this && exchange->placement.where == Placement::Where::stream &&
      exchange->attempt == attempt) {
    exchange->placement = {};
  }
  exchange->on_attempt_end(attempt, std::move(outcome));
  // The exchange's owner may have re-entered the pool; look the session up again.
  it = entries_.find(id);
  if (it != entries_.end()) {
    auto& entry = it->second;
    if (entry.state == State::draining && entry.goaway && entry.active == 0) {
      entry.session->close();
      retire(id, CloseReason::goaway);
    } else if (entry.state == State::ready && entry.active == 0) {
      arm_idle(id, entry);
    }
  }
  dispatch();
  maybe_open_sessions();
}

void SessionPool::on_session_closed(SessionId id, CloseReason reason, std::error_code error,
                                    std::string detail) {
  auto it = entries_.find(id);
  if (it == entries_.end()) {
    return;
  }
  const bool was_connecting = it->second.state == State::connecting;
  const bool served = it->second.completed > 0;
  const auto opened_in_round = it->second.opened_in_round;
  retire(id, reason);

  if (reason == CloseReason::alpn_http11 || reason == CloseReason::alpn_refused) {
    known_h2_ = false;
    listener_.on_origin_http11(origin_, reason);
    fail_queue(Outcome::switch_to_http11());
    return;
  }
  if (was_connecting) {
    // Nothing else will connect for these waiters: fail them now with the cause.
    if (!has_live_sessions()) {
      if (!error) {
        error = make_error_code(errc::connect_failed);
      }
      fail_queue(Outcome{Outcome::Kind::failed, error, std::move(detail), false});
    }
    return;
  }
  if (!served && !queue_.empty() && lost_without_serving(opened_in_round)) {
    fail_queue(
        Outcome::failed_with(errc::session_lost, "sessions closed before serving any request"));
    return;
  }
  maybe_open_sessions();
}

}  // namespace faultline::transport::detail
