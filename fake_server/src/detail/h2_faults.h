// Faults on one HTTP/2 connection: the stream limit the server holds clients to, and
// every action of faults.h executed on the wire. This class decides what fires
// (ConnectionFaults) and hands each action to its family's executor:
//   goaway, storm           H2GoawayFaults    (h2_goaway_faults.h)
//   settings, stream limit  H2SettingsFaults  (h2_settings_faults.h)
//   rst_stream, close       H2CutFaults       (h2_cut_faults.h)
//   late frames             H2LateFaults      (h2_late_faults.h)
//   ping                    H2PingFaults      (h2_ping_faults.h)
//   protocol violations     H2ViolationFaults (h2_violation_faults.h)
// What they share - the streams, the raw frames, the close - is H2FaultState. nghttp2
// stays in charge of the protocol state; frames it refuses to send are written by the
// raw frame writer (h2_frame.h) at frame boundaries after nghttp2's output.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "detail/connection_faults.h"
#include "detail/h2_cut_faults.h"
#include "detail/h2_fault_state.h"
#include "detail/h2_goaway_faults.h"
#include "detail/h2_header_blocks.h"
#include "detail/h2_late_faults.h"
#include "detail/h2_ping_faults.h"
#include "detail/h2_settings_faults.h"
#include "detail/h2_violation_faults.h"
#include "detail/session.h"

namespace faultline::fake_server::detail {

/** Runs on the connection's strand, owned by its H2Session. */
class H2Faults {
 public:
  H2Faults(SessionEnv& env, nghttp2_session* session);

  /** The initial SETTINGS without max_concurrent_streams (added on the way out). */
  [[nodiscard]] std::vector<nghttp2_settings_entry> initial_settings(
      std::vector<nghttp2_settings_entry> entries) {
    return settings_.initial_settings(std::move(entries));
  }
  /** After the initial SETTINGS was submitted: storm, connect and after_ms faults. */
  void on_ready();

  /** What happens to a stream whose request headers just arrived. */
  enum class Verdict {
    serve,    ///< route it as usual
    refused,  ///< beyond the stream limit: RST_STREAM(REFUSED_STREAM) sent, never opened
    reset,    ///< reset by a fault before its headers: opened, not served
  };
  Verdict on_request_headers(std::int32_t id, std::string_view method, std::string_view path,
                             std::string_view request_id);
  /** The attempt number of the request whose headers arrived last (ConnectionFaults). */
  [[nodiscard]] std::uint32_t attempt() const noexcept { return faults_.attempt(); }
  void on_frame_recv(const nghttp2_frame& frame);
  void on_frame_send(const nghttp2_frame& frame);
  void on_stream_close(std::int32_t id);
  void apply_admin(const AdminAction& action);

  /** Above the last-stream-id of a GOAWAY nghttp2 did not send: nothing more goes out. */
  [[nodiscard]] bool abandoned(std::int32_t id) const { return goaway_.abandoned(id); }
  /** Bytes on_output will add to the SETTINGS frame being sent now. */
  [[nodiscard]] std::uint32_t settings_patch_bytes() const { return settings_.patch_bytes(); }
  /** Whether the response must keep its body open (after_headers / mid-body cuts). */
  [[nodiscard]] bool needs_body(std::int32_t id) const { return cuts_.needs_body(id); }
  /** How many body bytes the stream may send now (nullopt: no limit); at 0 the cut
      happens and the body is deferred forever. */
  std::optional<std::uint64_t> body_budget(std::int32_t id, std::optional<std::uint64_t> size) {
    if (abandoned(id)) {
      return 0;
    }
    return cuts_.body_budget(id, size);
  }
  void on_body_sent(std::int32_t id, std::size_t n) { cuts_.on_body_sent(id, n); }

  /** The final head of `id` is re-framed by respond.header_block (H2HeaderBlocks). */
  void arm_header_block(std::int32_t id, const scenarios::HeaderBlock& block,
                        std::size_t interim_heads) {
    blocks_.arm(id, block, interim_heads);
  }

  /** A chunk of nghttp2 output was appended at out[from..]: patches SETTINGS, cuts
      HEADERS, re-frames large header blocks, appends due raw frames. */
  void on_output(std::vector<std::uint8_t>& out, std::size_t from);
  /** Raw frames queued outside nghttp2 output (timers). */
  void drain_raw(std::vector<std::uint8_t>& out) { state_.drain_raw(out); }
  /** Nothing more may be written (a close is pending). */
  [[nodiscard]] bool output_stopped() const { return state_.stopped(); }
  /** The payload bytes of an outgoing frame that reach the wire (see H2CutFaults). */
  [[nodiscard]] std::uint32_t bytes_written(const nghttp2_frame& frame) const {
    return cuts_.bytes_written(frame);
  }
  /** nullopt: nghttp2 decides when the connection is done; else this. */
  [[nodiscard]] std::optional<bool> should_close() const {
    return goaway_.keeps_open() ? std::optional<bool>(false) : std::nullopt;
  }

 private:
  /** How an action fired: its stream, its fault's listener, whether it came from the
      admin API already fanned out. */
  struct Fired {
    const scenarios::Action& action;
    std::optional<std::int32_t> stream;
    const std::optional<std::string>* listener;  ///< the fault's; nullptr: none
    bool from_admin;
  };

  void execute(const std::vector<Firing>& firings, std::optional<std::int32_t> stream);
  void act(const Fired& fired);
  // One step per action type; the stream-bound ones get their stream.
  void run(const scenarios::GoawayAction& a, const Fired& f);
  void run(const scenarios::SettingsAction& a, const Fired& f);
  void run(const scenarios::RstStreamAction& a, const Fired& f);
  void run(const scenarios::DataAfterEndStreamAction& a, const Fired& f);
  void run(const scenarios::DataAfterRstAction& a, const Fired& f);
  void run(const scenarios::DataUnknownStreamAction& a, const Fired& f);
  void run(const scenarios::CloseAction& a, const Fired& f);
  void run(const scenarios::PingAction& a, const Fired& f);
  void run(const scenarios::StormAction& a, const Fired& f);
  void run(const scenarios::ProtocolViolationAction& a, const Fired& f);
  [[nodiscard]] static std::optional<std::string> scope(const Fired& f) {
    return f.listener != nullptr ? *f.listener : std::nullopt;
  }

  SessionEnv& env_;
  H2FaultState state_;
  ConnectionFaults faults_;
  H2GoawayFaults goaway_{state_};
  H2SettingsFaults settings_{state_};
  H2CutFaults cuts_{state_};
  H2ViolationFaults violations_{state_};
  H2LateFaults late_{state_, faults_.scenario()};
  H2PingFaults ping_{state_};
  H2HeaderBlocks blocks_;
  std::vector<const scenarios::Action*> next_stream_;           ///< for the next stream that opens
  std::vector<std::shared_ptr<const AdminAction>> admin_keep_;  ///< actions that outlive apply
};

}  // namespace faultline::fake_server::detail
