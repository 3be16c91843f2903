// TEST ONLY: deliberately broken behaviours, so that conformance checks can prove they
// fail against a transport with the matching defect. Reachable only through the target
// faultline_transport_testing, which injects them through the transport's hook points
// (src/detail/hooks.h) and a wrapper around its session factory (testing/src/); a normal
// Client has none of them.
#pragma once

#include <cstdint>

#include "faultline/transport/client.h"

namespace faultline::transport::testing {

/** A set of defects to inject, as bit flags: the one list of them. Each flag re-creates a
    failure found in a hand-written HTTP/2 pool ("defect N": the six of the review this
    project started from) or a close relative; docs/checks.md pairs each with the check
    it must fail. */
struct Defects {
  enum Flag : std::uint64_t {
    /** A queued request ignores abort and deadline until a stream slot frees (defect 1). */
    ignore_abort_when_queued = std::uint64_t{1} << 0,
    /** Closed sessions are not replaced while requests wait (defect 2). */
    no_replacement_sessions = std::uint64_t{1} << 1,
    /** An origin that negotiated http/1.1 is retried over h2 on every request (defect 3). */
    no_h1_negative_cache = std::uint64_t{1} << 2,
    /** Responses served over h2 are never followed as redirects (defect 4). */
    h2_no_redirects = std::uint64_t{1} << 3,
    /** The stream cap ignores the server's SETTINGS_MAX_CONCURRENT_STREAMS (defect 5). */
    ignore_server_stream_limit = std::uint64_t{1} << 4,
    /** REFUSED_STREAM reaches the caller as errc::stream_reset instead of a retry (defect 5). */
    surface_refused_stream = std::uint64_t{1} << 5,
    /** Streams above a GOAWAY's last-stream-id fail as session_lost instead of a retry. */
    no_goaway_retry = std::uint64_t{1} << 6,
    /** Sessions still connecting do not count towards the pool limit (connection storm). */
    count_only_ready_sessions = std::uint64_t{1} << 7,
    /** Aborting an in-flight h2 request sends no RST_STREAM (the stream stays open). */
    no_rst_on_abort = std::uint64_t{1} << 8,
    /** Idle sessions are never closed. */
    no_idle_reap = std::uint64_t{1} << 9,
    /** The stream cap keeps the server's first SETTINGS_MAX_CONCURRENT_STREAMS: a limit
        lowered later is ignored, and requests park on a session that has no room. */
    stale_stream_limit = std::uint64_t{1} << 10,
    /** Sessions that close before serving anything are replaced without limit. */
    no_reconnect_bound = std::uint64_t{1} << 11,
    /** A GOAWAY closes the session at once, failing the streams it promised to finish. */
    close_on_goaway = std::uint64_t{1} << 12,
    /** A DATA or HEADERS frame on a stream the session already closed (after END_STREAM
        or its own RST_STREAM) tears the whole session down, failing its siblings. */
    fatal_late_frames = std::uint64_t{1} << 13,
    /** h2 responses are matched to requests in the order sent: the first response head
        goes to the oldest request still waiting for one. */
    fifo_response_matching = std::uint64_t{1} << 14,
    /** A streamed response body reaches the on_data handler in one piece at the end. */
    buffer_streaming_bodies = std::uint64_t{1} << 15,
    /** In-memory request bodies are cut at the first NUL byte. */
    truncate_body_at_nul = std::uint64_t{1} << 16,
    /** Bodies of 4xx/5xx responses are dropped. */
    drop_error_bodies = std::uint64_t{1} << 17,
    /** Stats count a "session opened" for every stream started, as diagnostics made up
        for a benchmark would, instead of the sessions the pool really opened (defect 6). */
    fake_session_stats = std::uint64_t{1} << 18,
    /** A request that times out on a session starts no health check: a session whose
        peer went silent keeps taking requests (Go's missing ReadIdleTimeout). */
    no_health_check = std::uint64_t{1} << 31,
    /** A request whose connection closed before any response byte fails as
        session_lost, idempotent or not (hyper's IncompleteMessage on idle races). */
    no_retry_after_lost_connection = std::uint64_t{1} << 32,
    /** RST_STREAM and GOAWAY with HTTP_1_1_REQUIRED are treated as any other code: a
        stream reset, a GOAWAY that sends the requests to new h2 connections. */
    ignore_http11_required = std::uint64_t{1} << 33,
    /** A 421 (Misdirected Request) answer is dropped and the request sent again, up to
        20 times (a loop, bounded only so that a run ends), on whatever connection
        the pool picks. */
    retry_421_forever = std::uint64_t{1} << 34,
    /** A connection error the server caused (garbage, a PUSH_PROMISE although push is
        off, a header block that is no HPACK) ends the h2 session as session_lost
        "session finished", as if the connection had merely dropped: the cause is lost. */
    protocol_errors_as_session_lost = std::uint64_t{1} << 35,
    /** The h2 SETTINGS say ENABLE_PUSH 1, so push stays enabled: a PUSH_PROMISE is then
        legal and a pushed stream waits for a consumer that the transport does not have. */
    push_left_enabled = std::uint64_t{1} << 36,
    /** h2: only the oldest open stream's window is credited; the others' credit waits
        until it closes, so concurrent downloads are served one after another. */
    serial_stream_credit = std::uint64_t{1} << 41,
    /** Trailer fields after a response body are dropped (h2 and HTTP/1.1). */
    drop_trailers = std::uint64_t{1} << 23,
    /** The fields of a 1xx head (103 Early Hints, 100 Continue) stay in the block the
        final response head is read into, so they leak into the final response. */
    leak_informational_fields = std::uint64_t{1} << 24,
    /** The HTTP/1.1 path lets libcurl add its own fields: a POST gets Content-Type:
        application/x-www-form-urlencoded, every request Accept and Expect. */
    form_content_type_on_post = std::uint64_t{1} << 25,
    /** h2 stream windows are credited as DATA arrives even while the consumer has paused
        the request: a paused stream keeps receiving and the transport buffers without
        bound (no receive backpressure). */
    credit_regardless_of_consumer = std::uint64_t{1} << 27,
    /** A SETTINGS_INITIAL_WINDOW_SIZE that raises the server's window is ignored (the
        lowest value seen stays in force): an upload stalled by a lowered window waits for
        a WINDOW_UPDATE that never comes. */
    ignore_settings_window_raise = std::uint64_t{1} << 28,
    /** An unprocessed request whose body came from a pull source already read is sent
        again anyway (the source goes on where it stopped), instead of failing. */
    replay_unreplayable_body = std::uint64_t{1} << 29,
    /** An h2 response cut by RST_STREAM(NO_ERROR) before its END_STREAM completes as a
        success with the bytes that arrived. */
    rst_no_error_completes = std::uint64_t{1} << 19,
    /** A pull source's declared length is trusted: the bytes it yields beyond it are
        sent, and its early end leaves the request waiting for the rest. */
    trust_pull_source_length = std::uint64_t{1} << 21,
    /** HTTP/1.1 Content-Length fields that conflict are not judged: the body is framed by
        whichever libcurl picks, the rest left on the connection. */
    ignore_content_length = std::uint64_t{1} << 20,
    /** A response that completes while the request body is still being sent (the server
        answered early and stopped reading) fails the request as session_lost instead of
        being delivered. */
    early_response_as_error = std::uint64_t{1} << 39,
    /** h2: the server's header blocks reach nghttp2 frame by frame as they came, so a
        legal block of more than 8 CONTINUATION frames ends the whole session (nghttp2
        1.52's cap), failing every stream on it. */
    no_continuation_coalescing = std::uint64_t{1} << 37,
    /** A response head beyond the header size limit gives the connection up: the request
        fails as session_lost (not header_too_large), and on h2 every sibling stream of
        the session with it. */
    header_limit_ends_session = std::uint64_t{1} << 38,
    /** h2: an upload sends nothing while its windows allow fewer than 1024 bytes (a
        sender that will not cut its writes smaller): in a smaller window the stream
        waits, and nothing wakes it. */
    upload_waits_for_large_window = std::uint64_t{1} << 40,
    /** h2: DATA frames of fewer than 16 bytes count as the empty ones of a flood
        (CVE-2019-9518): the 1000th ends the session with GOAWAY(ENHANCE_YOUR_CALM). */
    tiny_data_frames_as_flood = std::uint64_t{1} << 42,
  };
  std::uint64_t flags = 0;

  [[nodiscard]] constexpr bool has(Flag f) const noexcept { return (flags & f) != 0; }
  constexpr Defects& set(Flag f) noexcept {
    flags |= f;
    return *this;
  }
};

/** A Client with `defects` injected (with none: a production Client). Never use outside
    tests. */
[[nodiscard]] Client make_client(Options options, Defects defects);

/** The stable name of one flag, e.g. "ignore_abort_when_queued"; nullptr if unknown. */
[[nodiscard]] const char* to_string(Defects::Flag flag) noexcept;

/** Every flag, in declaration order. */
inline constexpr Defects::Flag kAllDefects[] = {
    Defects::ignore_abort_when_queued,
    Defects::no_replacement_sessions,
    Defects::no_h1_negative_cache,
    Defects::h2_no_redirects,
    Defects::ignore_server_stream_limit,
    Defects::surface_refused_stream,
    Defects::no_goaway_retry,
    Defects::count_only_ready_sessions,
    Defects::no_rst_on_abort,
    Defects::no_idle_reap,
    Defects::stale_stream_limit,
    Defects::no_reconnect_bound,
    Defects::close_on_goaway,
    Defects::fatal_late_frames,
    Defects::fifo_response_matching,
    Defects::buffer_streaming_bodies,
    Defects::truncate_body_at_nul,
    Defects::drop_error_bodies,
    Defects::fake_session_stats,
    Defects::no_health_check,
    Defects::no_retry_after_lost_connection,
    Defects::ignore_http11_required,
    Defects::retry_421_forever,
    Defects::protocol_errors_as_session_lost,
    Defects::push_left_enabled,
    Defects::serial_stream_credit,
    Defects::drop_trailers,
    Defects::leak_informational_fields,
    Defects::form_content_type_on_post,
    Defects::credit_regardless_of_consumer,
    Defects::ignore_settings_window_raise,
    Defects::replay_unreplayable_body,
    Defects::rst_no_error_completes,
    Defects::trust_pull_source_length,
    Defects::ignore_content_length,
    Defects::early_response_as_error,
    Defects::no_continuation_coalescing,
    Defects::header_limit_ends_session,
    Defects::upload_waits_for_large_window,
    Defects::tiny_data_frames_as_flood,
};

}  // namespace faultline::transport::testing
