// What a caller gets back: response head first, then body chunks, then one completion.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>

#include "faultline/transport/http.h"

namespace faultline::transport {

/** Status line and header fields of the final response (after redirects). */
struct ResponseHead {
  int status = 0;
  Headers headers;
  /** The URL that produced this response (differs from the request's after redirects). */
  std::string url;
  Protocol protocol = Protocol::none;
};

/** Measured from send(). */
struct Timings {
  std::chrono::microseconds headers{0};  ///< until the final response head arrived
  std::chrono::microseconds total{0};    ///< until completion
};

/** A complete response. `body` holds the body only when no on_data handler was given. */
struct Response {
  int status = 0;
  Headers headers;
  Headers trailers;
  std::string body;
  std::string url;
  Protocol protocol = Protocol::none;
  std::uint32_t redirects = 0;  ///< redirects followed
  std::uint32_t retries = 0;    ///< attempts re-sent after the server did not process them
  Timings timings;
};

/** The one completion of a request: an error, or a response (possibly partial when the
    error came after the head). */
struct Result {
  std::error_code error;
  /** Protocol detail of the error, e.g. "RST_STREAM INTERNAL_ERROR"; may be empty. */
  std::string detail;
  Response response;
  [[nodiscard]] bool ok() const noexcept { return !error; }
};

/** Callbacks of one request, all called on the transport's I/O thread, in this order:
    on_informational for each 1xx head (if any), on_headers once (if a final response
    head arrived), on_data for each body chunk as it arrives, then on_complete exactly
    once. They must not block. */
struct Handlers {
  /** Optional. Each interim (1xx) response head as it arrives (`100 Continue`, `103 Early
      Hints`, ...), with its own fields; `url` and `protocol` as for the final head. None
      of its fields ever appears in the final head. A 1xx of an attempt that is retried
      or redirected is reported too: it came before the caller's final response. */
  std::function<void(const ResponseHead&)> on_informational;
  std::function<void(const ResponseHead&)> on_headers;
  /** When set, body chunks go here and Response::body stays empty. */
  std::function<void(std::string_view chunk)> on_data;
  /** Required. */
  std::function<void(Result&&)> on_complete;
};

}  // namespace faultline::transport
