// The check functions, one per catalogue ID, grouped by file (checks_<group>.cpp).
#pragma once

#include "check_run.h"
#include "faultline/conformance/checks.h"

namespace faultline::conformance::detail {

// A check body never skips: the capabilities it may skip for are listed in its catalogue
// entry (CheckInfo::needs), and run_check and CheckRun decide those skips.

Verdict pool_reuse(const DriverSpec& d);
Verdict pool_cold_burst(const DriverSpec& d);
Verdict pool_server_limit(const DriverSpec& d);
Verdict pool_pre_settings_burst(const DriverSpec& d);
Verdict pool_idle_reap(const DriverSpec& d);
Verdict pool_limit_lowered(const DriverSpec& d);
Verdict pool_limit_zero(const DriverSpec& d);

Verdict abort_queued(const DriverSpec& d);
Verdict abort_queued_timeout(const DriverSpec& d);
Verdict abort_inflight(const DriverSpec& d);
Verdict abort_many(const DriverSpec& d);

Verdict drain_goaway_graceful(const DriverSpec& d);
Verdict drain_goaway_above_last(const DriverSpec& d);
Verdict drain_session_loss(const DriverSpec& d);
Verdict drain_goaway_storm(const DriverSpec& d);
Verdict drain_refused_retry(const DriverSpec& d);

Verdict alpn_h1_only(const DriverSpec& d);
Verdict alpn_h1_strict(const DriverSpec& d);
Verdict alpn_none(const DriverSpec& d);

Verdict redirect_parity(const DriverSpec& d);

Verdict late_data_after_rst(const DriverSpec& d);
Verdict late_data_after_end(const DriverSpec& d);
Verdict late_trailers(const DriverSpec& d);
Verdict late_out_of_order(const DriverSpec& d);

Verdict rt_sse(const DriverSpec& d);
Verdict rt_error_body(const DriverSpec& d);
Verdict rt_binary(const DriverSpec& d);
Verdict rt_multipart(const DriverSpec& d);

Verdict live_dead_connection(const DriverSpec& d);
Verdict live_idle_race(const DriverSpec& d);
Verdict drain_http11_required(const DriverSpec& d);
Verdict retry_421(const DriverSpec& d);
Verdict resp_trailers(const DriverSpec& d);
Verdict resp_informational(const DriverSpec& d);
Verdict resp_header_block(const DriverSpec& d);

Verdict parity_wire(const DriverSpec& d);
Verdict flow_window(const DriverSpec& d);
Verdict flow_backpressure(const DriverSpec& d);
Verdict drain_goaway_upload(const DriverSpec& d);
Verdict resp_truncated(const DriverSpec& d);
Verdict resp_content_length(const DriverSpec& d);
Verdict resp_early_response(const DriverSpec& d);
Verdict resp_error_typing(const DriverSpec& d);

}  // namespace faultline::conformance::detail
