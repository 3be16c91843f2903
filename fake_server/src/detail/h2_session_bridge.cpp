// The nghttp2 bridge of the server's HTTP/2 session: one forwarding function per
// callback (cast user_data, call one H2Session member, map exceptions to
// NGHTTP2_ERR_CALLBACK_FAILURE), the callback table and the session options, built once,
// and nghttp2's frames in the server's terms (timeline facts, flood budgets).
#include "detail/h2_session_bridge.h"

#include <memory>
#include <new>
#include <string_view>

#include "detail/h2_session.h"
#include "detail/log.h"
#include "detail/server_limits.h"

namespace faultline::fake_server::detail {

namespace {

std::string_view view(const std::uint8_t* data, std::size_t length) {
  return {reinterpret_cast<const char*>(data), length};
}

H2Session& self(void* user_data) {
  return *static_cast<H2Session*>(user_data);
}

// One forwarding function per callback: cast user_data, call the member, map
// exceptions to NGHTTP2_ERR_CALLBACK_FAILURE.
int forward_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  try {
    return self(user_data).on_begin_headers(*frame);
  } catch (...) {
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }
}

int forward_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
                   std::size_t namelen, const std::uint8_t* value, std::size_t valuelen,
                   std::uint8_t, void* user_data) {
  try {
    return self(user_data).on_header(*frame, view(name, namelen), view(value, valuelen));
  } catch (...) {
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }
}

int forward_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  try {
    return self(user_data).on_frame_recv(*frame);
  } catch (...) {
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }
}

int forward_data_chunk_recv(nghttp2_session*, std::uint8_t, std::int32_t stream_id,
                            const std::uint8_t* data, std::size_t len, void* user_data) {
  try {
    return self(user_data).on_data_chunk_recv(stream_id, view(data, len));
  } catch (...) {
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }
}

int forward_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  try {
    return self(user_data).on_frame_send(*frame);
  } catch (...) {
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }
}

int forward_stream_close(nghttp2_session*, std::int32_t stream_id, std::uint32_t error_code,
                         void* user_data) {
  try {
    return self(user_data).on_stream_close(stream_id, error_code);
  } catch (...) {
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }
}

int forward_error(nghttp2_session*, int lib_error_code, const char* msg, std::size_t len,
                  void* user_data) {
  FAULTLINE_LOG(debug, (LogTag{"h2"}),
                "nghttp2: " << std::string_view(msg, len) << " (" << lib_error_code << ")");
  return 0;
}

}  // namespace

ssize_t h2_read_body(nghttp2_session*, std::int32_t stream_id, std::uint8_t* buf,
                     std::size_t length, std::uint32_t* data_flags, nghttp2_data_source*,
                     void* user_data) {
  try {
    return self(user_data).on_read_body(stream_id, buf, length, data_flags);
  } catch (...) {
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }
}

const nghttp2_session_callbacks* h2_session_callbacks() {
  struct Deleter {
    void operator()(nghttp2_session_callbacks* cbs) const noexcept {
      nghttp2_session_callbacks_del(cbs);
    }
  };
  static const std::unique_ptr<nghttp2_session_callbacks, Deleter> table = [] {
    nghttp2_session_callbacks* cbs = nullptr;
    if (nghttp2_session_callbacks_new(&cbs) != 0) {
      throw std::bad_alloc();
    }
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, forward_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cbs, forward_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, forward_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, forward_data_chunk_recv);
    nghttp2_session_callbacks_set_on_frame_send_callback(cbs, forward_frame_send);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, forward_stream_close);
    nghttp2_session_callbacks_set_error_callback2(cbs, forward_error);
    return std::unique_ptr<nghttp2_session_callbacks, Deleter>(cbs);
  }();
  return table.get();
}

const nghttp2_option* h2_session_options(bool flood_guard, bool index_nothing) {
  struct Deleter {
    void operator()(nghttp2_option* option) const noexcept { nghttp2_option_del(option); }
  };
  const auto make = [](bool guard, bool no_index) {
    nghttp2_option* option = nullptr;
    if (nghttp2_option_new(&option) != 0) {
      throw std::bad_alloc();
    }
    // Closed streams are kept only for the priority tree RFC 9113 deprecates; without a
    // local SETTINGS_MAX_CONCURRENT_STREAMS (the server enforces its own limit) nghttp2
    // would keep every one of them for the life of the connection.
    nghttp2_option_set_no_closed_streams(option, 1);
    if (guard) {
      nghttp2_option_set_stream_reset_rate_limit(option, kNghttp2ResetBurst, kNghttp2ResetRate);
    }
    // respond.header_block sends heads far beyond nghttp2's default 64 KiB.
    nghttp2_option_set_max_send_header_block_length(option, kMaxSendHeaderBlockBytes);
    if (no_index) {
      nghttp2_option_set_max_deflate_dynamic_table_size(option, 0);
    }
    return std::unique_ptr<nghttp2_option, Deleter>(option);
  };
  static const std::unique_ptr<nghttp2_option, Deleter> options[2][2] = {
      {make(false, false), make(false, true)}, {make(true, false), make(true, true)}};
  return options[flood_guard ? 1 : 0][index_nothing ? 1 : 0].get();
}

std::vector<std::pair<std::uint16_t, std::uint32_t>> settings_entries(const nghttp2_frame& frame) {
  std::vector<std::pair<std::uint16_t, std::uint32_t>> entries;
  entries.reserve(frame.settings.niv);
  for (std::size_t i = 0; i < frame.settings.niv; ++i) {
    entries.emplace_back(static_cast<std::uint16_t>(frame.settings.iv[i].settings_id),
                         frame.settings.iv[i].value);
  }
  return entries;
}

FrameFacts frame_facts(const nghttp2_frame& frame, Direction dir, std::uint32_t length,
                       bool opens) {
  FrameFacts facts;
  facts.dir = dir;
  facts.type = frame.hd.type <= NGHTTP2_CONTINUATION ? static_cast<EventType>(frame.hd.type)
                                                     : EventType::unknown_frame;
  facts.flags = frame.hd.flags;
  facts.stream = frame.hd.stream_id;
  facts.length = length;
  switch (frame.hd.type) {
    case NGHTTP2_RST_STREAM:
      facts.error_code = frame.rst_stream.error_code;
      break;
    case NGHTTP2_GOAWAY:
      facts.error_code = frame.goaway.error_code;
      facts.last_stream_id = frame.goaway.last_stream_id;
      break;
    case NGHTTP2_WINDOW_UPDATE:
      facts.window_increment =
          static_cast<std::uint32_t>(frame.window_update.window_size_increment);
      break;
    case NGHTTP2_HEADERS:
      facts.opens_stream =
          opens && dir == Direction::in && frame.headers.cat == NGHTTP2_HCAT_REQUEST;
      break;
    default:
      break;
  }
  return facts;
}

std::optional<FloodKind> flood_kind(const nghttp2_frame& frame) {
  const bool ack = (frame.hd.flags & NGHTTP2_FLAG_ACK) != 0;
  switch (frame.hd.type) {
    case NGHTTP2_SETTINGS:
      return ack ? std::nullopt : std::optional(FloodKind::settings);
    case NGHTTP2_PING:
      return ack ? std::nullopt : std::optional(FloodKind::ping);
    case NGHTTP2_WINDOW_UPDATE:
      return FloodKind::window_update;
    case NGHTTP2_PRIORITY:
      return FloodKind::priority;
    case NGHTTP2_RST_STREAM:
      return FloodKind::reset_stream;
    case NGHTTP2_DATA:
      if (frame.hd.length == 0 && (frame.hd.flags & NGHTTP2_FLAG_END_STREAM) == 0) {
        return FloodKind::empty_data;
      }
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

}  // namespace faultline::fake_server::detail
