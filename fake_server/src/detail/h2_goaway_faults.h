// The goaway and storm fault families on one HTTP/2 connection (docs/scenarios.md,
// "goaway", "storm"): GOAWAY now or after a graceful shutdown notice, a raw GOAWAY for
// the last-stream-ids nghttp2 refuses, the storm's GOAWAY(0), and the closes that follow.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <optional>

#include "detail/h2_fault_state.h"

namespace faultline::fake_server::detail {

/** Runs on the connection's strand; owned by H2Faults. */
class H2GoawayFaults {
 public:
  explicit H2GoawayFaults(H2FaultState& state) : state_(state) {}

  /** Sends the action's GOAWAY: at once, or after a shutdown notice and its delay. */
  void goaway(const scenarios::GoawayAction& action);
  /** Greets the connection with a storm's GOAWAY(0, error, debug); the connection closes
      close_after_ms after it is written. */
  void storm(const scenarios::StormAction& storm);
  /** Whether a storm started by this connection's own fault greets it too: no stream
      opened yet and no GOAWAY of a fault under way. */
  [[nodiscard]] bool may_storm() const {
    return !storm_close_after_ && !keep_open_ && state_.highest() == 0;
  }
  /** nghttp2 wrote a GOAWAY: a storm's close, or the idle check of a fault's GOAWAY. */
  void on_goaway_sent(const nghttp2_frame& frame);
  /** After a fault's final GOAWAY with close_when_idle: closes once no stream at or
      below its last-stream-id is open. */
  void check_idle();

  /** Above the last-stream-id of a GOAWAY nghttp2 did not send (an even id): abandoned,
      nothing more is sent on it. (nghttp2 closes such streams itself otherwise.) */
  [[nodiscard]] bool abandoned(std::int32_t id) const { return raw_last_ && id > *raw_last_; }
  /** A fault's GOAWAY went out: closing is the fault's to decide, not nghttp2's. */
  [[nodiscard]] bool keeps_open() const { return keep_open_; }

 private:
  void final_goaway(const scenarios::GoawayAction& action);
  /** Writes GOAWAY(last) with the raw writer (an id nghttp2 refuses). */
  void raw_goaway(std::uint32_t last, const scenarios::GoawayAction& action);

  H2FaultState& state_;
  std::optional<std::int32_t> last_;  ///< the final GOAWAY's last-stream-id
  bool close_when_idle_ = false;
  bool keep_open_ = false;
  bool written_ = false;                            ///< the final GOAWAY reached the output
  std::optional<std::int32_t> raw_last_;            ///< a raw GOAWAY's last-stream-id
  std::optional<std::uint32_t> storm_close_after_;  ///< a storm GOAWAY is pending
};

}  // namespace faultline::fake_server::detail
