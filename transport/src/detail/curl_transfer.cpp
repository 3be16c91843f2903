// How an HTTP/1.1 attempt's end becomes an Outcome (see curl_transfer.h).
#include "detail/curl_transfer.h"

#include <string>
#include <string_view>

namespace faultline::transport::detail {
namespace {

/** How libcurl's error buffer begins when a response head exceeds its own bound. */
constexpr std::string_view kCurlHeadTooLarge = "Too large response headers";

}  // namespace

Outcome outcome_of(CURLcode code, const Transfer& transfer) {
  if (transfer.head.too_large() && !transfer.typed_too_large) {
    return Outcome::failed_with(errc::session_lost, "connection closed by the client");
  }
  if (transfer.head.rejected()) {
    if (transfer.head.too_large()) {
      return Outcome::failed_with(errc::header_too_large,
                                  "HTTP/1.1 " + transfer.head.error() + ": transfer ended");
    }
    return Outcome::failed_with(errc::protocol_error,
                                "malformed HTTP/1.1 response: " + transfer.head.error());
  }
  std::string detail = curl_easy_strerror(code);
  if (transfer.error[0] != '\0') {
    detail += ": ";
    detail += transfer.error;
  }
  if (std::string_view(transfer.error).find(kCurlHeadTooLarge) != std::string_view::npos) {
    // libcurl's own bound on a head (300 KiB in 7.88), below a larger limit of ours.
    return Outcome::failed_with(errc::header_too_large, detail);
  }
  switch (code) {
    case CURLE_OK:
      return Outcome::completed_ok();
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
      return Outcome::failed_with(errc::connect_failed, detail);
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
      return Outcome::failed_with(errc::tls_failed, detail);
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
      if (!transfer.head.head_done()) {
        // The connection closed before any response head: the engine may send an
        // idempotent request once more (a POST's body is never re-sent behind our back).
        return Outcome::lost_before_any_response(detail);
      }
      return Outcome::failed_with(errc::session_lost, detail);
    case CURLE_PARTIAL_FILE:
    // The connection died while the body was being sent and curl cannot send it again
    // on a new one (we give it no seek callback: a POST is not re-sent behind our back).
    case CURLE_SEND_FAIL_REWIND:
      return Outcome::failed_with(errc::session_lost, detail);
    case CURLE_READ_ERROR:
    case CURLE_ABORTED_BY_CALLBACK:
      if (transfer.body_failed) {
        const auto& why = transfer.exchange->body_error();
        return Outcome::failed_with(errc::body_source_failed, why.empty() ? detail : why);
      }
      return Outcome::failed_with(errc::protocol_error, detail);
    default:
      return Outcome::failed_with(errc::protocol_error, detail);
  }
}

}  // namespace faultline::transport::detail
