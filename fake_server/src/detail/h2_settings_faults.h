// The settings fault family and the stream limit of one HTTP/2 connection
// (docs/scenarios.md, "settings", "Stream limit"). nghttp2 never learns
// SETTINGS_MAX_CONCURRENT_STREAMS (it would treat an excess stream as a connection
// error; the server answers it with REFUSED_STREAM instead): the value is appended to
// nghttp2's SETTINGS frames on their way out, and enforced here once acknowledged.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "detail/h2_fault_state.h"

namespace faultline::fake_server::detail {

/** Runs on the connection's strand; owned by H2Faults. */
class H2SettingsFaults {
 public:
  explicit H2SettingsFaults(H2FaultState& state) : state_(state) {}

  /** The initial SETTINGS without max_concurrent_streams (added on the way out). */
  [[nodiscard]] std::vector<nghttp2_settings_entry> initial_settings(
      std::vector<nghttp2_settings_entry> entries);
  /** The settings action: a SETTINGS frame with exactly the values it sets. */
  void send(const scenarios::SettingsAction& action);
  /** The client acknowledged our oldest unacknowledged SETTINGS. */
  void on_ack();
  /** The stream limit in force: until the client acknowledges a change, the larger of
      old and new (RFC 9113 section 6.5.3); nullopt: no limit. */
  [[nodiscard]] std::optional<std::uint32_t> limit() const;

  /** Bytes on_settings_out will add to the SETTINGS frame being sent now (its
      max_concurrent_streams entry), so the timeline shows the length on the wire. */
  [[nodiscard]] std::uint32_t patch_bytes() const {
    return !patches_.empty() && patches_.front() ? static_cast<std::uint32_t>(kSettingEntryBytes)
                                                 : 0;
  }
  /** nghttp2's SETTINGS frame (not an ACK) of `length` payload bytes is at out[at]:
      appends its max_concurrent_streams entry, if it has one. Returns its length now. */
  std::uint32_t on_settings_out(std::vector<std::uint8_t>& out, std::size_t at,
                                std::uint32_t length);

 private:
  H2FaultState& state_;
  // The acknowledged limit, and the values of SETTINGS sent but not yet acknowledged
  // (nullopt entries: that frame did not change it).
  std::optional<std::uint32_t> acked_;
  std::deque<std::optional<std::uint32_t>> unacked_;
  std::deque<std::optional<std::uint32_t>> patches_;  ///< for SETTINGS not yet written
};

}  // namespace faultline::fake_server::detail
