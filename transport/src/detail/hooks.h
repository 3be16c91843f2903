// Named points where a test build changes what the transport does, so that each
// conformance check can be proven to fail against a transport that gets its rule wrong.
// transport/testing implements them (faultline/transport/testing/defects.h); a Client
// built from Options alone has none, and every call site is one null-pointer test.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>

#include "faultline/transport/request.h"
#include "faultline/transport/response.h"

namespace faultline::transport {
struct Stats;
}

namespace faultline::transport::detail {

class Exchange;
class H2Protocol;
struct Url;

/** The test-only hook points, one virtual per decision a defect changes. Every default
    is the production behaviour. Loop thread only. */
class Hooks {
 public:
  virtual ~Hooks() = default;

  // ---- Engine
  /** A valid request enters the engine (its hop-by-hop headers removed): may rewrite the
      request and wrap its handlers. */
  virtual void on_request(Request& request, Handlers& handlers) {
    (void)request;
    (void)handlers;
  }
  /** An abort or deadline hit an exchange waiting in a pool's queue. True: hold `error`
      back until the exchange leaves the queue (on_dequeued), instead of failing now. */
  virtual bool hold_signal_while_queued(Exchange& exchange, std::error_code error) {
    (void)exchange;
    (void)error;
    return false;
  }
  /** A queued exchange is about to take a stream slot. True: the hook ended it instead. */
  virtual bool on_dequeued(Exchange& exchange) {
    (void)exchange;
    return false;
  }
  /** A redirect arrived over `protocol`. False: hand the 3xx to the caller as it is. */
  virtual bool follow_redirects_over(Protocol protocol) {
    (void)protocol;
    return true;
  }
  /** An origin turned out HTTP/1.1-only. False: forget it (probe h2 again next time). */
  virtual bool remember_http11_origin() { return true; }

  // ---- SessionPool
  /** The pool would open a session to `origin`. False: it opens none. */
  virtual bool may_open_session(const Url& origin) {
    (void)origin;
    return true;
  }
  /** Sessions still connecting count towards the pool limit and hold back the probe. */
  virtual bool count_connecting_sessions() { return true; }
  /** Idle sessions are closed after the idle timeout. */
  virtual bool reap_idle_sessions() { return true; }
  /** Sessions lost in a row without serving fail the waiters (kMaxFruitlessSessions). */
  virtual bool bound_fruitless_sessions() { return true; }
  /** The pool started a stream and counted it in `stats`. */
  virtual void on_stream_started(Stats& stats) { (void)stats; }

  // ---- Exchange
  /** A pull source with a declared length is held to it: bytes beyond it, or its end
      before it, fail the request (errc::body_source_failed). False: whatever the source
      yields is sent. */
  virtual bool enforce_declared_body_length() { return true; }
  /** A response completed while the request body was still being sent (the server
      answered early, RFC 9113 8.1 / RFC 9112 9.6). False: the request fails instead. */
  virtual bool deliver_response_before_upload_end() { return true; }

  // ---- HTTP/1.1 backend
  /** An HTTP/1.1 response head's Content-Length fields are judged (conflicting ones fail
      the request). False: libcurl frames the body by whichever it picks. */
  virtual bool h1_judge_content_length() { return true; }

  // ---- H2Protocol
  /** The server's bytes broke HTTP/2 and nghttp2 ended the session with GOAWAY(code):
      true, the session and its requests fail errc::protocol_error with the cause; false,
      errc::session_lost "session finished" (the cause is lost). */
  virtual bool h2_type_protocol_errors() { return true; }
  /** The client's SETTINGS carry ENABLE_PUSH 0. False: ENABLE_PUSH 1 (push stays
      enabled, as by RFC 9113 6.5.2's default). */
  virtual bool h2_disable_push() { return true; }
  /** The session reports ready as soon as h2 is negotiated (before the server's first
      SETTINGS), and nghttp2 assumes no stream limit until SETTINGS arrive. */
  virtual bool h2_ready_before_settings() { return false; }
  /** Bytes from the server. True: the hook fed them to `protocol` itself (through
      H2Protocol::feed); false: the protocol feeds them as they are. */
  virtual bool h2_take_input(H2Protocol& protocol, std::span<const std::uint8_t> bytes) {
    (void)protocol;
    (void)bytes;
    return false;
  }
  /** Header blocks are joined into fewer frames before nghttp2 reads them
      (h2_header_coalescer.h). False: nghttp2 reads the server's frames as they are and
      ends the session at a block's 9th CONTINUATION. */
  virtual bool h2_coalesce_header_blocks() { return true; }
  /** A response head went beyond Options::max_response_header_bytes. True: only its
      request fails (errc::header_too_large; h2: RST_STREAM). False: the connection is
      given up and the request fails as session_lost (h2: every stream of the session). */
  virtual bool header_too_large_fails_request() { return true; }
  /** A final response head arrived on `stream_id`: the stream whose request it answers. */
  virtual std::int32_t h2_response_stream(const H2Protocol& protocol, std::int32_t stream_id) {
    (void)protocol;
    return stream_id;
  }

  // ---- Liveness and retries
  /** A request timed out on an h2 session: the session is checked (PING, answered
      within ping_timeout or closed). */
  virtual bool health_check_after_timeout() { return true; }
  /** An idempotent request whose connection closed before any response byte is sent
      once more on another connection. */
  virtual bool retry_idempotent_after_loss() { return true; }
  /** RST_STREAM or GOAWAY with HTTP_1_1_REQUIRED sends the request again over HTTP/1.1
      and remembers the origin as HTTP/1.1-only. */
  virtual bool honour_http11_required() { return true; }
  /** A final response head with `status` arrived for a request sent `replays` times
      again already. True: drop it and send the request again. */
  virtual bool replay_on_status(int status, std::uint32_t replays) {
    (void)status;
    (void)replays;
    return false;
  }
  // ---- Response heads
  /** Trailer fields arrived after a response body. False: they are dropped. */
  virtual bool deliver_trailers() { return true; }
  /** A 1xx head ended (h2 and HTTP/1.1). True: its fields stay in the block the final
      head is read into. */
  virtual bool keep_informational_fields() { return false; }
  /** The HTTP/1.1 backend blanks the fields libcurl would add on its own (Content-Type
      of a POST, Accept, Expect). False: libcurl adds them. */
  virtual bool http11_blank_curl_defaults() { return true; }
  // ---- Receive backpressure and replays
  /** A DATA chunk arrived for a paused stream. True: credit its window at once anyway
      (as if the consumer had taken it). */
  virtual bool h2_credit_while_paused() { return false; }
  /** A DATA chunk of a stream that is not paused reached its consumer. False: hold its
      credit as for a paused stream; held credit is offered here again whenever a stream
      closes. */
  virtual bool h2_credit_now(const H2Protocol& protocol, std::int32_t stream_id) {
    (void)protocol;
    (void)stream_id;
    return true;
  }
  /** An unprocessed attempt whose body came from a pull source already read. True:
      re-send it anyway (the source continues where it stopped). */
  virtual bool replay_unreplayable_body() { return false; }
  /** nghttp2 offers `length` bytes of upload (what the stream's and the connection's
      windows allow). False: send nothing (the stream's upload waits, and nothing wakes
      it). */
  virtual bool h2_send_upload_frame(std::size_t length) {
    (void)length;
    return true;
  }
  /** A DATA frame of `length` payload bytes arrived. True: it counts as a flood and the
      session ends with GOAWAY(ENHANCE_YOUR_CALM). */
  virtual bool h2_data_frame_is_flood(std::uint32_t length) {
    (void)length;
    return false;
  }
  /** RST_STREAM(NO_ERROR) ended a response before its END_STREAM. False: the request
      fails (errc::stream_reset, "response truncated"); true: it completes with the bytes
      that arrived. */
  virtual bool h2_truncated_response_completes() { return false; }
};

}  // namespace faultline::transport::detail
