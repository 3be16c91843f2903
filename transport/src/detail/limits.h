// Named constants of the transport.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace faultline::transport::detail {

/** Rounds of sessions of one origin that may close in a row without completing a stream
    while requests wait, before those requests fail (bounds reconnects on a GOAWAY storm).
    A round is the sessions opened before the previous such loss was counted: a reset of
    every connection at once is one round (SessionPool::lost_without_serving). */
inline constexpr std::uint32_t kMaxFruitlessSessions = 3;

/** The HTTP/2 error code HTTP_1_1_REQUIRED (RFC 9113 section 7). */
inline constexpr std::uint32_t kHttp11Required = 0xd;

/** Our SETTINGS_INITIAL_WINDOW_SIZE and connection window (large: bodies stream fast). */
inline constexpr std::int32_t kStreamWindow = 4 * 1024 * 1024;
inline constexpr std::int32_t kConnectionWindow = 16 * 1024 * 1024;

/** Bytes read from a socket per read, and written per write at most. */
inline constexpr std::size_t kReadBuffer = 64 * 1024;
inline constexpr std::size_t kWriteBatch = 64 * 1024;

/** Bytes of an HTTP/1.1 response head (its interim heads included) and of its trailers
    that the fallback accepts by default (Options::max_response_header_bytes); a longer
    one fails the request with errc::header_too_large. */
inline constexpr std::size_t kMaxResponseHeadBytes = 256 * 1024;
inline constexpr std::size_t kMaxResponseTrailerBytes = 256 * 1024;
/** The largest value SETTINGS_MAX_HEADER_LIST_SIZE carries (32 bits). */
inline constexpr std::size_t kMaxHeaderListSetting = 0xffffffffu;

/** Our SETTINGS_MAX_FRAME_SIZE (RFC 9113 6.5.2 allows up to 2^24-1): the frames the
    server's header blocks are joined into before nghttp2 reads them
    (h2_header_coalescer.h). nghttp2 1.52 reads a block of HEADERS + 8 CONTINUATION
    frames at most, so blocks of up to 9 x this decode; a longer block ends the session. */
inline constexpr std::uint32_t kReceiveMaxFrameBytes = 1024 * 1024;

/** Buffer size asked from a pull source per call. */
inline constexpr std::size_t kPullChunk = 16 * 1024;

}  // namespace faultline::transport::detail
