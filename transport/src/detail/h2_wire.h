// HTTP/2 frame headers as bytes (RFC 9113 4.1): what the transport's byte-level code reads
// and writes beside nghttp2 (the header coalescer, the test hook points, tests). No nghttp2.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace faultline::transport::detail::h2_wire {

inline constexpr std::size_t kFrameHeaderBytes = 9;

/** Frame types and flags (RFC 9113 section 6) the byte-level code looks at. */
inline constexpr std::uint8_t kData = 0x0;
inline constexpr std::uint8_t kHeaders = 0x1;
inline constexpr std::uint8_t kSettings = 0x4;
inline constexpr std::uint8_t kPushPromise = 0x5;
inline constexpr std::uint8_t kContinuation = 0x9;
inline constexpr std::uint8_t kAck = 0x1;
inline constexpr std::uint8_t kEndHeaders = 0x4;
inline constexpr std::uint8_t kPadded = 0x8;
inline constexpr std::uint8_t kPriority = 0x20;

/** A frame header. */
struct FrameHead {
  std::uint32_t length = 0;  ///< payload bytes (24 bits)
  std::uint8_t type = 0;
  std::uint8_t flags = 0;
  std::uint32_t stream = 0;  ///< 31 bits (the reserved bit dropped)
};

/** The frame header in p[0..9). */
[[nodiscard]] inline FrameHead read_frame_head(const std::uint8_t* p) noexcept {
  FrameHead head;
  head.length = (std::uint32_t{p[0]} << 16) | (std::uint32_t{p[1]} << 8) | p[2];
  head.type = p[3];
  head.flags = p[4];
  head.stream = ((std::uint32_t{p[5]} & 0x7f) << 24) | (std::uint32_t{p[6]} << 16) |
                (std::uint32_t{p[7]} << 8) | p[8];
  return head;
}

/** Appends a frame: its header, then `payload` (whose size is the length). */
inline void write_frame(std::vector<std::uint8_t>& out, std::uint8_t type, std::uint8_t flags,
                        std::uint32_t stream, std::span<const std::uint8_t> payload) {
  const auto n = static_cast<std::uint32_t>(payload.size());
  const std::uint8_t head[kFrameHeaderBytes] = {static_cast<std::uint8_t>(n >> 16),
                                                static_cast<std::uint8_t>(n >> 8),
                                                static_cast<std::uint8_t>(n),
                                                type,
                                                flags,
                                                static_cast<std::uint8_t>(stream >> 24),
                                                static_cast<std::uint8_t>(stream >> 16),
                                                static_cast<std::uint8_t>(stream >> 8),
                                                static_cast<std::uint8_t>(stream)};
  out.insert(out.end(), head, head + kFrameHeaderBytes);
  out.insert(out.end(), payload.begin(), payload.end());
}

}  // namespace faultline::transport::detail::h2_wire
