// Faults on one HTTP/2 connection: the stream limit the server holds clients to, and
// every action of faults.h executed on the wire. nghttp2 stays in charge of the
// protocol state; frames it refuses to send (late DATA, GOAWAY with an even
// last-stream-id, DATA on unknown streams, late trailers) are written by a raw frame
// writer at frame boundaries after nghttp2's output, and SETTINGS_MAX_CONCURRENT_STREAMS
// is added to nghttp2's SETTINGS frames on their way out (nghttp2 would otherwise treat
// an excess stream as a connection error; the server answers it with REFUSED_STREAM).
#pragma once

#include <nghttp2/nghttp2.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "detail/connection_faults.h"
#include "detail/session.h"

namespace faultline::fake_server::detail {

/** Runs on the connection's strand, owned by its H2Session. */
class H2Faults {
 public:
  H2Faults(SessionEnv& env, nghttp2_session* session);

  /** The initial SETTINGS without max_concurrent_streams (added on the way out). */
  [[nodiscard]] std::vector<nghttp2_settings_entry> initial_settings(
      std::vector<nghttp2_settings_entry> entries);
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
  void on_frame_recv(const nghttp2_frame& frame);
  void on_frame_send(const nghttp2_frame& frame);
  void on_stream_close(std::int32_t id);
  void apply_admin(const AdminAction& action);

  /** Above the last-stream-id of a GOAWAY nghttp2 did not send (an even id): abandoned,
      nothing more is sent on it. (nghttp2 closes such streams itself otherwise.) */
  [[nodiscard]] bool abandoned(std::int32_t id) const {
    return raw_goaway_last_ && id > *raw_goaway_last_;
  }
  /** Bytes on_output will add to the SETTINGS frame being sent now (its
      max_concurrent_streams entry), so the timeline shows the length on the wire. */
  [[nodiscard]] std::uint32_t settings_patch_bytes() const {
    return !settings_patches_.empty() && settings_patches_.front() ? 6 : 0;
  }
  /** Whether the response must keep its body open (after_headers / mid-body cuts). */
  [[nodiscard]] bool needs_body(std::int32_t id) const;
  /** How many body bytes the stream may send now (nullopt: no limit); at 0 the cut
      happens and the body is deferred forever. */
  std::optional<std::uint64_t> body_budget(std::int32_t id, std::optional<std::uint64_t> size);
  void on_body_sent(std::int32_t id, std::size_t n);

  /** A chunk of nghttp2 output was appended at out[from..]: patches SETTINGS, cuts
      HEADERS, appends due raw frames. */
  void on_output(std::vector<std::uint8_t>& out, std::size_t from);
  /** Raw frames queued outside nghttp2 output (timers). */
  void drain_raw(std::vector<std::uint8_t>& out);
  /** Nothing more may be written (a close is pending). */
  [[nodiscard]] bool output_stopped() const { return stopped_; }
  /** The payload bytes of an outgoing frame that reach the wire: half the block of a
      HEADERS frame a mid_headers close cuts (on_output), all of any other frame. */
  [[nodiscard]] std::uint32_t bytes_written(const nghttp2_frame& frame) const;
  /** nullopt: nghttp2 decides when the connection is done; else this. */
  [[nodiscard]] std::optional<bool> should_close() const;

 private:
  struct Target {
    const scenarios::Action* action = nullptr;
    std::uint64_t sent = 0;  ///< body bytes sent so far
  };

  void execute(const std::vector<Firing>& firings, std::optional<std::int32_t> stream);
  /** `listener`: the fault's (server-wide actions); from_admin: already fanned out. */
  void act(const scenarios::Action& action, std::optional<std::int32_t> stream,
           const std::optional<std::string>* listener, bool from_admin);
  void goaway(const scenarios::GoawayAction& action);
  void final_goaway(const scenarios::GoawayAction& action);
  void settings(const scenarios::SettingsAction& action);
  void ping_tick(std::uint64_t series, std::optional<std::uint32_t> left, std::uint32_t interval);
  void late_after_rst(std::int32_t id, const scenarios::DataAfterRstAction& action,
                      std::uint32_t sent, double deadline_ms);
  void late_after_end(std::int32_t id, const scenarios::DataAfterEndStreamAction& action,
                      std::uint32_t sent);
  bool raw_data(std::int32_t id, std::uint32_t bytes);
  void raw_trailers(std::int32_t id);
  void close(scenarios::CloseMode mode, const std::string& reason);
  void check_idle();
  [[nodiscard]] std::optional<std::uint32_t> effective_limit() const;
  [[nodiscard]] double now_ms() const;

  SessionEnv& env_;
  nghttp2_session* session_;
  ConnectionFaults faults_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();

  // Stream limit: the acknowledged value, and the values of SETTINGS sent but not yet
  // acknowledged (nullopt entries: that frame did not change it).
  std::optional<std::uint32_t> acked_limit_;
  std::deque<std::optional<std::uint32_t>> unacked_limits_;
  std::deque<std::optional<std::uint32_t>> settings_patches_;  ///< for SETTINGS not yet written

  struct StreamInfo {
    std::string method, path;
  };
  std::set<std::int32_t> open_;   ///< opened (not refused), not yet closed
  std::set<std::int32_t> reset_;  ///< reset before headers by a fault
  std::set<std::int32_t> cut_;    ///< body cut (RST or close): nothing more goes out
  std::map<std::int32_t, StreamInfo> info_;
  std::int32_t highest_ = 0, previous_ = 0;
  std::uint64_t opened_ = 0;

  std::map<std::int32_t, std::vector<const scenarios::Action*>> targets_;  ///< stream-bound
  std::map<std::int32_t, std::uint64_t> body_sent_;
  std::vector<const scenarios::Action*> next_stream_;           ///< for the next stream that opens
  std::vector<std::shared_ptr<const AdminAction>> admin_keep_;  ///< actions that outlive apply

  std::vector<std::pair<std::int32_t, const scenarios::DataAfterEndStreamAction*>> late_end_;
  std::optional<std::pair<std::int32_t, scenarios::CloseMode>> cut_headers_;
  std::vector<std::uint8_t> raw_;  ///< raw frames waiting for a frame boundary
  std::uint64_t late_bytes_ = 0;   ///< connection window the raw DATA used
  bool stopped_ = false;

  std::optional<std::int32_t> goaway_last_;  ///< after a fault's final GOAWAY
  bool close_when_idle_ = false;
  bool keep_open_ = false;  ///< a fault GOAWAY went out: closing is ours to decide
  bool goaway_written_ = false;
  std::optional<std::int32_t> raw_goaway_last_;
  std::optional<std::uint32_t> storm_close_after_;

  std::uint64_t ping_series_ = 0, ping_counter_ = 0;
};

}  // namespace faultline::fake_server::detail
