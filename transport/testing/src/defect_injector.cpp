#include "defect_injector.h"

#include <algorithm>

#include "detail/exchange.h"
#include "detail/h2_protocol.h"
#include "detail/h2_wire.h"
#include "faultline/transport/stats.h"

namespace faultline::transport::testing {
namespace {

using detail::h2_wire::kFrameHeaderBytes;
constexpr std::size_t kSettingEntry = 6;
constexpr std::uint16_t kInitialWindowSize = 0x4;

/** buffer_streaming_bodies: body chunks held back, handed over in one piece at the end. */
void hold_streamed_body(Handlers& handlers) {
  if (!handlers.on_data) {
    return;
  }
  auto held = std::make_shared<std::string>();
  auto on_data = std::move(handlers.on_data);
  auto on_complete = std::move(handlers.on_complete);
  handlers.on_data = [held](std::string_view chunk) { held->append(chunk); };
  handlers.on_complete = [held, on_data, on_complete](Result&& result) {
    if (result.ok() && !held->empty()) {
      try {
        on_data(*held);
      } catch (...) {
        // As the engine does for a throwing handler: dropped.
      }
    }
    if (on_complete) {
      on_complete(std::move(result));
    }
  };
}

/** drop_error_bodies: chunks of a 4xx/5xx response never reach the caller. */
void drop_error_bodies(Handlers& handlers) {
  auto status = std::make_shared<int>(0);
  auto on_headers = std::move(handlers.on_headers);
  handlers.on_headers = [status, on_headers](const ResponseHead& head) {
    *status = head.status;
    if (on_headers) {
      on_headers(head);
    }
  };
  if (handlers.on_data) {
    handlers.on_data = [status, on_data = std::move(handlers.on_data)](std::string_view chunk) {
      if (*status < 400) {
        on_data(chunk);
      }
    };
  }
  if (handlers.on_complete) {
    handlers.on_complete = [on_complete = std::move(handlers.on_complete)](Result&& result) {
      if (result.response.status >= 400) {
        result.response.body.clear();
      }
      on_complete(std::move(result));
    };
  }
}

}  // namespace

detail::TestSetup DefectInjector::setup(Defects defects) {
  detail::TestSetup setup;
  if (defects.flags == 0) {
    return setup;
  }
  auto injector = std::make_shared<DefectInjector>(defects);
  setup.hooks = injector;
  if (has_session_defect(defects)) {
    setup.wrap_sessions = [injector](detail::SessionFactory inner, detail::Scheduler& scheduler) {
      return wrap(injector, std::move(inner), scheduler);
    };
  }
  return setup;
}

void DefectInjector::forget_session(const detail::Url& origin, detail::SessionId id) {
  cursors_.erase({origin.origin(), id});
}

void DefectInjector::on_request(Request& request, Handlers& handlers) {
  if (has(Defects::truncate_body_at_nul) && request.body.replayable()) {
    // The body handled as a C string.
    const auto& data = request.body.data();
    request.body = Body::bytes(data.substr(0, data.find('\0')));
  }
  if (has(Defects::buffer_streaming_bodies)) {
    hold_streamed_body(handlers);
  }
  if (has(Defects::drop_error_bodies)) {
    drop_error_bodies(handlers);
  }
}

bool DefectInjector::hold_signal_while_queued(detail::Exchange& exchange, std::error_code error) {
  if (!has(Defects::ignore_abort_when_queued)) {
    return false;
  }
  // The waiter notices only once a stream slot frees up.
  held_signals_[exchange.id] = error;
  return true;
}

bool DefectInjector::on_dequeued(detail::Exchange& exchange) {
  const auto it = held_signals_.find(exchange.id);
  if (it == held_signals_.end()) {
    return false;
  }
  const auto error = it->second;
  held_signals_.erase(it);
  exchange.on_attempt_end(exchange.attempt,
                          detail::Outcome{detail::Outcome::Kind::failed, error, {}, false});
  return true;
}

bool DefectInjector::follow_redirects_over(Protocol protocol) {
  return !(protocol == Protocol::http2 && has(Defects::h2_no_redirects));
}

bool DefectInjector::may_open_session(const detail::Url& origin) {
  return !has(Defects::no_replacement_sessions) || lost_origins_.count(origin.origin()) == 0;
}

void DefectInjector::on_stream_started(Stats& stats) {
  if (has(Defects::fake_session_stats)) {
    ++stats.sessions_opened;  // a made-up "connection" per stream
  }
}

bool DefectInjector::h2_take_input(detail::H2Protocol& protocol,
                                   std::span<const std::uint8_t> bytes) {
  const bool late = has(Defects::fatal_late_frames);
  const bool window = has(Defects::ignore_settings_window_raise);
  if (!late && !window) {
    return false;
  }
  // Frame by frame, so that each frame header is judged once nghttp2 has processed every
  // frame before it (and closed the streams those frames ended).
  auto& cursor = cursors_[{protocol.origin().origin(), protocol.id()}];
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    std::size_t take = 0;
    if (cursor.payload_left > 0 && cursor.rewrite) {
      take = std::min(bytes.size() - pos, cursor.payload_left);
      cursor.payload.insert(cursor.payload.end(), bytes.begin() + static_cast<std::ptrdiff_t>(pos),
                            bytes.begin() + static_cast<std::ptrdiff_t>(pos + take));
      cursor.payload_left -= take;
      pos += take;
      if (cursor.payload_left == 0) {
        cursor.rewrite = false;
        keep_lowest_window(cursor);
        if (!protocol.feed(cursor.payload)) {
          return true;
        }
      }
      continue;
    }
    if (cursor.payload_left > 0) {
      take = std::min(bytes.size() - pos, cursor.payload_left);
      cursor.payload_left -= take;
    } else {
      take = std::min(bytes.size() - pos, kFrameHeaderBytes - cursor.head_size);
      std::copy_n(bytes.data() + pos, take, cursor.head + cursor.head_size);
      cursor.head_size += take;
    }
    if (!protocol.feed(bytes.subspan(pos, take))) {
      return true;
    }
    pos += take;
    if (cursor.head_size < kFrameHeaderBytes) {
      continue;
    }
    cursor.head_size = 0;
    const auto h = detail::h2_wire::read_frame_head(cursor.head);
    cursor.payload_left = h.length;
    const auto stream = static_cast<std::int32_t>(h.stream);
    if (window && h.type == detail::h2_wire::kSettings && (h.flags & detail::h2_wire::kAck) == 0 &&
        cursor.payload_left > 0) {
      cursor.rewrite = true;
      cursor.payload.clear();
    }
    // fatal_late_frames: the two frame types that may not arrive on a closed stream.
    if (late && (h.type == detail::h2_wire::kData || h.type == detail::h2_wire::kHeaders) &&
        protocol.stream_closed(stream)) {
      protocol.fail(CloseReason::protocol_error, errc::protocol_error,
                    "frame on closed stream " + std::to_string(stream));
      return true;
    }
  }
  return true;
}

void DefectInjector::keep_lowest_window(FrameCursor& cursor) {
  auto& p = cursor.payload;
  for (std::size_t at = 0; at + kSettingEntry <= p.size(); at += kSettingEntry) {
    const auto id = static_cast<std::uint16_t>(p[at] << 8 | p[at + 1]);
    if (id != kInitialWindowSize) {
      continue;
    }
    const std::uint32_t value = std::uint32_t{p[at + 2]} << 24 | std::uint32_t{p[at + 3]} << 16 |
                                std::uint32_t{p[at + 4]} << 8 | p[at + 5];
    if (value <= cursor.window) {
      cursor.window = value;
      continue;
    }
    // The raise is lost: the value in force goes to nghttp2 instead.
    for (int i = 0; i < 4; ++i) {
      p[at + 2 + i] = static_cast<std::uint8_t>(cursor.window >> (24 - 8 * i));
    }
  }
}

bool DefectInjector::h2_credit_now(const detail::H2Protocol& protocol, std::int32_t stream_id) {
  // Serial: only the oldest open stream gets its window back.
  return !has(Defects::serial_stream_credit) || protocol.lowest_open_stream() == stream_id;
}

std::int32_t DefectInjector::h2_response_stream(const detail::H2Protocol& protocol,
                                                std::int32_t stream_id) {
  if (!has(Defects::fifo_response_matching)) {
    return stream_id;
  }
  // The oldest request still waiting for a head gets this one.
  const auto waiting = protocol.streams_awaiting_head();
  return waiting.empty() || waiting.front() > stream_id ? stream_id : waiting.front();
}

}  // namespace faultline::transport::testing
