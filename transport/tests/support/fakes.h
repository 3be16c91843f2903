// Test doubles for the transport's core: a manual clock, a hand-driven h2 session and
// an HTTP/1.1 backend that answers from a script. No sockets, no threads.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "detail/exchange.h"
#include "detail/http11_backend.h"
#include "detail/scheduler.h"
#include "detail/session.h"

namespace faultline::transport::testing_support {

using detail::Exchange;
using detail::Outcome;
using detail::Scheduler;
using detail::SessionId;

/** A Scheduler whose time moves only when the test says so. */
class ManualScheduler final : public Scheduler {
 public:
  [[nodiscard]] Clock::time_point now() const override { return now_; }
  TimerId schedule(Clock::time_point at, std::function<void()> fn) override;
  void cancel(TimerId id) noexcept override;
  void post(std::function<void()> fn) override;

  /** Runs posted functions until none is left; returns how many ran. */
  std::size_t run_posted();
  /** Moves time forward, firing due timers in time order (and posted work after each). */
  void advance(Clock::duration by);
  [[nodiscard]] std::size_t pending_timers() const { return timers_.size(); }

 private:
  Clock::time_point now_ = Clock::time_point{} + std::chrono::hours(1);
  TimerId next_ = 1;
  std::map<std::pair<Clock::time_point, TimerId>, std::function<void()>> timers_;
  std::map<TimerId, Clock::time_point> index_;
  std::mutex posted_mutex_;
  std::deque<std::function<void()>> posted_;
};

/** A session the test drives: it records what the pool asks and emits what the test
    says. Owned by the factory (the pool owns a forwarding handle), so pointers to it
    stay valid for the whole test. */
class FakeSession {
 public:
  struct Stream {
    std::shared_ptr<Exchange> exchange;
    std::uint32_t attempt = 0;
  };

  FakeSession(detail::Url origin, SessionId id, detail::SessionEvents& events, Scheduler& scheduler)
      : origin(std::move(origin)), id(id), events_(events), scheduler_(scheduler) {}

  // What the pool calls (through the handle).
  void start() { started = true; }
  bool submit(const std::shared_ptr<Exchange>& exchange);
  void cancel(const Exchange& exchange);
  void close() { closed = true; }
  void check_alive() { ++alive_checks; }

  // Driving it from the test.
  void ready(std::uint32_t max_streams) {
    limit = max_streams;
    events_.on_session_ready(id, max_streams);
  }
  void settings(std::uint32_t max_streams) {
    limit = max_streams;
    events_.on_session_settings(id, max_streams);
  }
  /** Answers stream `stream` with a full response and closes it. */
  void respond(std::int32_t stream, int status, const std::string& body = {}, Headers headers = {});
  /** Answers the oldest open stream. */
  void respond_first(int status = 200, const std::string& body = {});
  void refuse(std::int32_t stream);
  void reset(std::int32_t stream, const std::string& code = "INTERNAL_ERROR");
  /** GOAWAY: streams above `last_stream_id` end unprocessed; the rest stay open. */
  void goaway(std::int32_t last_stream_id, std::uint32_t error_code = 0);
  /** Connection lost: open streams fail (never-sent ones would be unprocessed); with
      `before_response`, as streams that had no byte of their response yet. */
  void lose(bool before_response = false);
  /** Its health check went unanswered: it ends as the real session does at the PING's
      deadline (CloseReason::ping_timeout); its open streams, none answered yet, end as
      lost before any response (retried when idempotent). */
  void fail_health_check();
  /** RST_STREAM(HTTP_1_1_REQUIRED) on `stream`, as the real session reports it. */
  void require_http11(std::int32_t stream);
  /** The handshake failed (or negotiated http/1.1 with reason alpn_http11). */
  void fail_connect(CloseReason reason, transport::errc error = transport::errc::connect_failed);
  /** The body the exchange of `stream` sends now (replays from the start). */
  std::string read_body(std::int32_t stream);

  [[nodiscard]] std::size_t open_streams() const { return streams.size(); }

  detail::Url origin;
  SessionId id;
  bool started = false;
  bool closed = false;
  bool refuse_submit = false;
  bool gone = false;                 ///< lost, failed to connect, or sent GOAWAY
  std::uint32_t limit = UINT32_MAX;  ///< the server limit this session announced last
  bool over_limit = false;           ///< a stream was submitted at or above `limit`
  std::map<std::int32_t, Stream> streams;
  std::vector<std::int32_t> cancelled;
  std::size_t submitted = 0;
  std::size_t alive_checks = 0;  ///< check_alive() calls (health checks asked by the pool)

 private:
  /** The session ends for `reason`: its open streams fail (as lost before any response
      with `before_response`), then it closes. */
  void end(CloseReason reason, const std::string& why, bool before_response);

  detail::SessionEvents& events_;
  Scheduler& scheduler_;
  std::int32_t next_stream_ = 1;
};

/** Creates FakeSessions, keeps them, and hands the pool forwarding handles. */
class FakeSessionFactory {
 public:
  explicit FakeSessionFactory(Scheduler& scheduler) : scheduler_(scheduler) {}
  detail::SessionFactory factory();
  /** Sessions in creation order. */
  std::vector<FakeSession*> sessions;
  /** Sessions not closed by the pool. */
  [[nodiscard]] std::vector<FakeSession*> live() const;

 private:
  Scheduler& scheduler_;
  std::vector<std::unique_ptr<FakeSession>> owned_;
};

/** An HTTP/1.1 backend that records started attempts; the test answers them. */
class FakeHttp11 final : public detail::Http11Backend {
 public:
  explicit FakeHttp11(Scheduler& scheduler) : scheduler_(scheduler) {}
  void start(const std::shared_ptr<Exchange>& exchange) override;
  void cancel(Exchange& exchange) override;
  void shutdown() override { transfers.clear(); }

  /** Answers the oldest transfer. */
  void respond_first(int status, const std::string& body = {}, Headers headers = {});
  std::deque<std::pair<std::shared_ptr<Exchange>, std::uint32_t>> transfers;
  std::size_t started = 0;
  std::size_t cancelled = 0;

 private:
  Scheduler& scheduler_;
};

}  // namespace faultline::transport::testing_support
