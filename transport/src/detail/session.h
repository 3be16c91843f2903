// The pool's view of one HTTP/2 session. The production session (h2_session) speaks
// TLS + nghttp2; unit tests implement it with a fake that is driven by hand.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <system_error>

#include "detail/exchange.h"
#include "detail/outcome.h"
#include "detail/url.h"
#include "faultline/transport/stats.h"

namespace faultline::transport::detail {

/** What a session reports to its pool. Called on the loop thread, never from inside a
    Session member the pool is calling (sessions defer their reports). */
class SessionEvents {
 public:
  virtual ~SessionEvents() = default;
  /** Handshake done, ALPN h2, and the server's first SETTINGS arrived. */
  virtual void on_session_ready(SessionId id, std::uint32_t max_concurrent_streams) = 0;
  /** A later SETTINGS frame; the server's current limit. */
  virtual void on_session_settings(SessionId id, std::uint32_t max_concurrent_streams) = 0;
  /** GOAWAY received: no new streams on this session. Streams above `last_stream_id`
      are reported as unprocessed by on_stream_closed. */
  virtual void on_session_goaway(SessionId id, std::int32_t last_stream_id,
                                 std::uint32_t error_code) = 0;
  /** A stream submitted by the pool ended (every submitted stream ends exactly once,
      before on_session_closed). */
  virtual void on_stream_closed(SessionId id, std::shared_ptr<Exchange> exchange,
                                std::uint32_t attempt, Outcome outcome) = 0;
  /** The session is gone (after or instead of on_session_ready). Reasons alpn_http11 and
      alpn_refused mean the origin is HTTP/1.1-only. */
  virtual void on_session_closed(SessionId id, CloseReason reason, std::error_code error,
                                 std::string detail) = 0;
};

/** One client session, owned by exactly one SessionPool. */
class Session {
 public:
  virtual ~Session() = default;
  /** Begins connecting; reports on_session_ready or on_session_closed. */
  virtual void start() = 0;
  /** Opens a stream for the exchange's current attempt and sets its placement's
      stream_id. False when the session can open no more streams (nothing was sent and
      no event will follow for it). */
  virtual bool submit(const std::shared_ptr<Exchange>& exchange) = 0;
  /** Resets the exchange's stream (RST_STREAM CANCEL); its on_stream_closed follows
      with Outcome::cancelled. */
  virtual void cancel(const Exchange& exchange) = 0;
  /** The exchange's consumer took the body it held back (Exchange::paused was cleared):
      credit the stream for the bytes it kept uncredited. */
  virtual void resume(const Exchange& exchange) { (void)exchange; }
  /** Sends GOAWAY(NO_ERROR) and closes once written. No event follows. */
  virtual void close() = 0;
  /** A request timed out on this session: make sure the peer still answers (h2: a PING
      that must be acknowledged within Options::ping_timeout, else the session ends with
      CloseReason::ping_timeout). */
  virtual void check_alive() {}
};

/** Creates a session for `origin`; it reports to `events` under `id`. */
using SessionFactory =
    std::function<std::unique_ptr<Session>(const Url& origin, SessionId id, SessionEvents& events)>;

}  // namespace faultline::transport::detail
