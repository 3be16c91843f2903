// The rst_stream and close fault families on one HTTP/2 connection (docs/scenarios.md,
// "rst_stream", "close"): where a target stream's response is cut - before or after its
// HEADERS, halfway through the HEADERS frame, or after some body bytes - and how (a
// RST_STREAM, or the connection closed).
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "detail/h2_fault_state.h"

namespace faultline::fake_server::detail {

/** Runs on the connection's strand; owned by H2Faults. */
class H2CutFaults {
 public:
  explicit H2CutFaults(H2FaultState& state) : state_(state) {}

  /** rst_stream on `stream`: at once before its headers, else armed for later. */
  void rst(const scenarios::RstStreamAction& rst, const scenarios::Action& action,
           std::int32_t stream);
  /** close at mid_headers or mid_body, armed on `stream`. */
  void arm_close(const scenarios::Action& action, std::int32_t stream);

  /** Whether the response must keep its body open (after_headers / mid-body cuts). */
  [[nodiscard]] bool needs_body(std::int32_t id) const;
  /** How many body bytes the stream may send now (nullopt: no limit); at 0 the cut
      happens and the body is deferred forever. */
  std::optional<std::uint64_t> body_budget(std::int32_t id, std::optional<std::uint64_t> size);
  void on_body_sent(std::int32_t id, std::size_t n);
  /** The payload bytes of an outgoing frame that reach the wire: half the block of a
      HEADERS frame a mid_headers close cuts, all of any other frame. */
  [[nodiscard]] std::uint32_t bytes_written(const nghttp2_frame& frame) const;
  /** nghttp2 sent the response HEADERS of `id`: arms a mid_headers cut of those bytes,
      resets after_headers. */
  void on_headers_sent(std::int32_t id);
  /** The HEADERS frame of `id` (payload `length`) is at out[at]: true when it is the
      one a mid_headers close cuts - the output then ends halfway through it. */
  bool cut_headers(std::vector<std::uint8_t>& out, std::size_t at, std::int32_t id,
                   std::uint32_t length) {
    return cut_headers_ && cut_headers_->first == id && cut(out, at, length);
  }
  void on_stream_close(std::int32_t id) {
    if (!armed_.empty() || !cut_.empty()) {
      forget(id);
    }
  }

 private:
  bool cut(std::vector<std::uint8_t>& out, std::size_t at, std::uint32_t length);
  void forget(std::int32_t id);

  H2FaultState& state_;
  std::map<std::int32_t, std::vector<const scenarios::Action*>> armed_;  ///< in firing order
  std::map<std::int32_t, std::uint64_t> body_sent_;
  std::set<std::int32_t> cut_;  ///< body cut (RST or close): nothing more goes out
  std::optional<std::pair<std::int32_t, scenarios::CloseMode>> cut_headers_;
};

}  // namespace faultline::fake_server::detail
