// The per-origin pool of HTTP/2 sessions: queueing, stream slots, draining, retries'
// re-entry, replacement sessions, idle reaping. Pure logic over the Session interface.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <system_error>
#include <vector>

#include "detail/exchange.h"
#include "detail/hooks.h"
#include "detail/scheduler.h"
#include "detail/session.h"
#include "detail/url.h"
#include "faultline/transport/stats.h"

namespace faultline::transport::detail {

/** The shape of every pool of one Client. */
struct PoolConfig {
  std::size_t max_sessions = 4;
  std::uint32_t stream_cap = 100;
  std::size_t queue_limit = 65536;
  std::chrono::milliseconds idle_timeout{60'000};
  Hooks* hooks = nullptr;  ///< test-only hook points (detail/hooks.h); null in production
};

/** What a pool tells its owner besides per-exchange outcomes. */
class PoolListener {
 public:
  virtual ~PoolListener() = default;
  /** A session found the origin HTTP/1.1-only (negotiated http/1.1 or refused h2). */
  virtual void on_origin_http11(const Url& origin, CloseReason reason) = 0;
};

/** Sessions and the wait queue of one origin. Owns its sessions (one owner each).
    Loop thread only; no locks.

    Invariants: a session still connecting counts towards max_sessions; a draining
    session (GOAWAY) takes no new stream and does not count; streams on a session never
    exceed min(stream_cap, the server's latest SETTINGS_MAX_CONCURRENT_STREAMS); a
    queued exchange leaves the queue the moment withdraw() is called. */
class SessionPool final : public SessionEvents {
 public:
  SessionPool(Url origin, PoolConfig config, SessionFactory factory, Scheduler& scheduler,
              PoolListener& listener, Stats& stats);
  ~SessionPool() override;
  SessionPool(const SessionPool&) = delete;
  SessionPool& operator=(const SessionPool&) = delete;

  /** Queues the exchange's new attempt (at the front for a retry) and dispatches.
      errc::queue_full when it would wait behind queue_limit others. */
  std::error_code submit(const std::shared_ptr<Exchange>& exchange, bool front);
  /** Takes the exchange's attempt back: out of the queue at once, or its stream reset. */
  void withdraw(Exchange& exchange);
  /** The exchange's stream may be credited again (Engine::resume). */
  void resume(const Exchange& exchange);
  /** Closes every session (client shutdown). The queue must be empty. */
  void close_all();
  /** A request timed out on session `id`: the session checks its peer still answers. */
  void check_session(SessionId id);

  [[nodiscard]] std::size_t queue_depth() const noexcept { return queue_.size(); }
  /** Sessions connecting, ready or draining. */
  [[nodiscard]] std::size_t session_count() const noexcept { return entries_.size(); }
  [[nodiscard]] const Url& origin() const noexcept { return origin_; }

  // SessionEvents
  void on_session_ready(SessionId id, std::uint32_t max_concurrent_streams) override;
  void on_session_settings(SessionId id, std::uint32_t max_concurrent_streams) override;
  void on_session_goaway(SessionId id, std::int32_t last_stream_id,
                         std::uint32_t error_code) override;
  void on_stream_closed(SessionId id, std::shared_ptr<Exchange> exchange, std::uint32_t attempt,
                        Outcome outcome) override;
  void on_session_closed(SessionId id, CloseReason reason, std::error_code error,
                         std::string detail) override;

 private:
  /** Lifecycle of one session in the pool. */
  enum class State {
    connecting,  ///< TCP/TLS/first SETTINGS under way; counts towards the limit
    ready,       ///< takes streams up to its limit
    draining,    ///< GOAWAY seen (or no more stream ids): finishing its streams only
  };
  struct Entry {
    std::unique_ptr<Session> session;
    State state = State::connecting;
    std::uint32_t server_limit = UINT32_MAX;  ///< the server's current SETTINGS value
    std::uint32_t active = 0;                 ///< streams submitted and not yet closed
    std::uint64_t completed = 0;              ///< streams that completed normally
    bool goaway = false;                      ///< draining because of GOAWAY (we close it)
    std::uint64_t opened_in_round = 0;        ///< fruitless_round_ when it was opened
    ScopedTimer idle_timer;
  };

  using Entries = std::map<SessionId, Entry>;

  void dispatch();
  void maybe_open_sessions();
  void open_session();
  Entries::iterator pick_session();
  [[nodiscard]] std::uint32_t limit_of(const Entry& entry) const noexcept;
  void start_stream(SessionId id, Entry& entry, std::shared_ptr<Exchange> exchange);
  void enqueue(const std::shared_ptr<Exchange>& exchange, bool front);
  std::shared_ptr<Exchange> dequeue_front();
  void fail_queue(const Outcome& outcome);
  void arm_idle(SessionId id, Entry& entry);
  void on_idle(SessionId id);
  /** Removes the entry; its session is destroyed later (never inside its own call). */
  void retire(SessionId id, CloseReason reason);
  [[nodiscard]] bool has_live_sessions() const noexcept;
  /** Whether lost_without_serving may fail the waiters (a test hook can turn it off). */
  [[nodiscard]] bool bound_fruitless() const;
  /** A session opened in `opened_in_round` was lost without serving while requests wait.
      It counts unless a loss since it opened already did: sessions opened together and
      lost together (every connection reset at once) are one round, not one per session.
      True when that makes kMaxFruitlessSessions rounds in a row (the waiters must fail). */
  [[nodiscard]] bool lost_without_serving(std::uint64_t opened_in_round);

  Url origin_;
  PoolConfig config_;
  SessionFactory factory_;
  Scheduler& scheduler_;
  PoolListener& listener_;
  Stats& stats_;
  OriginStats& origin_stats_;

  Entries entries_;
  ExchangeQueue queue_;
  std::vector<std::unique_ptr<Session>> graveyard_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  SessionId next_id_ = 1;
  bool known_h2_ = false;  ///< a session of this origin reached ready
  std::optional<std::uint32_t> last_server_limit_;
  std::uint32_t fruitless_ = 0;  ///< rounds of sessions lost in a row without a completed stream
  std::uint64_t fruitless_round_ = 0;  ///< losses counted so far (never reset)
};

}  // namespace faultline::transport::detail
