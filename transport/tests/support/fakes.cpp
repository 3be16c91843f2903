#include "support/fakes.h"

namespace faultline::transport::testing_support {

Scheduler::TimerId ManualScheduler::schedule(Clock::time_point at, std::function<void()> fn) {
  const TimerId id = next_++;
  timers_.emplace(std::make_pair(at, id), std::move(fn));
  index_.emplace(id, at);
  return id;
}

void ManualScheduler::cancel(TimerId id) noexcept {
  const auto it = index_.find(id);
  if (it == index_.end()) {
    return;
  }
  timers_.erase({it->second, id});
  index_.erase(it);
}

void ManualScheduler::post(std::function<void()> fn) {
  std::lock_guard lock(posted_mutex_);
  posted_.push_back(std::move(fn));
}

std::size_t ManualScheduler::run_posted() {
  std::size_t ran = 0;
  for (;;) {
    std::function<void()> fn;
    {
      std::lock_guard lock(posted_mutex_);
      if (posted_.empty()) {
        return ran;
      }
      fn = std::move(posted_.front());
      posted_.pop_front();
    }
    fn();
    ++ran;
  }
}

void ManualScheduler::advance(Clock::duration by) {
  const auto until = now_ + by;
  run_posted();
  while (!timers_.empty() && timers_.begin()->first.first <= until) {
    auto node = timers_.extract(timers_.begin());
    index_.erase(node.key().second);
    now_ = std::max(now_, node.key().first);
    node.mapped()();
    run_posted();
  }
  now_ = until;
}

bool FakeSession::submit(const std::shared_ptr<Exchange>& exchange) {
  if (refuse_submit || closed) {
    return false;
  }
  if (streams.size() >= limit) {
    over_limit = true;
  }
  const auto stream = next_stream_;
  next_stream_ += 2;
  exchange->placement.stream_id = stream;
  streams[stream] = {exchange, exchange->attempt};
  ++submitted;
  return true;
}

void FakeSession::cancel(const Exchange& exchange) {
  const auto stream = exchange.placement.stream_id;
  cancelled.push_back(stream);
  auto it = streams.find(stream);
  if (it == streams.end()) {
    return;
  }
  auto closed_stream = it->second;
  streams.erase(it);
  // Like the real session: the RST goes out, then the close is reported from the loop.
  scheduler_.post([this, closed_stream] {
    events_.on_stream_closed(id, closed_stream.exchange, closed_stream.attempt,
                             Outcome::cancelled_by_us());
  });
}

void FakeSession::respond(std::int32_t stream, int status, const std::string& body,
                          Headers headers) {
  auto node = streams.extract(stream);
  if (node.empty()) {
    return;
  }
  auto& s = node.mapped();
  s.exchange->on_head(s.attempt, status, std::move(headers), Protocol::http2);
  if (!body.empty()) {
    s.exchange->on_data(s.attempt, body);
  }
  events_.on_stream_closed(id, s.exchange, s.attempt, Outcome::completed_ok());
}

void FakeSession::respond_first(int status, const std::string& body) {
  if (!streams.empty()) {
    respond(streams.begin()->first, status, body);
  }
}

void FakeSession::refuse(std::int32_t stream) {
  auto node = streams.extract(stream);
  if (node.empty()) {
    return;
  }
  events_.on_stream_closed(
      id, node.mapped().exchange, node.mapped().attempt,
      Outcome::unprocessed_because(errc::stream_reset, "RST_STREAM REFUSED_STREAM", true));
}

void FakeSession::reset(std::int32_t stream, const std::string& code) {
  auto node = streams.extract(stream);
  if (node.empty()) {
    return;
  }
  events_.on_stream_closed(id, node.mapped().exchange, node.mapped().attempt,
                           Outcome::failed_with(errc::stream_reset, "RST_STREAM " + code));
}

void FakeSession::require_http11(std::int32_t stream) {
  auto node = streams.extract(stream);
  if (node.empty()) {
    return;
  }
  events_.on_stream_closed(id, node.mapped().exchange, node.mapped().attempt,
                           Outcome::http11_required_by_server("RST_STREAM HTTP_1_1_REQUIRED"));
}

void FakeSession::goaway(std::int32_t last_stream_id, std::uint32_t error_code) {
  gone = true;
  events_.on_session_goaway(id, last_stream_id, error_code);
  std::vector<std::int32_t> above;
  for (const auto& [stream, s] : streams) {
    if (stream > last_stream_id) {
      above.push_back(stream);
    }
  }
  for (auto stream : above) {
    auto node = streams.extract(stream);
    events_.on_stream_closed(
        id, node.mapped().exchange, node.mapped().attempt,
        Outcome::unprocessed_because(errc::session_lost, "above GOAWAY last-stream-id", false));
  }
}

void FakeSession::lose(bool before_response) {
  end(CloseReason::peer_closed, "connection reset", before_response);
}

void FakeSession::fail_health_check() {
  end(CloseReason::ping_timeout, "PING not acknowledged", true);
}

void FakeSession::end(CloseReason reason, const std::string& why, bool before_response) {
  refuse_submit = true;  // a dying session takes no stream, as the real one
  gone = true;
  auto open = std::move(streams);
  streams.clear();
  for (auto& [stream, s] : open) {
    events_.on_stream_closed(id, s.exchange, s.attempt,
                             before_response ? Outcome::lost_before_any_response(why)
                                             : Outcome::failed_with(errc::session_lost, why));
  }
  events_.on_session_closed(id, reason, make_error_code(errc::session_lost), why);
}

void FakeSession::fail_connect(CloseReason reason, transport::errc error) {
  gone = true;
  events_.on_session_closed(id, reason, make_error_code(error), "fake handshake failure");
}

std::string FakeSession::read_body(std::int32_t stream) {
  auto& exchange = *streams.at(stream).exchange;
  exchange.rewind_body();
  std::string out;
  char buffer[7];  // odd size: exercises chunking
  for (;;) {
    const auto r = exchange.read_body(buffer);
    out.append(buffer, r.size);
    if (r.end || r.failed || r.size == 0) {
      return out;
    }
  }
}

namespace {

/** What the pool owns: forwards to the factory-owned FakeSession. */
class FakeSessionHandle final : public detail::Session {
 public:
  explicit FakeSessionHandle(FakeSession& fake) : fake_(fake) {}
  void start() override { fake_.start(); }
  bool submit(const std::shared_ptr<Exchange>& exchange) override { return fake_.submit(exchange); }
  void cancel(const Exchange& exchange) override { fake_.cancel(exchange); }
  void close() override { fake_.close(); }
  void check_alive() override { fake_.check_alive(); }

 private:
  FakeSession& fake_;
};

}  // namespace

detail::SessionFactory FakeSessionFactory::factory() {
  return [this](const detail::Url& origin, SessionId id,
                detail::SessionEvents& events) -> std::unique_ptr<detail::Session> {
    owned_.push_back(std::make_unique<FakeSession>(origin, id, events, scheduler_));
    sessions.push_back(owned_.back().get());
    return std::make_unique<FakeSessionHandle>(*owned_.back());
  };
}

std::vector<FakeSession*> FakeSessionFactory::live() const {
  std::vector<FakeSession*> out;
  for (auto* s : sessions) {
    if (!s->closed) {
      out.push_back(s);
    }
  }
  return out;
}

void FakeHttp11::start(const std::shared_ptr<Exchange>& exchange) {
  ++started;
  transfers.emplace_back(exchange, exchange->attempt);
}

void FakeHttp11::cancel(Exchange& exchange) {
  ++cancelled;
  std::erase_if(transfers, [&](const auto& t) { return t.first.get() == &exchange; });
}

void FakeHttp11::respond_first(int status, const std::string& body, Headers headers) {
  if (transfers.empty()) {
    return;
  }
  auto [exchange, attempt] = transfers.front();
  transfers.pop_front();
  exchange->placement = {};
  exchange->on_head(attempt, status, std::move(headers), Protocol::http11);
  if (!body.empty()) {
    exchange->on_data(attempt, body);
  }
  exchange->on_attempt_end(attempt, Outcome::completed_ok());
}

}  // namespace faultline::transport::testing_support
