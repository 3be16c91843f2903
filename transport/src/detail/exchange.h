// One request as it moves through queues, sessions, retries and redirects.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "detail/outcome.h"
#include "detail/scheduler.h"
#include "detail/url.h"
#include "faultline/transport/request.h"
#include "faultline/transport/response.h"

namespace faultline::transport::detail {

class Engine;
class Hooks;
class SessionPool;
class Exchange;

using SessionId = std::uint64_t;
using ExchangeQueue = std::list<std::shared_ptr<Exchange>>;

/** Where the current attempt of an exchange is. */
struct Placement {
  enum class Where {
    none,    ///< between attempts (or finished)
    queued,  ///< waiting in `pool`'s queue at `queue_it`
    stream,  ///< an h2 stream `stream_id` on session `session` of `pool`
    http11,  ///< a transfer of the HTTP/1.1 backend
  };
  Where where = Where::none;
  SessionPool* pool = nullptr;
  ExchangeQueue::iterator queue_it{};
  SessionId session = 0;
  std::int32_t stream_id = 0;
};

/** One request from send() to its single completion. Owned by the Engine (shared with
    the session or queue that holds its current attempt); loop thread only.

    Protocol layers call the on_* members with the attempt number they were given;
    events of an older attempt (after a retry or redirect) are ignored. */
class Exchange {
 public:
  Exchange(Engine& engine, std::uint64_t id, Request request, Url url, Handlers handlers);

  const std::uint64_t id;
  // The request as it is sent now (redirects change it).
  std::string method;
  Url url;
  Headers headers;
  Body body;
  RedirectMode redirect_mode;
  std::uint32_t max_redirects;
  AbortSignal signal;
  std::uint64_t abort_token = 0;
  Handlers handlers;

  Scheduler::Clock::time_point started{};
  std::optional<Scheduler::Clock::time_point> deadline;
  ScopedTimer deadline_timer;

  std::uint32_t attempt = 0;  ///< increases with every dispatch
  Placement placement;
  bool finished = false;
  bool head_delivered = false;
  bool force_http11 = false;          ///< the next attempt goes to HTTP/1.1 whatever the cache says
  bool replayed_after_loss = false;   ///< sent again once after its connection was lost
  bool replay_after_attempt = false;  ///< a hook dropped this attempt's head: send again
  std::string http11_slot;            ///< origin whose HTTP/1.1 in-flight count this attempt holds
  std::optional<std::pair<int, std::string>> pending_redirect;  ///< status, Location
  Response response;
  /** Receive backpressure: body chunks are held, not delivered (Client::pause). */
  bool paused = false;
  /** Body bytes that arrived while paused, delivered on resume. */
  std::string held;
  /** The attempt's end, when it came while paused: handled on resume. */
  std::optional<Outcome> parked_end;

  /** Next bytes of the request body for the current attempt. A pull source with a
      declared length is held to it: more bytes than declared, or its end before, fail
      (`failed`, with body_error() saying which) and nothing beyond the length is given
      out. */
  PullResult read_body(std::span<char> buffer);
  /** The engine's test-only hook points; nullptr in a production Client. */
  [[nodiscard]] Hooks* hooks() const noexcept;
  /** Why read_body() failed, when it was the declared length; empty otherwise. */
  [[nodiscard]] const std::string& body_error() const noexcept { return body_error_; }
  /** The body can be sent again (bytes, or a pull source never read). */
  [[nodiscard]] bool body_replayable() const noexcept { return body.replayable() || !body_pulled_; }
  /** Rewinds the body for a new attempt. */
  void rewind_body() noexcept {
    body_offset_ = 0;
    body_ended_ = false;
    body_error_.clear();
  }

  void on_informational(std::uint32_t attempt, int status, Headers headers, Protocol protocol);
  void on_head(std::uint32_t attempt, int status, Headers headers, Protocol protocol);
  void on_data(std::uint32_t attempt, std::string_view chunk);
  void on_trailers(std::uint32_t attempt, Headers trailers);
  void on_attempt_end(std::uint32_t attempt, Outcome outcome);

 private:
  PullResult read_declared(std::span<char> buffer, std::uint64_t declared);
  PullResult read_next(std::span<char> buffer);

  Engine& engine_;
  std::uint64_t body_offset_ = 0;  ///< bytes given out: of the data, or pulled from the source
  bool body_pulled_ = false;
  bool body_ended_ = false;  ///< read_body gave out the body's end in this attempt
  std::string body_error_;
};

}  // namespace faultline::transport::detail
