// Internal view of the test-only defect flags (testing/include/.../defects.h sets them;
// a Client built from Options alone has none).
#pragma once

#include <cstdint>

namespace faultline::transport::detail {

/** Same bit values as testing::Defects::Flag (checked by static_assert there). */
enum DefectBit : std::uint32_t {
  kIgnoreAbortWhenQueued = 1u << 0,
  kNoReplacementSessions = 1u << 1,
  kNoH1NegativeCache = 1u << 2,
  kH2NoRedirects = 1u << 3,
  kIgnoreServerStreamLimit = 1u << 4,
  kSurfaceRefusedStream = 1u << 5,
  kNoGoawayRetry = 1u << 6,
  kCountOnlyReadySessions = 1u << 7,
  kNoRstOnAbort = 1u << 8,
  kNoIdleReap = 1u << 9,
  kStaleStreamLimit = 1u << 10,
  kNoReconnectBound = 1u << 11,
  kCloseOnGoaway = 1u << 12,
  kFatalLateFrames = 1u << 13,
  kFifoResponseMatching = 1u << 14,
  kBufferStreamingBodies = 1u << 15,
  kTruncateBodyAtNul = 1u << 16,
  kDropErrorBodies = 1u << 17,
  kFakeSessionStats = 1u << 18,
};

/** The injected defects of one Client; empty in production. */
struct DefectSet {
  std::uint32_t bits = 0;
  [[nodiscard]] constexpr bool has(DefectBit b) const noexcept { return (bits & b) != 0; }
};

}  // namespace faultline::transport::detail
