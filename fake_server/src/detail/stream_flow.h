// Flow control as the server saw it, per HTTP/2 stream of one connection: DATA bytes
// each way, the window credit the client granted, the client's window left after each
// DATA frame the server sent, and how long the stream sat at a window of 0 with the
// server waiting to send (docs/admin-api.md, "flow"). Checks judge receive
// backpressure and window handling from it.
#pragma once

#include <cstdint>
#include <map>

#include <nlohmann/json_fwd.hpp>

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

/** The streams of one connection; the newest kMaxFlowStreams are kept. Not thread safe
    (the connection's stats lock guards it). */
class StreamFlow {
 public:
  /** A frame the connection's stats saw at `now_ms` (since the connection opened). */
  void on_frame(const FrameFacts& frame, double now_ms);
  void clear() noexcept { streams_.clear(); }
  /** {"<stream id>": {data_out, data_in, credit_in, window_updates_in, window,
      stalled_since_ms, stalled_ms}} */
  [[nodiscard]] nlohmann::json to_json() const;

 private:
  std::map<std::int32_t, StreamFlowFacts> streams_;
};

}  // namespace faultline::fake_server::detail
