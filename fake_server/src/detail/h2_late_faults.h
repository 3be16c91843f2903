// The late-frame fault family on one HTTP/2 connection (docs/scenarios.md, "Late
// frames"): DATA after END_STREAM, DATA and trailers after the client's RST_STREAM, DATA
// on streams the client never opened - all written by the raw frame writer, and
// flow-controlled against the connection window the client granted.
#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "detail/h2_fault_state.h"

namespace faultline::fake_server::detail {

/** Runs on the connection's strand; owned by H2Faults. */
class H2LateFaults {
 public:
  /** `scenario`: the connection's snapshot (late trailers come from its routes). */
  H2LateFaults(H2FaultState& state, const scenarios::Scenario& scenario)
      : state_(state), scenario_(scenario) {}

  /** data_after_end_stream / data_after_rst armed on `stream` (the first of each wins). */
  void arm(const scenarios::DataAfterEndStreamAction& action, std::int32_t stream) {
    after_end_.emplace(stream, &action);
  }
  void arm(const scenarios::DataAfterRstAction& action, std::int32_t stream) {
    after_rst_.emplace(stream, &action);
  }
  /** data_unknown_stream: its frames at once. */
  void unknown_stream(const scenarios::DataUnknownStreamAction& action);

  /** nghttp2 sent END_STREAM on `id`: its late DATA goes right after that frame. */
  void on_end_stream_sent(std::int32_t id);
  /** After a chunk of nghttp2 output: the late DATA armed by END_STREAMs in it. */
  void after_output() {
    if (!due_.empty()) {
      write_due();
    }
  }
  /** The client reset an open stream: its data_after_rst burst starts. */
  void on_client_rst(std::int32_t id);
  void on_stream_close(std::int32_t id) {
    if (!after_end_.empty() || !after_rst_.empty()) {
      forget(id);
    }
  }

 private:
  void write_due();
  void forget(std::int32_t id);
  /** One raw DATA frame, if the client's connection window has room for it. */
  bool raw_data(std::int32_t id, std::uint32_t bytes);
  void raw_trailers(std::int32_t id);
  void after_end(std::int32_t id, const scenarios::DataAfterEndStreamAction& action,
                 std::uint32_t sent);
  void after_rst(std::int32_t id, const scenarios::DataAfterRstAction& action, std::uint32_t sent,
                 double deadline_ms);

  H2FaultState& state_;
  const scenarios::Scenario& scenario_;
  std::map<std::int32_t, const scenarios::DataAfterEndStreamAction*> after_end_;
  std::map<std::int32_t, const scenarios::DataAfterRstAction*> after_rst_;
  /** END_STREAM sent in the current output chunk, late DATA not yet written. */
  std::vector<std::pair<std::int32_t, const scenarios::DataAfterEndStreamAction*>> due_;
  std::uint64_t window_used_ = 0;  ///< connection window the raw DATA used
};

}  // namespace faultline::fake_server::detail
