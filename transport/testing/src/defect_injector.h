// TEST ONLY: the defects of faultline/transport/testing/defects.h, injected through the
// transport's hook points (detail/hooks.h) and, for what a session reports or does, a
// wrapper around its session factory (DefectiveSession). Production code knows none of it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "detail/client_access.h"
#include "detail/hooks.h"
#include "detail/scheduler.h"
#include "detail/session.h"
#include "faultline/transport/testing/defects.h"

namespace faultline::transport::testing {

/** How often retry_421_forever sends a request answered 421 again: a loop, bounded
    only so that a test run ends. */
inline constexpr std::uint32_t kRetry421Forever = 20;

/** One Client's defects. Shared by the Client (its hooks) and every wrapped session;
    loop thread only. */
class DefectInjector final : public detail::Hooks {
 public:
  explicit DefectInjector(Defects defects) : defects_(defects) {}

  /** What ClientAccess::make needs for `defects`: nothing at all when there are none
      (a production Client), hooks, and the session wrapper when a session defect is in. */
  [[nodiscard]] static detail::TestSetup setup(Defects defects);
  /** `inner` with the session defects applied, or `inner` itself when there are none. */
  [[nodiscard]] static detail::SessionFactory wrap(std::shared_ptr<DefectInjector> injector,
                                                   detail::SessionFactory inner,
                                                   detail::Scheduler& scheduler);
  /** True when a flag changes what a session reports or does (wrap() applies it). */
  [[nodiscard]] static bool has_session_defect(Defects defects) noexcept;

  [[nodiscard]] bool has(Defects::Flag flag) const noexcept { return defects_.has(flag); }

  // From wrapped sessions.
  /** A session of `origin` closed, got GOAWAY, or refused a stream. */
  void on_session_lost(const detail::Url& origin) { lost_origins_.insert(origin.origin()); }
  /** The session (origin, id) is gone: forget its frame cursor. */
  void forget_session(const detail::Url& origin, detail::SessionId id);

  // detail::Hooks
  void on_request(Request& request, Handlers& handlers) override;
  bool hold_signal_while_queued(detail::Exchange& exchange, std::error_code error) override;
  bool on_dequeued(detail::Exchange& exchange) override;
  bool follow_redirects_over(Protocol protocol) override;
  bool remember_http11_origin() override { return !has(Defects::no_h1_negative_cache); }
  bool may_open_session(const detail::Url& origin) override;
  bool count_connecting_sessions() override { return !has(Defects::count_only_ready_sessions); }
  bool reap_idle_sessions() override { return !has(Defects::no_idle_reap); }
  bool bound_fruitless_sessions() override { return !has(Defects::no_reconnect_bound); }
  void on_stream_started(Stats& stats) override;
  bool h2_ready_before_settings() override { return has(Defects::ignore_server_stream_limit); }
  bool h2_type_protocol_errors() override { return !has(Defects::protocol_errors_as_session_lost); }
  bool h2_disable_push() override { return !has(Defects::push_left_enabled); }
  bool h2_take_input(detail::H2Protocol& protocol, std::span<const std::uint8_t> bytes) override;
  std::int32_t h2_response_stream(const detail::H2Protocol& protocol,
                                  std::int32_t stream_id) override;
  bool health_check_after_timeout() override { return !has(Defects::no_health_check); }
  bool retry_idempotent_after_loss() override {
    return !has(Defects::no_retry_after_lost_connection);
  }
  bool honour_http11_required() override { return !has(Defects::ignore_http11_required); }
  bool replay_on_status(int status, std::uint32_t replays) override {
    return has(Defects::retry_421_forever) && status == 421 && replays < kRetry421Forever;
  }
  bool deliver_trailers() override { return !has(Defects::drop_trailers); }
  bool keep_informational_fields() override { return has(Defects::leak_informational_fields); }
  bool http11_blank_curl_defaults() override { return !has(Defects::form_content_type_on_post); }
  bool h2_credit_while_paused() override { return has(Defects::credit_regardless_of_consumer); }
  bool h2_credit_now(const detail::H2Protocol& protocol, std::int32_t stream_id) override;
  bool replay_unreplayable_body() override { return has(Defects::replay_unreplayable_body); }
  bool h2_truncated_response_completes() override { return has(Defects::rst_no_error_completes); }
  bool enforce_declared_body_length() override { return !has(Defects::trust_pull_source_length); }
  bool h1_judge_content_length() override { return !has(Defects::ignore_content_length); }
  bool deliver_response_before_upload_end() override {
    return !has(Defects::early_response_as_error);
  }
  bool h2_coalesce_header_blocks() override { return !has(Defects::no_continuation_coalescing); }
  bool header_too_large_fails_request() override {
    return !has(Defects::header_limit_ends_session);
  }
  bool h2_send_upload_frame(std::size_t length) override {
    return !has(Defects::upload_waits_for_large_window) || length >= kLargeUploadFrame;
  }
  bool h2_data_frame_is_flood(std::uint32_t length) override {
    return has(Defects::tiny_data_frames_as_flood) && length < kTinyDataFrame &&
           ++tiny_data_frames_ >= kTinyDataFrameFlood;
  }

 private:
  /** Where the server's byte stream of one session stands, frame by frame. */
  struct FrameCursor {
    std::uint8_t head[9] = {};
    std::size_t head_size = 0;
    std::size_t payload_left = 0;
    /** ignore_settings_window_raise: a SETTINGS payload held back to be rewritten. */
    bool rewrite = false;
    std::vector<std::uint8_t> payload;
    std::uint32_t window = 65535;  ///< the lowest SETTINGS_INITIAL_WINDOW_SIZE let through
  };
  /** ignore_settings_window_raise: `payload` with every raise of the initial window
      replaced by the value in force. */
  static void keep_lowest_window(FrameCursor& cursor);

  static constexpr std::size_t kLargeUploadFrame = 1024;  ///< upload_waits_for_large_window
  static constexpr std::uint32_t kTinyDataFrame = 16;     ///< tiny_data_frames_as_flood
  static constexpr std::uint64_t kTinyDataFrameFlood = 1000;

  Defects defects_;
  std::uint64_t tiny_data_frames_ = 0;  ///< tiny_data_frames_as_flood: seen so far
  std::unordered_map<std::uint64_t, std::error_code> held_signals_;  ///< by exchange id
  std::set<std::string> lost_origins_;
  std::map<std::pair<std::string, detail::SessionId>, FrameCursor> cursors_;
};

}  // namespace faultline::transport::testing
