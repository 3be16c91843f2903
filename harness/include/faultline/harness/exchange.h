// One request's exchange with a driver: the request, the events it produced, and waits.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "faultline/harness/deadline.h"

namespace faultline::harness {

/** Header fields in arrival order; names as the driver reported them (lower case over h2). */
using Headers = std::vector<std::pair<std::string, std::string>>;

/** The value of the first field named `name` (case-insensitive), if any. */
[[nodiscard]] std::optional<std::string> find_header(const Headers& headers, std::string_view name);

/** What a driver does with a 3xx response that carries a Location (Fetch's modes). */
enum class RedirectMode {
  follow,  ///< follow up to kMaxRedirects, the caller sees the final response
  manual,  ///< hand the 3xx response to the caller
  error,   ///< fail the request with a network error
};

/** A request as the conformance suite asks a driver to make it. */
struct Request {
  std::uint64_t id = 0;  ///< unique per driver; 0 = let the driver pick one
  std::string method = "GET";
  std::string url;  ///< absolute http:// or https:// URL
  Headers headers;
  std::optional<std::string> body;  ///< bytes; nullopt = no body at all
  /** The driver hands `body` to its transport as a stream it cannot replay (a pull
      source, a readable stream), not as bytes in memory. */
  bool body_stream = false;
  /** With `body`: send it from a streamed source that declares this length (its
      Content-Length) whatever the bytes' real size - a source that may lie. Only for a
      driver whose hello declares capabilities.declared_length_bodies. */
  std::optional<std::uint64_t> body_declared_length;
  std::uint32_t timeout_ms = 0;  ///< whole-exchange deadline inside the driver; 0 = none
  RedirectMode redirect = RedirectMode::follow;
  /** The caller reads the body slowly: at least this many milliseconds between taking
      one body chunk and the next (docs/driver-protocol.md, read_delay_ms); 0 = at once. */
  std::uint32_t read_delay_ms = 0;
};

/** How a request failed, as the driver classified it. */
enum class ErrorKind {
  aborted,   ///< aborted by the caller
  timeout,   ///< its timeout_ms expired (queued or in flight)
  network,   ///< connect, TLS, reset, a redirect refused by mode "error", too many redirects
  protocol,  ///< the peer violated HTTP (malformed frames, stream errors the driver reports)
  other,     ///< anything else the driver reports
  driver,    ///< not the transport: the driver itself broke (crash, protocol violation)
};

[[nodiscard]] std::string_view to_string(ErrorKind kind) noexcept;
[[nodiscard]] std::optional<ErrorKind> parse_error_kind(std::string_view text) noexcept;
[[nodiscard]] std::string_view to_string(RedirectMode mode) noexcept;

/** One event of a request, in the order the driver produced them. */
struct Event {
  enum class Type {
    informational,  ///< a 1xx head (status and fields), before headers
    headers,        ///< the final response's status and header fields
    data,           ///< a chunk of the response body
    end,            ///< the response completed (terminal)
    error,          ///< the request failed (terminal)
  };
  Type type = Type::end;
  double t_ms = 0;  ///< milliseconds since the driver received the request
  // headers
  int status = 0;
  Headers headers;
  std::string protocol;  ///< "h2", "http/1.1" or "" when the driver does not say
  // data
  std::string data;
  // end: the trailer fields after the body (empty when there were none or the driver
  // cannot report them; DriverCapabilities::trailers says which)
  Headers trailers;
  // error
  ErrorKind kind = ErrorKind::other;
  std::string message;

  [[nodiscard]] bool terminal() const noexcept { return type == Type::end || type == Type::error; }
};

[[nodiscard]] std::string_view to_string(Event::Type type) noexcept;

/** Everything seen of one request so far, aggregated. */
struct Response {
  /** The 1xx heads reported before the final one, in order. */
  std::vector<std::pair<int, Headers>> informational;
  bool has_headers = false;
  int status = 0;
  Headers headers;
  std::string protocol;
  std::string body;
  std::size_t data_events = 0;
  /** When the first and the last data event arrived (both 0 while data_events is 0). */
  double first_data_ms = 0, last_data_ms = 0;
  Headers trailers;            ///< from the end event
  bool ended = false;          ///< an end event arrived
  std::optional<Event> error;  ///< the error event, if it failed
  double headers_ms = 0, done_ms = 0;

  [[nodiscard]] bool done() const noexcept { return ended || error.has_value(); }
  /** One line: "200 h2, 3 data events (1024 bytes), end at 12.3 ms" or the error. */
  [[nodiscard]] std::string describe() const;
};

/** The result of a wait: whether it got what it waited for, a description of what it saw
    (for a test's failure message), and the response as far as it got. Converts to bool;
    faultline/harness/gtest.h turns it into a ::testing::AssertionResult. */
struct WaitResult {
  bool ok = false;
  std::string description;
  Response response;
  explicit operator bool() const noexcept { return ok; }
};

/** The result of next(): the event, or why there is none. */
struct NextResult {
  std::optional<Event> event;
  std::string description;
  explicit operator bool() const noexcept { return event.has_value(); }
};

/** The event stream of one request. Drivers push events from their own threads; tests wait
    from theirs (thread-safe). Events after a terminal one are a driver fault, dropped
    here (the driver reports the fault). Shared between the driver and the caller. */
class Exchange {
 public:
  explicit Exchange(Request request);

  [[nodiscard]] std::uint64_t id() const noexcept { return request_.id; }
  [[nodiscard]] const Request& request() const noexcept { return request_; }

  /** Appends an event; false (and ignored) once the exchange is done. */
  bool push(Event event);

  /** The next event not yet returned by next(), waiting until the deadline. */
  [[nodiscard]] NextResult next(Deadline deadline);
  /** Waits for the headers event (or a terminal one, which fails the wait). */
  [[nodiscard]] WaitResult wait_headers(Deadline deadline);
  /** Waits for at least `bytes` body bytes in total. */
  [[nodiscard]] WaitResult wait_body(std::size_t bytes, Deadline deadline);
  /** Waits for a terminal event; ok when the request ended without error. */
  [[nodiscard]] WaitResult wait_done(Deadline deadline);
  /** Waits for a terminal event; ok when it is an error of `kind`. */
  [[nodiscard]] WaitResult wait_error(ErrorKind kind, Deadline deadline);

  [[nodiscard]] Response snapshot() const;
  [[nodiscard]] std::vector<Event> events() const;
  [[nodiscard]] bool done() const;

 private:
  template <class Pred>
  WaitResult wait_for(Pred pred, std::string_view what, Deadline deadline);
  Response snapshot_locked() const;

  const Request request_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Event> events_;
  std::size_t cursor_ = 0;
  std::size_t body_bytes_ = 0;
  bool has_headers_ = false;
  bool done_ = false;
};

/** The outcome of many requests at once. */
struct BatchResult {
  bool ok = false;            ///< every request ended successfully
  std::size_t succeeded = 0;  ///< ended with end
  std::size_t failed = 0;     ///< ended with error
  std::size_t pending = 0;    ///< not done at the deadline
  std::string description;    ///< counts, errors by kind, and a few examples
  explicit operator bool() const noexcept { return ok; }
};

/** Waits until every exchange is done (or the deadline passes) and sums them up. */
[[nodiscard]] BatchResult wait_all(const std::vector<std::shared_ptr<Exchange>>& exchanges,
                                   Deadline deadline);

}  // namespace faultline::harness
