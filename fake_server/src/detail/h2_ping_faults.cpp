#include "detail/h2_ping_faults.h"

#include <array>

namespace faultline::fake_server::detail {

void H2PingFaults::on_ping_recv(const nghttp2_frame& frame) const {
  if ((frame.hd.flags & NGHTTP2_FLAG_ACK) != 0) {
    state_.env().stats->count_ping_ack();
  }
}

void H2PingFaults::on_ping_sent(const nghttp2_frame& frame) const {
  if ((frame.hd.flags & NGHTTP2_FLAG_ACK) == 0) {
    state_.env().stats->count_ping_sent();
  }
}

void H2PingFaults::tick(std::uint64_t series, std::optional<std::uint32_t> left,
                        std::uint32_t interval) {
  if (series != series_) {
    return;
  }
  const std::uint64_t counter = ++counter_;
  std::array<std::uint8_t, 8> opaque{};
  for (std::size_t i = 0; i < opaque.size(); ++i) {
    opaque[i] = static_cast<std::uint8_t>(counter >> (56 - 8 * i));
  }
  nghttp2_submit_ping(state_.session(), NGHTTP2_FLAG_NONE, opaque.data());
  state_.env().host.signal_write();
  if (left && --*left == 0) {
    return;
  }
  state_.env().host.run_after(std::chrono::milliseconds(interval),
                              [this, series, left, interval] { tick(series, left, interval); });
}

}  // namespace faultline::fake_server::detail
