#include "detail/redirect.h"

#include "detail/text.h"
#include "faultline/transport/errors.h"

namespace faultline::transport::detail {
namespace {

// Fetch "request-body-header name".
constexpr std::string_view kBodyHeaders[] = {"content-encoding", "content-language",
                                             "content-location", "content-type", "content-length"};
// Credentials never forwarded to another origin.
constexpr std::string_view kCredentialHeaders[] = {"authorization", "cookie",
                                                   "proxy-authorization"};

template <std::size_t N>
void remove_headers(Headers& headers, const std::string_view (&names)[N]) {
  std::erase_if(headers, [&](const Header& h) {
    for (auto name : names) {
      if (iequals(h.first, name)) {
        return true;
      }
    }
    return false;
  });
}

}  // namespace

std::error_code plan_redirect(std::string_view method, const Url& current, int status,
                              std::string_view location, Headers& headers, RedirectPlan& plan) {
  if (location.empty()) {
    return make_error_code(errc::bad_redirect);
  }
  auto next = resolve_url(current, location);
  if (!next) {
    return make_error_code(errc::bad_redirect);
  }
  plan.method = std::string(method);
  plan.drop_body = false;
  // 301/302 turn POST into GET; 303 turns everything but HEAD into GET.
  if (((status == 301 || status == 302) && method == "POST") ||
      (status == 303 && method != "GET" && method != "HEAD")) {
    plan.method = "GET";
    plan.drop_body = true;
    remove_headers(headers, kBodyHeaders);
  }
  plan.cross_origin = next->origin() != current.origin();
  if (plan.cross_origin) {
    remove_headers(headers, kCredentialHeaders);
  }
  plan.url = std::move(*next);
  return {};
}

}  // namespace faultline::transport::detail
