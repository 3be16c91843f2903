// Flow control as the server saw it, per HTTP/2 stream of one connection: DATA bytes
// each way, the window credit the client granted, the client's window left after each
// DATA frame the server sent, and how long the stream sat at a window of 0 with the
// server waiting to send (docs/admin-api.md, "flow"). Checks judge receive
// backpressure and window handling from it.
#pragma once

#include <array>
#include <cstdint>

#include <nlohmann/json_fwd.hpp>

#include "detail/server_limits.h"

namespace faultline::fake_server::detail {

struct FrameFacts;

/** What one stream's flow control did. */
struct StreamFlowFacts {
  std::uint64_t data_out = 0;   ///< DATA payload bytes the server sent
  std::uint64_t data_in = 0;    ///< DATA payload bytes the client sent
  std::uint64_t credit_in = 0;  ///< WINDOW_UPDATE increments the client sent on the stream
  std::uint64_t window_updates_in = 0;
  std::int64_t window = -1;  ///< the client's stream window after the last DATA out; -1: none sent
  double stalled_since_ms = -1;  ///< the window reached 0 then (-1: it is not at 0)
  double stalled_ms = 0;         ///< time spent at 0 before a credit arrived, summed
};

/** The streams of one connection; the newest kMaxFlowStreams stream ids are kept, in a
    ring indexed by stream id (client stream ids only grow: a slot holds the newest id
    that maps to it, and a frame of an older id that lost its slot is not recorded).
    O(1) per frame, nothing allocated. Not thread safe (the connection's stats lock
    guards it). */
class StreamFlow {
 public:
  /** A frame the connection's stats saw at `now_ms` (since the connection opened). */
  void on_frame(const FrameFacts& frame, double now_ms);
  void clear() noexcept { slots_ = {}; }
  /** {"<stream id>": {data_out, data_in, credit_in, window_updates_in, window,
      stalled_since_ms, stalled_ms}} */
  [[nodiscard]] nlohmann::json to_json() const;

 private:
  struct Slot {
    std::int32_t id = 0;  ///< 0: empty
    StreamFlowFacts facts;
  };
  std::array<Slot, kMaxFlowStreams> slots_{};
};

}  // namespace faultline::fake_server::detail
