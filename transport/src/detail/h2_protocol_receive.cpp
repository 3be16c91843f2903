// The receive half of H2Protocol: what nghttp2 reports of the server's frames (heads,
// SETTINGS, GOAWAY, DATA, stream closes) turned into stream state and events, and the
// receive credit a paused stream holds back. The send half and the session's lifetime
// are in h2_protocol.cpp, connection and stream errors in h2_protocol_errors.cpp.
#include <nghttp2/nghttp2.h>

#include <string>
#include <utility>

#include "detail/h2_protocol.h"
#include "detail/hooks.h"
#include "detail/text.h"

namespace faultline::transport::detail {

int H2Protocol::on_header(const nghttp2_frame* frame, std::string_view name,
                          std::string_view value) {
  if (frame->hd.type != NGHTTP2_HEADERS) {
    return 0;
  }
  const auto it = streams_.find(frame->hd.stream_id);
  if (it == streams_.end()) {
    return 0;
  }
  auto& stream = it->second;
  // RFC 9113 6.5.2: our SETTINGS_MAX_HEADER_LIST_SIZE counts name + value + 32 per field.
  stream.block_bytes += name.size() + value.size() + 32;
  if (stream.block_bytes > config_.max_response_header_bytes) {
    // nghttp2 resets the stream and decodes the rest of the block without us.
    stream.header_too_large = true;
    return hooks_ == nullptr || hooks_->header_too_large_fails_request()
               ? NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE
               : NGHTTP2_ERR_CALLBACK_FAILURE;
  }
  if (name == ":status") {
    // nghttp2 checks :status as well (HTTP messaging rules); the stream is reset when not.
    const auto status = parse_status_code(value);
    if (!status) {
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    stream.status = *status;
    return 0;
  }
  stream.block.emplace_back(std::string(name), std::string(value));
  return 0;
}

int H2Protocol::on_frame_recv(const nghttp2_frame* frame) {
  switch (frame->hd.type) {
    case NGHTTP2_SETTINGS:
      return on_settings(frame);
    case NGHTTP2_GOAWAY:
      return on_goaway(frame);
    case NGHTTP2_PING:
      if ((frame->hd.flags & NGHTTP2_FLAG_ACK) != 0) {
        ping_outstanding_ = false;
      }
      return 0;
    case NGHTTP2_RST_STREAM: {
      const auto it = streams_.find(frame->hd.stream_id);
      if (it != streams_.end()) {
        it->second.rst_received = true;
      }
      return 0;
    }
    case NGHTTP2_HEADERS: {
      const auto it = streams_.find(frame->hd.stream_id);
      if (it == streams_.end()) {
        return 0;
      }
      mark_end_stream(it->second, frame);
      return on_response_headers(it);
    }
    case NGHTTP2_DATA: {
      if (hooks_ != nullptr && hooks_->h2_data_frame_is_flood(frame->hd.length)) {
        nghttp2_session_terminate_session(ng_.get(), NGHTTP2_ENHANCE_YOUR_CALM);
        return 0;
      }
      const auto it = streams_.find(frame->hd.stream_id);
      if (it != streams_.end()) {
        mark_end_stream(it->second, frame);
      }
      return 0;
    }
    default:
      return 0;
  }
}

void H2Protocol::mark_end_stream(Stream& stream, const nghttp2_frame* frame) {
  if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
    stream.end_stream_received = true;
  }
}

int H2Protocol::on_settings(const nghttp2_frame* frame) {
  if ((frame->hd.flags & NGHTTP2_FLAG_ACK) != 0) {
    return 0;
  }
  const auto max =
      nghttp2_session_get_remote_settings(ng_.get(), NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
  log(LogLevel::debug, 0, "SETTINGS max_concurrent_streams=" + std::to_string(max));
  if (!ready_) {
    ready_ = true;
    host_.on_settled();
    report([this, max] { events_.on_session_ready(id_, max); });
  } else {
    report([this, max] { events_.on_session_settings(id_, max); });
  }
  return 0;
}

int H2Protocol::on_goaway(const nghttp2_frame* frame) {
  goaway_received_ = true;
  const auto last = frame->goaway.last_stream_id;
  const auto code = frame->goaway.error_code;
  log(LogLevel::info, 0,
      "GOAWAY last_stream_id=" + std::to_string(last) + " error=" + nghttp2_http2_strerror(code));
  // nghttp2 closes the streams above `last` after this callback: the pool hears the
  // GOAWAY first, then those streams as unprocessed.
  report([this, last, code] { events_.on_session_goaway(id_, last, code); });
  return 0;
}

int H2Protocol::on_response_headers(Streams::iterator it) {
  auto& stream = it->second;
  auto block = std::move(stream.block);
  stream.block.clear();
  stream.block_bytes = 0;
  if (stream.cancelled) {
    return 0;
  }
  if (!stream.head_done) {
    if (stream.status >= 100 && stream.status < 200) {
      // Informational; the final head follows in a block of its own.
      if (hooks_ != nullptr && hooks_->keep_informational_fields()) {
        stream.block = block;
      }
      stream.exchange->on_informational(stream.attempt, stream.status, std::move(block),
                                        Protocol::http2);
      return 0;
    }
    if (hooks_ != nullptr) {
      swap_requests(it, hooks_->h2_response_stream(*this, it->first));
    }
    stream.head_done = true;
    stream.exchange->on_head(stream.attempt, stream.status, std::move(block), Protocol::http2);
  } else {
    stream.exchange->on_trailers(stream.attempt, std::move(block));
  }
  return 0;
}

void H2Protocol::swap_requests(Streams::iterator it, std::int32_t owner) {
  if (owner == it->first) {
    return;
  }
  const auto other = streams_.find(owner);
  if (other == streams_.end() || other->second.head_done || other->second.cancelled) {
    return;
  }
  std::swap(other->second.exchange, it->second.exchange);
  std::swap(other->second.attempt, it->second.attempt);
}

int H2Protocol::on_frame_send(const nghttp2_frame* frame) {
  if (frame->hd.type == NGHTTP2_GOAWAY) {
    on_goaway_sent(frame);
  } else if (frame->hd.type == NGHTTP2_HEADERS) {
    const auto it = streams_.find(frame->hd.stream_id);
    if (it != streams_.end()) {
      it->second.headers_sent = true;
    }
  }
  return 0;
}

int H2Protocol::on_data_chunk(std::int32_t stream_id, const std::uint8_t* data, std::size_t len) {
  // The connection window never waits for a consumer: a paused stream holds only its own.
  nghttp2_session_consume_connection(ng_.get(), len);
  const auto it = streams_.find(stream_id);
  if (it == streams_.end() || it->second.cancelled || !it->second.head_done) {
    nghttp2_session_consume_stream(ng_.get(), stream_id, len);
    return 0;
  }
  auto& stream = it->second;
  const bool hold = stream.exchange->paused
                        ? hooks_ == nullptr || !hooks_->h2_credit_while_paused()
                        : hooks_ != nullptr && !hooks_->h2_credit_now(*this, stream_id);
  if (hold) {
    stream.uncredited += len;
  }
  stream.body_bytes += len;
  stream.exchange->on_data(stream.attempt, {reinterpret_cast<const char*>(data), len});
  if (!hold) {
    nghttp2_session_consume_stream(ng_.get(), stream_id, len);
  }
  return 0;
}

void H2Protocol::resume(const Exchange& exchange) {
  const auto it = streams_.find(exchange.placement.stream_id);
  if (it == streams_.end() || it->second.exchange.get() != &exchange ||
      it->second.uncredited == 0) {
    return;
  }
  const auto bytes = it->second.uncredited;
  it->second.uncredited = 0;
  credit_stream(it->first, bytes);
}

void H2Protocol::offer_held_credit() {
  for (auto& [id, stream] : streams_) {
    if (stream.uncredited != 0 && !stream.exchange->paused && hooks_->h2_credit_now(*this, id)) {
      credit_stream(id, std::exchange(stream.uncredited, 0));
    }
  }
}

void H2Protocol::credit_stream(std::int32_t stream_id, std::size_t bytes) {
  if (!ng_ || dead_) {
    return;
  }
  nghttp2_session_consume_stream(ng_.get(), stream_id, bytes);
  host_.signal_write();
}

int H2Protocol::on_stream_close(std::int32_t stream_id, std::uint32_t error_code) {
  auto node = streams_.extract(stream_id);
  if (node.empty()) {
    return 0;
  }
  auto& stream = node.mapped();
  if (hooks_ != nullptr) {
    offer_held_credit();
  }
  Outcome outcome;
  const std::string code = nghttp2_http2_strerror(error_code);
  if (stream.cancelled) {
    outcome = Outcome::cancelled_by_us();
  } else if (stream.header_too_large) {
    outcome = Outcome::failed_with(
        errc::header_too_large,
        "response header block of more than " + std::to_string(config_.max_response_header_bytes) +
            " bytes (our SETTINGS_MAX_HEADER_LIST_SIZE): stream reset, connection kept");
  } else if (stream.body_failed) {
    const auto& why = stream.exchange->body_error();
    outcome = Outcome::failed_with(errc::body_source_failed,
                                   why.empty() ? "request body source failed" : why);
  } else if (error_code == NGHTTP2_NO_ERROR && stream.rst_received && !stream.end_stream_received &&
             (hooks_ == nullptr || !hooks_->h2_truncated_response_completes())) {
    // RFC 9113 8.1: only END_STREAM completes a response; RST_STREAM(NO_ERROR) after it
    // merely stops the upload (an early response), before it the response is cut.
    outcome = Outcome::failed_with(
        errc::stream_reset, "response truncated: RST_STREAM NO_ERROR before END_STREAM, after " +
                                std::to_string(stream.body_bytes) + " body bytes");
  } else if (error_code == NGHTTP2_NO_ERROR) {
    outcome = Outcome::completed_ok();
  } else if (error_code == NGHTTP2_REFUSED_STREAM && stream.rst_received) {
    outcome = Outcome::unprocessed_because(errc::stream_reset, "RST_STREAM REFUSED_STREAM", true);
  } else if (error_code == NGHTTP2_HTTP_1_1_REQUIRED && stream.rst_received && !stream.head_done &&
             (hooks_ == nullptr || hooks_->honour_http11_required())) {
    // RFC 9113 section 8.2.2 / 7: the server wants this request over HTTP/1.1.
    outcome = Outcome::http11_required_by_server("RST_STREAM HTTP_1_1_REQUIRED");
  } else if (error_code == NGHTTP2_REFUSED_STREAM || !stream.headers_sent) {
    // Closed by GOAWAY above last-stream-id, or never sent.
    outcome = Outcome::unprocessed_because(errc::session_lost,
                                           "not processed (GOAWAY above last-stream-id)", false);
  } else if (stream.rst_received) {
    outcome = Outcome::failed_with(errc::stream_reset, "RST_STREAM " + code);
  } else {
    outcome = Outcome::failed_with(errc::protocol_error, stream.malformed.empty()
                                                             ? "stream closed: " + code
                                                             : stream.malformed);
  }
  log(LogLevel::debug, stream_id, "closed: " + code);
  report_stream_closed(std::move(stream), std::move(outcome));
  return 0;
}

}  // namespace faultline::transport::detail
