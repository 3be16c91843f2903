// The nghttp2 bridge of the server's HTTP/2 session (h2_session.h): the callbacks that
// reach H2Session's on_* members, the session options, and nghttp2's frames in the
// server's terms.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "detail/flood_guard.h"
#include "detail/stats.h"

namespace faultline::fake_server::detail {

/** The callback table every H2Session is created with (user_data: the H2Session). */
[[nodiscard]] const nghttp2_session_callbacks* h2_session_callbacks();

/** Session options. Closed streams are never retained (nothing on this server uses the
    deprecated priority tree). With the flood guard on, nghttp2's own reset limiter sits
    above the guard's budget, so a rapid reset is answered ENHANCE_YOUR_CALM by the
    guard; a scenario that turns the guard off gets nghttp2's default limiter. Heads of
    up to kMaxSendHeaderBlockBytes go out. With `index_nothing` the HPACK encoder's
    dynamic table is 0 bytes (a scenario that sends table size updates of its own,
    scenarios::routes_update_table_size). */
[[nodiscard]] const nghttp2_option* h2_session_options(bool flood_guard,
                                                       bool index_nothing = false);

/** A response body's read callback: forwards to H2Session::on_read_body. */
ssize_t h2_read_body(nghttp2_session* session, std::int32_t stream_id, std::uint8_t* buf,
                     std::size_t length, std::uint32_t* data_flags, nghttp2_data_source* source,
                     void* user_data);

/** The timeline's facts of a frame received or sent; `length`: its payload bytes on the
    wire, `opens`: whether a request HEADERS frame opened a stream (refused ones do not). */
/** The (identifier, value) pairs of a SETTINGS frame. */
[[nodiscard]] std::vector<std::pair<std::uint16_t, std::uint32_t>> settings_entries(
    const nghttp2_frame& frame);
[[nodiscard]] FrameFacts frame_facts(const nghttp2_frame& frame, Direction dir,
                                     std::uint32_t length, bool opens);

/** The budget a received frame spends, if it is one that brings the server no work. */
[[nodiscard]] std::optional<FloodKind> flood_kind(const nghttp2_frame& frame);

}  // namespace faultline::fake_server::detail
