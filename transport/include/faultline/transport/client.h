// The pooled HTTP/2 client with its HTTP/1.1 fallback.
#pragma once

#include <cstdint>
#include <future>
#include <memory>

#include "faultline/transport/errors.h"
#include "faultline/transport/http.h"
#include "faultline/transport/options.h"
#include "faultline/transport/request.h"
#include "faultline/transport/response.h"
#include "faultline/transport/stats.h"

namespace faultline::transport {

namespace detail {
struct ClientAccess;
}

/** Identifies a request sent through a Client; valid for Client::abort, pause, resume. */
using RequestId = std::uint64_t;

/** An HTTP client: per origin, a pool of HTTP/2 sessions over TLS (ALPN h2), falling
    back to HTTP/1.1 (libcurl) for origins that do not speak h2.

    Threading: owns one I/O thread and runs every protocol step on it. Every public
    member is thread safe and returns at once; results arrive by callback (on the I/O
    thread) or future. No exception crosses the asynchronous API: failures arrive as
    Result::error in transport_category().

    Ownership: the destructor fails every pending request with errc::client_closed
    (their completions run before it returns), closes all sessions and joins the thread.
    Do not destroy a Client from one of its own callbacks. */
class Client {
 public:
  /** Starts the I/O thread. Throws std::invalid_argument on unusable options (e.g. zero
      sessions, an unreadable CA file). */
  explicit Client(Options options = {});
  ~Client();
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /** Sends `request`; `handlers.on_complete` runs exactly once. An invalid request
      completes with errc::invalid_request (asynchronously, like every completion). */
  RequestId send(Request request, Handlers handlers);

  /** Sends `request` and buffers the body into the result. */
  [[nodiscard]] std::future<Result> send(Request request);

  /** Aborts the request as its abort signal would (errc::aborted); no-op when it already
      completed. */
  void abort(RequestId id);

  /** Receive backpressure: stops handing the response body of request `id` to its
      on_data handler (or to the buffered body) until resume(id). Over HTTP/2 the
      stream's flow-control window is credited only for bytes the consumer has taken, so
      the server stops sending once the window is used up; the transport holds at most
      that window (Options: 4 MiB per stream) for a paused stream while its siblings on
      the same connection keep flowing. Over HTTP/1.1 the transfer pauses
      (curl_easy_pause) and the connection stops reading. The request's deadline keeps
      running; abort works as usual. A completion that arrives while paused waits for
      resume(). No-op for an unknown or completed id; pausing twice is pausing once. */
  void pause(RequestId id);

  /** Ends a pause(id): held bytes reach on_data first (in order), then the window is
      credited and the body flows again. No-op when not paused. */
  void resume(RequestId id);

  /** A snapshot of the transport's counters. Callable from any thread, including the
      transport's own callbacks. */
  [[nodiscard]] Stats stats() const;

  [[nodiscard]] const Options& options() const noexcept;

 private:
  friend struct detail::ClientAccess;
  struct Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace faultline::transport
