// How one attempt of a request ended, as a protocol layer reports it.
#pragma once

#include <string>
#include <system_error>

#include "faultline/transport/errors.h"

namespace faultline::transport::detail {

/** The end of one attempt (one h2 stream, one HTTP/1.1 transfer, or one wait in a queue). */
struct Outcome {
  enum class Kind {
    completed,    ///< the response ended normally
    cancelled,    ///< we cancelled it (abort, deadline, redirect); nothing to do
    unprocessed,  ///< provably not processed by the server: safe to send again
    failed,       ///< failed with `error`
    use_http11,   ///< the origin turned out HTTP/1.1-only: send again over HTTP/1.1
  };
  Kind kind = Kind::completed;
  std::error_code error;
  std::string detail;
  bool refused = false;  ///< unprocessed because of RST_STREAM(REFUSED_STREAM)
  /** failed: the connection closed after the request went out and before any byte of
      its response (an idempotent request may be sent once more). */
  bool lost_before_response = false;
  /** use_http11: the server answered HTTP_1_1_REQUIRED (remember the origin). */
  bool http11_required = false;

  static Outcome completed_ok() { return {}; }
  static Outcome cancelled_by_us() { return {Kind::cancelled, {}, {}, false}; }
  static Outcome failed_with(errc e, std::string detail = {}) {
    return {Kind::failed, make_error_code(e), std::move(detail), false};
  }
  /** `error` is what the caller sees when the request cannot be sent again. */
  static Outcome unprocessed_because(errc e, std::string detail, bool refused) {
    return {Kind::unprocessed, make_error_code(e), std::move(detail), refused};
  }
  static Outcome switch_to_http11() { return {Kind::use_http11, {}, {}, false}; }
  static Outcome lost_before_any_response(std::string detail) {
    Outcome o = failed_with(errc::session_lost, std::move(detail));
    o.lost_before_response = true;
    return o;
  }
  static Outcome http11_required_by_server(std::string detail) {
    Outcome o{Kind::use_http11, {}, std::move(detail), false};
    o.http11_required = true;
    return o;
  }
};

}  // namespace faultline::transport::detail
