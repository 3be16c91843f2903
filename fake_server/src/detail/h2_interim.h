// Interim (1xx) response heads on an HTTP/2 stream (RFC 9113 8.1, RFC 9110 15.2): a
// HEADERS frame without END_STREAM before the final response's, one per head.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "faultline/scenarios/scenario.h"

namespace faultline::fake_server::detail {

/** Submits one 1xx head on `stream_id` (status 100..199); returns nghttp2's result. */
int submit_interim(nghttp2_session* session, std::int32_t stream_id, int status,
                   const std::vector<scenarios::Header>& headers);

/** Whether a frame the server sent is a final response head (HEADERS with a :status
    that is not 1xx; after 1xx heads nghttp2 files it as HCAT_HEADERS). */
[[nodiscard]] bool is_final_head(const nghttp2_frame& frame) noexcept;

/** Whether a request head's fields carry `expect: 100-continue` (RFC 9110 10.1.1). */
[[nodiscard]] bool expects_continue(
    const std::vector<std::pair<std::string, std::string>>& headers) noexcept;

}  // namespace faultline::fake_server::detail
