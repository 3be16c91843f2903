// Who may call the admin API: the checks every admin request passes before the API sees
// it (docs/admin-api.md, "Access"). Pure logic, no sockets.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "detail/admin_api.h"

namespace faultline::fake_server::detail {

/** What the admin listener was configured with. */
struct AdminAccessPolicy {
  std::string token;          ///< empty: no Authorization needed (loopback only)
  std::string bound_address;  ///< the listener's IP address as given ("127.0.0.1", "::1")
};

/** The parts of one admin request the checks look at (absent headers are nullopt). */
struct AdminRequestFacts {
  std::string_view method;
  std::optional<std::string_view> host;
  std::optional<std::string_view> origin;
  std::optional<std::string_view> sec_fetch_site;
  std::optional<std::string_view> authorization;
  std::optional<std::string_view> content_type;
  std::size_t body_bytes = 0;
};

/** nullopt when the request may go on; otherwise the answer it gets instead:
    400 without Host, 403 for a Host that is neither a loopback name nor the bound
    address, 403 for a cross-origin browser request (Origin not this server's own,
    Sec-Fetch-Site cross-site/same-site), 401 without the right bearer token, 415 for a
    body that is not declared application/json (a browser's "simple" text/plain or form
    POST). */
[[nodiscard]] std::optional<AdminReply> check_admin_access(const AdminAccessPolicy& policy,
                                                           const AdminRequestFacts& request);

/** Whether an IP address literal (no brackets, no port) is a loopback address
    (127.0.0.0/8, ::1, ::ffff:127.x.x.x). Names are not resolved: "localhost" is false. */
[[nodiscard]] bool is_loopback_address(std::string_view address);

/** Equality that takes the same time wherever the inputs differ (both are hashed first,
    so not even the length of the secret shows). */
[[nodiscard]] bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace faultline::fake_server::detail
