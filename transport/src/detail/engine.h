// The transport's brain on the loop thread: validates requests, routes each attempt
// to an h2 pool or the HTTP/1.1 backend, applies deadlines, aborts, retries and
// redirects (once, above both protocols), remembers HTTP/1.1-only origins, keeps stats.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "detail/exchange.h"
#include "detail/hooks.h"
#include "detail/http11_backend.h"
#include "detail/scheduler.h"
#include "detail/session.h"
#include "detail/session_pool.h"
#include "faultline/transport/options.h"
#include "faultline/transport/stats.h"

namespace faultline::transport::detail {

/** Owns every exchange, every pool and the HTTP/1.1 backend of one Client. Loop thread
    only (abort listeners excepted: they only post). `hooks` (test builds only, else
    null) must outlive the engine. */
class Engine final : public PoolListener {
 public:
  Engine(Options options, Scheduler& scheduler, SessionFactory sessions, Hooks* hooks = nullptr);
  ~Engine() override;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  /** Installs the HTTP/1.1 backend (it usually needs counters() to exist first). */
  void set_http11_backend(std::unique_ptr<Http11Backend> backend);

  /** Starts a request; its completion runs exactly once. */
  void start(std::uint64_t id, Request request, Handlers handlers);
  /** Aborts a pending request (errc::aborted); unknown ids are ignored. */
  void abort(std::uint64_t id);
  /** Receive backpressure (Client::pause/resume); unknown ids are ignored. */
  void pause(std::uint64_t id);
  void resume(std::uint64_t id);
  /** Fails every pending request with errc::client_closed and closes every session. */
  void shutdown();

  [[nodiscard]] Stats stats() const;
  /** The live counters, for pools and backends to update. */
  [[nodiscard]] Stats& counters() noexcept { return stats_; }
  [[nodiscard]] const Options& options() const noexcept { return options_; }
  [[nodiscard]] Scheduler& scheduler() noexcept { return scheduler_; }
  /** The test-only hook points; nullptr in a production Client. */
  [[nodiscard]] Hooks* hooks() const noexcept { return hooks_; }
  void log(LogLevel level, std::string_view text) const;

  // From exchanges (see Exchange).
  void on_informational(Exchange& exchange, std::uint32_t attempt, int status, Headers headers,
                        Protocol protocol);
  void on_head(Exchange& exchange, std::uint32_t attempt, int status, Headers headers,
               Protocol protocol);
  void on_data(Exchange& exchange, std::uint32_t attempt, std::string_view chunk);
  void on_trailers(Exchange& exchange, std::uint32_t attempt, Headers trailers);
  void on_attempt_end(Exchange& exchange, std::uint32_t attempt, Outcome outcome);

  // PoolListener
  void on_origin_http11(const Url& origin, CloseReason reason) override;

 private:
  void dispatch(const std::shared_ptr<Exchange>& exchange, bool front);
  [[nodiscard]] bool use_http11(const Exchange& exchange);
  SessionPool& pool_for(const Url& origin);
  void retry_or_fail(const std::shared_ptr<Exchange>& exchange, const Outcome& outcome);
  /** RFC 9110 section 9.2.2: an idempotent request with a replayable body whose
      connection closed before any response byte is sent once more. */
  [[nodiscard]] bool may_replay_after_loss(const Exchange& exchange) const;
  void follow_redirect(const std::shared_ptr<Exchange>& exchange);
  /** Hands one body chunk to the on_data handler, or appends it to the response. */
  void deliver(Exchange& exchange, std::string_view chunk);
  /** Tells the session or backend carrying the attempt that its consumer is back. */
  void notify_resumed(Exchange& exchange);
  void withdraw(Exchange& exchange);
  void release_http11_slot(Exchange& exchange);
  void finish(Exchange& exchange, std::error_code error, std::string detail = {});
  void on_deadline(std::uint64_t id);
  void fail_by_signal(std::uint64_t id, errc why);
  [[nodiscard]] std::shared_ptr<Exchange> find(std::uint64_t id) const;

  Options options_;
  Scheduler& scheduler_;
  SessionFactory sessions_;
  Hooks* hooks_;
  PoolConfig pool_config_;
  Stats stats_;  // before the pools and the backend: they update it while they close
  std::unique_ptr<Http11Backend> http11_;
  std::unordered_map<std::uint64_t, std::shared_ptr<Exchange>> exchanges_;
  std::map<std::string, std::unique_ptr<SessionPool>> pools_;
  std::map<std::string, Scheduler::Clock::time_point> http11_until_;  ///< negative cache of h2
  /** HTTP/1.1 attempts in flight per origin (libcurl queues them; we bound them like the
      h2 pool: max_sessions + queue_limit). */
  std::map<std::string, std::size_t> http11_in_flight_;
  bool shut_down_ = false;
};

}  // namespace faultline::transport::detail
