#include "faultline/transport/testing/defects.h"

#include "defect_injector.h"
#include "detail/client_access.h"

namespace faultline::transport::testing {

Client make_client(Options options, Defects defects) {
  return detail::ClientAccess::make(std::move(options), DefectInjector::setup(defects));
}

const char* to_string(Defects::Flag flag) noexcept {
  switch (flag) {
    case Defects::ignore_abort_when_queued:
      return "ignore_abort_when_queued";
    case Defects::no_replacement_sessions:
      return "no_replacement_sessions";
    case Defects::no_h1_negative_cache:
      return "no_h1_negative_cache";
    case Defects::h2_no_redirects:
      return "h2_no_redirects";
    case Defects::ignore_server_stream_limit:
      return "ignore_server_stream_limit";
    case Defects::surface_refused_stream:
      return "surface_refused_stream";
    case Defects::no_goaway_retry:
      return "no_goaway_retry";
    case Defects::count_only_ready_sessions:
      return "count_only_ready_sessions";
    case Defects::no_rst_on_abort:
      return "no_rst_on_abort";
    case Defects::no_idle_reap:
      return "no_idle_reap";
    case Defects::stale_stream_limit:
      return "stale_stream_limit";
    case Defects::no_reconnect_bound:
      return "no_reconnect_bound";
    case Defects::close_on_goaway:
      return "close_on_goaway";
    case Defects::fatal_late_frames:
      return "fatal_late_frames";
    case Defects::fifo_response_matching:
      return "fifo_response_matching";
    case Defects::buffer_streaming_bodies:
      return "buffer_streaming_bodies";
    case Defects::truncate_body_at_nul:
      return "truncate_body_at_nul";
    case Defects::drop_error_bodies:
      return "drop_error_bodies";
    case Defects::fake_session_stats:
      return "fake_session_stats";
    case Defects::no_health_check:
      return "no_health_check";
    case Defects::no_retry_after_lost_connection:
      return "no_retry_after_lost_connection";
    case Defects::ignore_http11_required:
      return "ignore_http11_required";
    case Defects::retry_421_forever:
      return "retry_421_forever";
    case Defects::protocol_errors_as_session_lost:
      return "protocol_errors_as_session_lost";
    case Defects::push_left_enabled:
      return "push_left_enabled";
    case Defects::serial_stream_credit:
      return "serial_stream_credit";
    case Defects::drop_trailers:
      return "drop_trailers";
    case Defects::leak_informational_fields:
      return "leak_informational_fields";
    case Defects::form_content_type_on_post:
      return "form_content_type_on_post";
    case Defects::credit_regardless_of_consumer:
      return "credit_regardless_of_consumer";
    case Defects::ignore_settings_window_raise:
      return "ignore_settings_window_raise";
    case Defects::replay_unreplayable_body:
      return "replay_unreplayable_body";
    case Defects::rst_no_error_completes:
      return "rst_no_error_completes";
    case Defects::trust_pull_source_length:
      return "trust_pull_source_length";
    case Defects::ignore_content_length:
      return "ignore_content_length";
    case Defects::early_response_as_error:
      return "early_response_as_error";
    case Defects::upload_waits_for_large_window:
      return "upload_waits_for_large_window";
    case Defects::tiny_data_frames_as_flood:
      return "tiny_data_frames_as_flood";
    case Defects::no_continuation_coalescing:
      return "no_continuation_coalescing";
    case Defects::header_limit_ends_session:
      return "header_limit_ends_session";
  }
  return nullptr;
}

}  // namespace faultline::transport::testing
