// Named constants of the transport.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace faultline::transport::detail {

/** Sessions of one origin that may close in a row without completing a stream while
    requests wait, before those requests fail (bounds reconnects on a GOAWAY storm). */
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
    that the fallback accepts; a longer one fails the request as a protocol error. */
inline constexpr std::size_t kMaxResponseHeadBytes = 256 * 1024;
inline constexpr std::size_t kMaxResponseTrailerBytes = 256 * 1024;

/** Buffer size asked from a pull source per call. */
inline constexpr std::size_t kPullChunk = 16 * 1024;

}  // namespace faultline::transport::detail
