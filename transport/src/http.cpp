#include "faultline/transport/http.h"

#include <ostream>

#include "detail/text.h"
#include "faultline/transport/stats.h"

namespace faultline::transport {

std::string_view find_header(const Headers& headers, std::string_view name) noexcept {
  for (const auto& [key, value] : headers) {
    if (detail::iequals(key, name)) {
      return value;
    }
  }
  return {};
}

bool has_header(const Headers& headers, std::string_view name) noexcept {
  for (const auto& header : headers) {
    if (detail::iequals(header.first, name)) {
      return true;
    }
  }
  return false;
}

std::ostream& operator<<(std::ostream& out, Protocol p) {
  return out << to_string(p);
}

std::string_view to_string(Protocol p) noexcept {
  switch (p) {
    case Protocol::http2:
      return "h2";
    case Protocol::http11:
      return "http/1.1";
    case Protocol::none:
      break;
  }
  return "none";
}

const char* to_string(CloseReason r) noexcept {
  switch (r) {
    case CloseReason::idle:
      return "idle";
    case CloseReason::goaway:
      return "goaway";
    case CloseReason::peer_closed:
      return "peer_closed";
    case CloseReason::connect_failed:
      return "connect_failed";
    case CloseReason::tls_failed:
      return "tls_failed";
    case CloseReason::alpn_http11:
      return "alpn_http11";
    case CloseReason::alpn_refused:
      return "alpn_refused";
    case CloseReason::protocol_error:
      return "protocol_error";
    case CloseReason::ping_timeout:
      return "ping_timeout";
    case CloseReason::client_shutdown:
      return "client_shutdown";
    case CloseReason::http11_closed:
      return "http11_closed";
    case CloseReason::http11_required:
      return "http11_required";
  }
  return "unknown";
}

}  // namespace faultline::transport
