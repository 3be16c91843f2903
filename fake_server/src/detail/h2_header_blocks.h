// Large response header blocks on one HTTP/2 connection (docs/scenarios.md, "Large
// header blocks"): the final response head of a stream whose route has
// respond.header_block leaves nghttp2 as HEADERS + CONTINUATION frames of the client's
// SETTINGS_MAX_FRAME_SIZE; this re-frames that block into frames of the route's
// frame_bytes and puts its HPACK table size updates in front. The block's bytes are
// nghttp2's own, so its HPACK state stays in step with the client's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

#include "detail/h2_frame.h"
#include "faultline/scenarios/scenario.h"

namespace faultline::fake_server::detail {

/** Runs on the connection's strand; owned by H2Faults. */
class H2HeaderBlocks {
 public:
  /** The final head of `stream` (after `interim_heads` 1xx heads) is re-framed by `block`. */
  void arm(std::int32_t stream, const scenarios::HeaderBlock& block, std::size_t interim_heads);
  /** Whether the frame `header` at out[at] belongs to an armed block. */
  [[nodiscard]] bool takes(const FrameHeader& header) const;
  /** Replaces the frame at out[at] (one that takes() took) by the frames of its block
      that are due now; returns how many bytes they occupy (0: held until the next one). */
  std::size_t reframe(std::vector<std::uint8_t>& out, std::size_t at, const FrameHeader& header);
  /** The stream closed: forgets it. */
  void on_stream_close(std::int32_t stream) {
    if (!armed_.empty()) {
      armed_.erase(stream);
    }
  }

 private:
  /** One stream's block being re-framed. */
  struct Pending {
    scenarios::HeaderBlock block;
    std::size_t skip = 0;                ///< HEADERS blocks (1xx heads) still to let pass
    bool started = false;                ///< its HEADERS frame went out
    bool in_skipped = false;             ///< inside a skipped block (its CONTINUATIONs pass)
    bool headers_written = false;        ///< its first frame (HEADERS) was written
    std::uint8_t first_flags = 0;        ///< the HEADERS frame's flags (END_STREAM) once started
    std::vector<std::uint8_t> fragment;  ///< block bytes not framed yet
  };

  std::map<std::int32_t, Pending> armed_;
};

}  // namespace faultline::fake_server::detail
