// Redirect rules of the Fetch standard, applied once above both protocols.
#pragma once

#include <string>
#include <string_view>
#include <system_error>

#include "detail/url.h"
#include "faultline/transport/http.h"

namespace faultline::transport::detail {

/** True for 301, 302, 303, 307 and 308: the statuses that redirect. */
[[nodiscard]] constexpr bool is_redirect_status(int status) noexcept {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/** The request to send next. */
struct RedirectPlan {
  std::string method;
  Url url;
  bool drop_body = false;     ///< the body (and its content-* headers) is not sent again
  bool cross_origin = false;  ///< authorization and cookie were removed
};

/** Applies Fetch "HTTP-redirect fetch" (steps 7..13) to `method`/`current` and the
    response's `status`/`location`, and edits `headers` in place (removes request-body
    headers when the body is dropped, credentials when crossing origins). Returns
    errc::bad_redirect when the Location is missing or not an http(s) URL. */
[[nodiscard]] std::error_code plan_redirect(std::string_view method, const Url& current, int status,
                                            std::string_view location, Headers& headers,
                                            RedirectPlan& plan);

}  // namespace faultline::transport::detail
