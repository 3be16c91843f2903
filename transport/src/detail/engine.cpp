#include "detail/engine.h"

#include <utility>

#include "detail/redirect.h"
#include "detail/text.h"

namespace faultline::transport::detail {
namespace {

using Clock = Scheduler::Clock;

std::chrono::microseconds since(Clock::time_point start, Clock::time_point now) {
  return std::chrono::duration_cast<std::chrono::microseconds>(now - start);
}

/** Checks method and header fields; returns a reason when the request is invalid. */
std::string validate(const Request& request) {
  if (!is_token(request.method)) {
    return "invalid method \"" + request.method + "\"";
  }
  for (const auto& [name, value] : request.headers) {
    if (!is_token(name)) {
      return "invalid header name \"" + name + "\"";
    }
    if (!is_field_value(value)) {
      return "header \"" + name + "\" has CR, LF or NUL in its value";
    }
  }
  if ((request.method == "GET" || request.method == "HEAD") && !request.body.empty()) {
    return request.method + " with a body";
  }
  return {};
}

/** RFC 9110 section 9.2.2: methods whose repetition has the effect of one request. */
bool is_idempotent(const std::string& method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" ||
         method == "OPTIONS" || method == "TRACE";
}

}  // namespace

Engine::Engine(Options options, Scheduler& scheduler, SessionFactory sessions, Hooks* hooks)
    : options_(std::move(options)),
      scheduler_(scheduler),
      sessions_(std::move(sessions)),
      hooks_(hooks) {
  pool_config_.max_sessions = options_.max_sessions_per_origin;
  pool_config_.stream_cap = options_.max_streams_per_session;
  pool_config_.queue_limit = options_.queue_limit;
  pool_config_.idle_timeout = options_.idle_timeout;
  pool_config_.hooks = hooks_;
}

Engine::~Engine() {
  shutdown();
  // Sessions and connections report their closing into stats_: close them first.
  pools_.clear();
  http11_.reset();
}

void Engine::set_http11_backend(std::unique_ptr<Http11Backend> backend) {
  http11_ = std::move(backend);
}

void Engine::log(LogLevel level, std::string_view text) const {
  if (options_.log && level >= options_.log_level) {
    options_.log(level, text);
  }
}

std::shared_ptr<Exchange> Engine::find(std::uint64_t id) const {
  const auto it = exchanges_.find(id);
  return it == exchanges_.end() ? nullptr : it->second;
}

void Engine::start(std::uint64_t id, Request request, Handlers handlers) {
  ++stats_.requests_started;
  std::string why;
  auto url = parse_url(request.url, &why);
  if (why.empty()) {
    why = validate(request);
  }
  if (!url || !why.empty() || shut_down_) {
    const auto error = shut_down_ ? errc::client_closed : errc::invalid_request;
    auto exchange = std::make_shared<Exchange>(*this, id, std::move(request), url.value_or(Url{}),
                                               std::move(handlers));
    exchange->started = scheduler_.now();
    exchanges_.emplace(id, exchange);
    finish(*exchange, make_error_code(error), why);
    return;
  }
  // Hop-by-hop and framing headers are the transport's business.
  std::erase_if(request.headers, [](const Header& h) {
    return iequals(h.first, "host") || iequals(h.first, "connection") ||
           iequals(h.first, "keep-alive") || iequals(h.first, "transfer-encoding") ||
           iequals(h.first, "upgrade") || iequals(h.first, "proxy-connection") ||
           iequals(h.first, "content-length") ||
           // TE is hop-by-hop too, but "trailers" is the one value HTTP/2 allows (RFC 9113
           // 8.2.2) and gRPC needs it: that is kept (HTTP/1.1 adds Connection: TE).
           (iequals(h.first, "te") && !iequals(h.second, "trailers"));
  });
  if (hooks_ != nullptr) {
    hooks_->on_request(request, handlers);
  }
  if (!has_header(request.headers, "user-agent") && !options_.user_agent.empty()) {
    request.headers.emplace_back("user-agent", options_.user_agent);
  }
  const auto now = scheduler_.now();
  std::optional<Clock::time_point> deadline = request.deadline;
  const auto timeout = request.timeout.count() > 0 ? request.timeout : options_.request_timeout;
  if (timeout.count() > 0 && (!deadline || now + timeout < *deadline)) {
    deadline = now + timeout;
  }
  auto exchange = std::make_shared<Exchange>(*this, id, std::move(request), std::move(*url),
                                             std::move(handlers));
  exchange->started = now;
  exchange->deadline = deadline;
  exchanges_.emplace(id, exchange);
  if (exchange->signal.aborted()) {
    finish(*exchange, make_error_code(errc::aborted));
    return;
  }
  if (deadline) {
    if (*deadline <= now) {
      finish(*exchange, make_error_code(errc::timeout));
      return;
    }
    exchange->deadline_timer.start(scheduler_, *deadline, [this, id] { on_deadline(id); });
  }
  // The listener runs on the aborting thread: it only posts into the loop.
  exchange->abort_token = exchange->signal.add_listener(
      [this, id] { scheduler_.post([this, id] { fail_by_signal(id, errc::aborted); }); });
  dispatch(exchange, false);
}

void Engine::abort(std::uint64_t id) {
  fail_by_signal(id, errc::aborted);
}

void Engine::pause(std::uint64_t id) {
  if (auto exchange = find(id); exchange && !exchange->finished) {
    exchange->paused = true;
  }
}

void Engine::resume(std::uint64_t id) {
  auto exchange = find(id);
  if (!exchange || exchange->finished || !exchange->paused) {
    return;
  }
  exchange->paused = false;
  if (!exchange->held.empty()) {
    const std::string held = std::move(exchange->held);
    exchange->held.clear();
    deliver(*exchange, held);
  }
  if (exchange->finished) {
    return;
  }
  if (exchange->parked_end) {
    auto outcome = std::move(*exchange->parked_end);
    exchange->parked_end.reset();
    on_attempt_end(*exchange, exchange->attempt, std::move(outcome));
    return;
  }
  notify_resumed(*exchange);
}

void Engine::notify_resumed(Exchange& exchange) {
  switch (exchange.placement.where) {
    case Placement::Where::stream:
      exchange.placement.pool->resume(exchange);
      break;
    case Placement::Where::http11:
      if (http11_) {
        http11_->resume(exchange);
      }
      break;
    case Placement::Where::queued:
    case Placement::Where::none:
      break;
  }
}

void Engine::on_deadline(std::uint64_t id) {
  if (auto exchange = find(id)) {
    exchange->deadline_timer.release();
  }
  fail_by_signal(id, errc::timeout);
}

void Engine::fail_by_signal(std::uint64_t id, errc why) {
  auto exchange = find(id);
  if (!exchange || exchange->finished) {
    return;
  }
  if (hooks_ != nullptr && exchange->placement.where == Placement::Where::queued &&
      hooks_->hold_signal_while_queued(*exchange, make_error_code(why))) {
    return;
  }
  const Placement placement = exchange->placement;
  finish(*exchange, make_error_code(why));
  // A request that timed out on a session may have met a dead peer: check it, so that
  // later requests do not follow it there (the session ends after ping_timeout).
  if (why == errc::timeout && placement.where == Placement::Where::stream &&
      placement.pool != nullptr && (hooks_ == nullptr || hooks_->health_check_after_timeout())) {
    placement.pool->check_session(placement.session);
  }
}

bool Engine::use_http11(const Exchange& exchange) {
  if (!exchange.url.tls() || options_.force_http1 || exchange.force_http11) {
    return true;
  }
  const auto it = http11_until_.find(exchange.url.origin());
  if (it == http11_until_.end()) {
    return false;
  }
  if (scheduler_.now() >= it->second) {
    http11_until_.erase(it);
    stats_.origins[exchange.url.origin()].served_over_http11 = false;
    return false;
  }
  return true;
}

SessionPool& Engine::pool_for(const Url& origin) {
  auto& pool = pools_[origin.origin()];
  if (!pool) {
    Url key = origin;
    key.path_and_query = "/";
    pool = std::make_unique<SessionPool>(std::move(key), pool_config_, sessions_, scheduler_, *this,
                                         stats_);
  }
  return *pool;
}

void Engine::dispatch(const std::shared_ptr<Exchange>& exchange, bool front) {
  ++exchange->attempt;
  exchange->rewind_body();
  exchange->pending_redirect.reset();
  ++stats_.origins[exchange->url.origin()].requests;
  if (use_http11(*exchange)) {
    if (!http11_) {
      finish(*exchange, make_error_code(errc::connect_failed), "no HTTP/1.1 backend");
      return;
    }
    auto origin = exchange->url.origin();
    auto& in_flight = http11_in_flight_[origin];
    if (in_flight >= options_.max_sessions_per_origin + options_.queue_limit) {
      finish(*exchange, make_error_code(errc::queue_full), "HTTP/1.1");
      return;
    }
    ++in_flight;
    exchange->http11_slot = std::move(origin);
    exchange->placement = {Placement::Where::http11, nullptr, {}, 0, 0};
    http11_->start(exchange);
    return;
  }
  if (const auto error = pool_for(exchange->url).submit(exchange, front)) {
    finish(*exchange, error);
  }
}

void Engine::on_informational(Exchange& exchange, std::uint32_t attempt, int status,
                              Headers headers, Protocol protocol) {
  if (exchange.finished || attempt != exchange.attempt || exchange.head_delivered ||
      !exchange.handlers.on_informational) {
    return;
  }
  ResponseHead head{status, std::move(headers), exchange.url.str(), protocol};
  try {
    exchange.handlers.on_informational(head);
  } catch (...) {
    log(LogLevel::error, "on_informational handler threw; exception dropped");
  }
}

void Engine::on_head(Exchange& exchange, std::uint32_t attempt, int status, Headers headers,
                     Protocol protocol) {
  if (exchange.finished || attempt != exchange.attempt || status < 200) {
    return;
  }
  if (hooks_ != nullptr && hooks_->replay_on_status(status, exchange.response.retries)) {
    exchange.replay_after_attempt = true;
    return;
  }
  const auto location = find_header(headers, "location");
  const bool follow_applies = is_redirect_status(status) && !location.empty() &&
                              exchange.redirect_mode != RedirectMode::manual &&
                              (hooks_ == nullptr || hooks_->follow_redirects_over(protocol));
  if (follow_applies) {
    if (exchange.redirect_mode == RedirectMode::error) {
      finish(exchange, make_error_code(errc::redirect_not_allowed),
             "status " + std::to_string(status));
      return;
    }
    exchange.pending_redirect.emplace(status, std::string(location));
    return;
  }
  auto& response = exchange.response;
  exchange.head_delivered = true;
  response.status = status;
  response.headers = std::move(headers);
  response.url = exchange.url.str();
  response.protocol = protocol;
  response.timings.headers = since(exchange.started, scheduler_.now());
  if (exchange.handlers.on_headers) {
    ResponseHead head{status, response.headers, response.url, protocol};
    try {
      exchange.handlers.on_headers(head);
    } catch (...) {
      log(LogLevel::error, "on_headers handler threw; exception dropped");
    }
  }
}

void Engine::on_data(Exchange& exchange, std::uint32_t attempt, std::string_view chunk) {
  if (exchange.finished || attempt != exchange.attempt || !exchange.head_delivered) {
    return;
  }
  if (exchange.paused) {
    exchange.held.append(chunk);
    return;
  }
  deliver(exchange, chunk);
}

void Engine::deliver(Exchange& exchange, std::string_view chunk) {
  if (exchange.handlers.on_data) {
    try {
      exchange.handlers.on_data(chunk);
    } catch (...) {
      log(LogLevel::error, "on_data handler threw; exception dropped");
    }
    return;
  }
  exchange.response.body.append(chunk);
}

void Engine::on_trailers(Exchange& exchange, std::uint32_t attempt, Headers trailers) {
  if (exchange.finished || attempt != exchange.attempt || !exchange.head_delivered) {
    return;
  }
  if (hooks_ != nullptr && !hooks_->deliver_trailers()) {
    return;
  }
  exchange.response.trailers = std::move(trailers);
}

void Engine::on_attempt_end(Exchange& exchange, std::uint32_t attempt, Outcome outcome) {
  if (exchange.finished || attempt != exchange.attempt) {
    return;
  }
  if (exchange.paused && outcome.kind == Outcome::Kind::completed && exchange.head_delivered) {
    // The body is complete on the wire; the caller hears the end after resume().
    exchange.placement = {};
    release_http11_slot(exchange);
    exchange.parked_end = std::move(outcome);
    return;
  }
  exchange.placement = {};
  release_http11_slot(exchange);
  auto self = find(exchange.id);
  if (!self) {
    return;
  }
  switch (outcome.kind) {
    case Outcome::Kind::completed:
      if (exchange.replay_after_attempt) {
        exchange.replay_after_attempt = false;
        ++exchange.response.retries;
        ++stats_.retries;
        dispatch(self, true);
      } else if (exchange.pending_redirect) {
        follow_redirect(self);
      } else if (!exchange.head_delivered) {
        finish(exchange, make_error_code(errc::protocol_error),
               "stream ended without a final response");
      } else {
        finish(exchange, {});
      }
      return;
    case Outcome::Kind::cancelled:
      return;
    case Outcome::Kind::use_http11:
      if (outcome.http11_required && !use_http11(exchange)) {
        on_origin_http11(exchange.url, CloseReason::http11_required);
      }
      exchange.force_http11 = true;
      dispatch(self, true);
      return;
    case Outcome::Kind::unprocessed:
      retry_or_fail(self, outcome);
      return;
    case Outcome::Kind::failed:
      if (outcome.lost_before_response && may_replay_after_loss(exchange)) {
        exchange.replayed_after_loss = true;
        ++exchange.response.retries;
        ++stats_.retries;
        dispatch(self, true);
        return;
      }
      finish(exchange, outcome.error, outcome.detail);
      return;
  }
}

bool Engine::may_replay_after_loss(const Exchange& exchange) const {
  return !exchange.replayed_after_loss && !exchange.head_delivered &&
         is_idempotent(exchange.method) && exchange.body_replayable() &&
         (hooks_ == nullptr || hooks_->retry_idempotent_after_loss());
}

void Engine::retry_or_fail(const std::shared_ptr<Exchange>& exchange, const Outcome& outcome) {
  if (exchange->head_delivered) {
    finish(*exchange, outcome.error, outcome.detail);
    return;
  }
  if (!exchange->body_replayable() && (hooks_ == nullptr || !hooks_->replay_unreplayable_body())) {
    finish(*exchange, make_error_code(errc::body_not_replayable), outcome.detail);
    return;
  }
  if (exchange->response.retries >= options_.max_retries) {
    finish(*exchange, make_error_code(errc::retries_exhausted), outcome.detail);
    return;
  }
  ++exchange->response.retries;
  ++stats_.retries;
  dispatch(exchange, true);
}

void Engine::follow_redirect(const std::shared_ptr<Exchange>& exchange) {
  auto& ex = *exchange;
  const auto [status, location] = *ex.pending_redirect;
  ex.pending_redirect.reset();
  if (ex.response.redirects >= ex.max_redirects) {
    finish(ex, make_error_code(errc::too_many_redirects),
           "more than " + std::to_string(ex.max_redirects));
    return;
  }
  RedirectPlan plan;
  if (const auto error = plan_redirect(ex.method, ex.url, status, location, ex.headers, plan)) {
    finish(ex, error, "Location: " + location);
    return;
  }
  if (!plan.drop_body && !ex.body.empty() && !ex.body.replayable()) {
    finish(ex, make_error_code(errc::body_not_replayable), "status " + std::to_string(status));
    return;
  }
  if (plan.url.origin() != ex.url.origin()) {
    ex.force_http11 = false;
  }
  ex.method = std::move(plan.method);
  ex.url = std::move(plan.url);
  if (plan.drop_body) {
    ex.body = Body{};
  }
  ++ex.response.redirects;
  ++stats_.redirects;
  dispatch(exchange, false);
}

void Engine::withdraw(Exchange& exchange) {
  auto& placement = exchange.placement;
  switch (placement.where) {
    case Placement::Where::queued:
    case Placement::Where::stream:
      placement.pool->withdraw(exchange);
      break;
    case Placement::Where::http11:
      if (http11_) {
        http11_->cancel(exchange);
      }
      break;
    case Placement::Where::none:
      break;
  }
  placement = {};
  release_http11_slot(exchange);
}

void Engine::release_http11_slot(Exchange& exchange) {
  if (exchange.http11_slot.empty()) {
    return;
  }
  const auto it = http11_in_flight_.find(exchange.http11_slot);
  if (it != http11_in_flight_.end() && --it->second == 0) {
    http11_in_flight_.erase(it);
  }
  exchange.http11_slot.clear();
}

void Engine::finish(Exchange& exchange, std::error_code error, std::string detail) {
  if (exchange.finished) {
    return;
  }
  exchange.finished = true;
  exchange.deadline_timer.reset();
  exchange.signal.remove_listener(exchange.abort_token);
  withdraw(exchange);
  auto keep = find(exchange.id);
  exchanges_.erase(exchange.id);

  Result result;
  result.error = error;
  result.detail = std::move(detail);
  result.response = std::move(exchange.response);
  result.response.timings.total = since(exchange.started, scheduler_.now());
  if (result.response.url.empty()) {
    result.response.url = exchange.url.str();
  }
  ++(error ? stats_.requests_failed : stats_.requests_succeeded);
  if (error) {
    log(LogLevel::debug, "request " + std::to_string(exchange.id) + " failed: " + error.message() +
                             (result.detail.empty() ? "" : " (" + result.detail + ")"));
  }
  if (!exchange.handlers.on_complete) {
    return;
  }
  try {
    exchange.handlers.on_complete(std::move(result));
  } catch (...) {
    log(LogLevel::error, "on_complete handler threw; exception dropped");
  }
}

void Engine::on_origin_http11(const Url& origin, CloseReason reason) {
  const auto key = origin.origin();
  ++stats_.fallbacks;
  auto& origin_stats = stats_.origins[key];
  ++origin_stats.fallbacks;
  log(LogLevel::info, key + " is HTTP/1.1-only (" + to_string(reason) + ")");
  if (hooks_ != nullptr && !hooks_->remember_http11_origin()) {
    return;
  }
  http11_until_[key] = scheduler_.now() + options_.h1_cache_ttl;
  origin_stats.served_over_http11 = true;
}

void Engine::shutdown() {
  if (shut_down_) {
    return;
  }
  shut_down_ = true;
  std::vector<std::uint64_t> ids;
  ids.reserve(exchanges_.size());
  for (const auto& [id, exchange] : exchanges_) {
    ids.push_back(id);
  }
  for (auto id : ids) {
    if (auto exchange = find(id)) {
      finish(*exchange, make_error_code(errc::client_closed));
    }
  }
  for (auto& [origin, pool] : pools_) {
    pool->close_all();
  }
  if (http11_) {
    http11_->shutdown();
  }
}

Stats Engine::stats() const {
  Stats snapshot = stats_;
  snapshot.requests_pending = exchanges_.size();
  return snapshot;
}

}  // namespace faultline::transport::detail
