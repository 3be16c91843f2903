// Errors of the transport: one std::error_code category, every value documented.
#pragma once

#include <string_view>
#include <system_error>

namespace faultline::transport {

/** Why a request failed. Every failure reported by the transport carries one of these
    in `transport_category()`; the message names the value and, where it helps, the
    protocol detail (e.g. the RST_STREAM code) is in the Result's `detail` text. */
enum class errc {
  aborted = 1,         ///< the request's abort signal fired (or Client::abort was called)
  timeout,             ///< the request's deadline passed (queued, connecting, or in flight)
  connect_failed,      ///< name resolution or TCP connect failed, or the connect timeout passed
  tls_failed,          ///< TLS handshake or certificate verification failed
  protocol_error,      ///< the peer violated HTTP/2 or HTTP/1.1 (malformed frames, bad status line)
  stream_reset,        ///< the server reset the stream (RST_STREAM other than a retryable refusal)
  session_lost,        ///< the connection closed while the request was in flight
  too_many_redirects,  ///< more redirects than the request's limit (default 20)
  redirect_not_allowed,  ///< the response was a redirect and the request's redirect mode is `error`
  bad_redirect,          ///< a redirect's Location is missing, unparsable, or not http(s)
  body_not_replayable,   ///< a redirect (307/308) or a retry needs the body again; a pull source
                         ///< cannot replay unprocessed request) but came from a pull source already
                         ///< read
  retries_exhausted,   ///< the request was refused or unprocessed more times than the retry budget
  queue_full,          ///< the origin's queue already holds Options::queue_limit requests
  invalid_request,     ///< the request itself is malformed (URL, method, header names or values)
  body_source_failed,  ///< the request body's pull source reported an error
  client_closed,       ///< the Client was destroyed while the request was pending
  header_too_large,    ///< a response head (or its trailers) exceeds
                       ///< Options::max_response_header_bytes
};

/** The category of errc values; name() is "faultline.transport". */
[[nodiscard]] const std::error_category& transport_category() noexcept;

/** Makes an error_code in transport_category(). */
[[nodiscard]] std::error_code make_error_code(errc e) noexcept;

/** The enumerator's name, e.g. "queue_full" (stable; used in logs and reports). */
[[nodiscard]] std::string_view to_string(errc e) noexcept;

/** Every errc value, in declaration order (for tests and documentation). */
inline constexpr errc kAllErrc[] = {
    errc::aborted,
    errc::timeout,
    errc::connect_failed,
    errc::tls_failed,
    errc::protocol_error,
    errc::stream_reset,
    errc::session_lost,
    errc::too_many_redirects,
    errc::redirect_not_allowed,
    errc::bad_redirect,
    errc::body_not_replayable,
    errc::retries_exhausted,
    errc::queue_full,
    errc::invalid_request,
    errc::body_source_failed,
    errc::client_closed,
    errc::header_too_large,
};

}  // namespace faultline::transport

template <>
struct std::is_error_code_enum<faultline::transport::errc> : std::true_type {};
