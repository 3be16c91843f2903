#include "faultline/transport/errors.h"

#include <string>

namespace faultline::transport {
namespace {

class TransportCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "faultline.transport"; }
  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::aborted:
        return "aborted: the request's abort signal fired";
      case errc::timeout:
        return "timeout: the request's deadline passed";
      case errc::connect_failed:
        return "connect_failed: name resolution or TCP connect failed";
      case errc::tls_failed:
        return "tls_failed: TLS handshake or certificate verification failed";
      case errc::protocol_error:
        return "protocol_error: the peer violated the HTTP protocol";
      case errc::stream_reset:
        return "stream_reset: the server reset the stream";
      case errc::session_lost:
        return "session_lost: the connection closed while the request was in flight";
      case errc::too_many_redirects:
        return "too_many_redirects: more redirects than the request allows";
      case errc::redirect_not_allowed:
        return "redirect_not_allowed: redirect received in redirect mode 'error'";
      case errc::bad_redirect:
        return "bad_redirect: the redirect's Location is missing or not http(s)";
      case errc::body_not_replayable:
        return "body_not_replayable: the body came from a pull source and cannot be re-sent";
      case errc::retries_exhausted:
        return "retries_exhausted: refused or unprocessed more often than the retry budget";
      case errc::queue_full:
        return "queue_full: too many requests waiting for this origin";
      case errc::invalid_request:
        return "invalid_request: the request is malformed";
      case errc::body_source_failed:
        return "body_source_failed: the request body's pull source failed";
      case errc::client_closed:
        return "client_closed: the client was destroyed with the request pending";
      case errc::header_too_large:
        return "header_too_large: the response head exceeds the client's header size limit";
    }
    return "unknown faultline.transport error " + std::to_string(value);
  }
};

}  // namespace

const std::error_category& transport_category() noexcept {
  static const TransportCategory category;
  return category;
}

std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), transport_category()};
}

std::string_view to_string(errc e) noexcept {
  switch (e) {
    case errc::aborted:
      return "aborted";
    case errc::timeout:
      return "timeout";
    case errc::connect_failed:
      return "connect_failed";
    case errc::tls_failed:
      return "tls_failed";
    case errc::protocol_error:
      return "protocol_error";
    case errc::stream_reset:
      return "stream_reset";
    case errc::session_lost:
      return "session_lost";
    case errc::too_many_redirects:
      return "too_many_redirects";
    case errc::redirect_not_allowed:
      return "redirect_not_allowed";
    case errc::bad_redirect:
      return "bad_redirect";
    case errc::body_not_replayable:
      return "body_not_replayable";
    case errc::retries_exhausted:
      return "retries_exhausted";
    case errc::queue_full:
      return "queue_full";
    case errc::invalid_request:
      return "invalid_request";
    case errc::body_source_failed:
      return "body_source_failed";
    case errc::client_closed:
      return "client_closed";
    case errc::header_too_large:
      return "header_too_large";
  }
  return "unknown";
}

}  // namespace faultline::transport
