// The ping fault family on one HTTP/2 connection (docs/scenarios.md, "ping"): a series
// of PINGs carrying a big-endian counter, one series at a time, ACKs counted.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <optional>

#include "detail/h2_fault_state.h"

namespace faultline::fake_server::detail {

/** Runs on the connection's strand; owned by H2Faults. */
class H2PingFaults {
 public:
  explicit H2PingFaults(H2FaultState& state) : state_(state) {}

  /** Starts a series (replacing the running one; the counter carries on). */
  void start(const scenarios::PingAction& action) {
    tick(++series_, action.count, action.interval_ms);
  }
  /** Counts the client's PING ACKs and our own PINGs as they go out. */
  void on_ping_recv(const nghttp2_frame& frame) const;
  void on_ping_sent(const nghttp2_frame& frame) const;

 private:
  void tick(std::uint64_t series, std::optional<std::uint32_t> left, std::uint32_t interval);

  H2FaultState& state_;
  std::uint64_t series_ = 0;   ///< the running series; a timer of an older one stops
  std::uint64_t counter_ = 0;  ///< the last PING's opaque data
};

}  // namespace faultline::fake_server::detail
