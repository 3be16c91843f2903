// How an h2 session and its streams end in error: a malformed response fails its own
// stream (nghttp2 resets it, RFC 9113 8.1.1), a connection error (5.4.1: garbage, a
// PUSH_PROMISE we refused, a header block that is no HPACK) ends the session after
// nghttp2's GOAWAY went out, and both are errc::protocol_error with the cause in the
// message - never session_lost, and never sent again. The transport's own losses
// (EOF, read errors, unanswered PINGs) stay session_lost.
#include <nghttp2/nghttp2.h>

#include "detail/h2_protocol.h"
#include "detail/hooks.h"

namespace faultline::transport::detail {
namespace {

/** What a connection error code means when nghttp2 gave no reason of its own. */
std::string explain(std::uint32_t code) {
  switch (code) {
    case NGHTTP2_COMPRESSION_ERROR:
      return "the server's header block is not valid HPACK (RFC 9113 4.3)";
    case NGHTTP2_FRAME_SIZE_ERROR:
      return "the server sent a frame larger than SETTINGS_MAX_FRAME_SIZE, or bytes that are "
             "no HTTP/2 frame (RFC 9113 4.2)";
    case NGHTTP2_FLOW_CONTROL_ERROR:
      return "the server overran a flow-control window (RFC 9113 6.9)";
    default:
      return "the server broke the HTTP/2 protocol (RFC 9113 5.4.1)";
  }
}

const char* frame_name(std::uint8_t type) {
  static constexpr const char* kNames[] = {
      "DATA",         "HEADERS", "PRIORITY", "RST_STREAM",    "SETTINGS",
      "PUSH_PROMISE", "PING",    "GOAWAY",   "WINDOW_UPDATE", "CONTINUATION"};
  return type < std::size(kNames) ? kNames[type] : "an extension frame";
}

}  // namespace

int H2Protocol::on_invalid_frame(const nghttp2_frame* frame, int lib_error) {
  const auto it = streams_.find(frame->hd.stream_id);
  const bool malformed =
      lib_error == NGHTTP2_ERR_HTTP_HEADER || lib_error == NGHTTP2_ERR_HTTP_MESSAGING;
  if (malformed && it != streams_.end() &&
      (frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA)) {
    // A stream error: nghttp2 resets this stream (PROTOCOL_ERROR); the session goes on.
    it->second.malformed = malformed_cause(it->second, frame, lib_error);
    log(LogLevel::info, frame->hd.stream_id, it->second.malformed);
    return 0;
  }
  if (frame->hd.type == NGHTTP2_PUSH_PROMISE) {
    connection_error_cause_ = "PUSH_PROMISE on stream " + std::to_string(frame->hd.stream_id) +
                              " although our SETTINGS_ENABLE_PUSH is 0 (RFC 9113 8.4)";
  } else if (connection_error_cause_.empty()) {
    connection_error_cause_ = std::string("invalid ") + frame_name(frame->hd.type) + " on stream " +
                              std::to_string(frame->hd.stream_id) + ": " +
                              nghttp2_strerror(lib_error);
  }
  log(LogLevel::info, frame->hd.stream_id, connection_error_cause_);
  return 0;
}

int H2Protocol::on_error(std::string_view message) {
  if (connection_error_cause_.empty()) {
    connection_error_cause_ = std::string(message);
  }
  log(LogLevel::debug, 0, "nghttp2: " + std::string(message));
  return 0;
}

std::string H2Protocol::malformed_cause(const Stream& stream, const nghttp2_frame* frame,
                                        int lib_error) {
  std::string cause = "malformed response (RST_STREAM PROTOCOL_ERROR sent): ";
  if (frame->hd.type == NGHTTP2_DATA) {
    return cause + "its DATA do not add up to its content-length (RFC 9113 8.1.1)";
  }
  if (stream.status == 0 && lib_error == NGHTTP2_ERR_HTTP_MESSAGING) {
    return cause + "the response head has no :status (RFC 9113 8.3.2)";
  }
  if (stream.status == 0) {
    return cause + "invalid :status, not three digits (RFC 9113 8.3.2)";
  }
  if (lib_error == NGHTTP2_ERR_HTTP_HEADER) {
    const std::string after =
        stream.block.empty() ? std::string(":status") : stream.block.back().first;
    return cause + "forbidden field after \"" + after +
           "\": a connection-specific field such as connection or keep-alive, or an "
           "upper-case or invalid name (RFC 9113 8.2.1, 8.2.2)";
  }
  return cause + nghttp2_strerror(lib_error);
}

void H2Protocol::on_goaway_sent(const nghttp2_frame* frame) {
  const auto code = frame->goaway.error_code;
  if (code == NGHTTP2_NO_ERROR || !connection_error_.empty()) {
    return;
  }
  const std::string debug(reinterpret_cast<const char*>(frame->goaway.opaque_data),
                          frame->goaway.opaque_data_len);
  std::string why = connection_error_cause_;
  if (why.empty()) {
    why = debug.empty() ? explain(code) : debug;
  }
  connection_error_ =
      std::string("protocol error: ") + why + "; sent GOAWAY " + nghttp2_http2_strerror(code);
  log(LogLevel::info, 0, connection_error_);
}

void H2Protocol::finish_if_done() {
  if (dead_ || !ng_) {
    return;
  }
  if (nghttp2_session_want_read(ng_.get()) == 0 && nghttp2_session_want_write(ng_.get()) == 0) {
    if (!connection_error_.empty() && (hooks_ == nullptr || hooks_->h2_type_protocol_errors())) {
      fail(CloseReason::protocol_error, errc::protocol_error, connection_error_);
      return;
    }
    fail(goaway_received_ ? CloseReason::goaway : CloseReason::protocol_error, errc::session_lost,
         "session finished");
  }
}

void H2Protocol::on_transport_lost(const std::string& detail) {
  if (!connection_error_.empty() && (hooks_ == nullptr || hooks_->h2_type_protocol_errors())) {
    // Our GOAWAY went out and the server closed before nghttp2 was done: the error stands.
    fail(CloseReason::protocol_error, errc::protocol_error, connection_error_);
    return;
  }
  fail(goaway_received_ && streams_.empty() ? CloseReason::goaway : CloseReason::peer_closed,
       errc::session_lost, detail);
}

void H2Protocol::fail(CloseReason reason, errc error, std::string detail) {
  if (dead_) {
    return;
  }
  dead_ = true;
  log(reason == CloseReason::goaway ? LogLevel::debug : LogLevel::info, 0,
      std::string("closing (") + to_string(reason) + "): " + detail);
  auto streams = std::move(streams_);
  streams_.clear();
  for (auto& [id, stream] : streams) {
    Outcome outcome;
    if (stream.cancelled) {
      outcome = Outcome::cancelled_by_us();
    } else if (!stream.headers_sent) {
      outcome = Outcome::unprocessed_because(
          errc::session_lost, "connection closed before the request was sent", false);
    } else if (error == errc::protocol_error) {
      // The server broke the protocol: this request is not sent again (it would be again).
      outcome = Outcome::failed_with(errc::protocol_error, detail);
    } else if (stream.status == 0) {
      outcome = Outcome::lost_before_any_response(detail + " (before any response)");
    } else {
      outcome = Outcome::failed_with(errc::session_lost, detail);
    }
    report_stream_closed(std::move(stream), std::move(outcome));
  }
  report([this, reason, error, detail = std::move(detail)] {
    events_.on_session_closed(id_, reason, make_error_code(error), detail);
  });
  host_.on_ended();
}

}  // namespace faultline::transport::detail
