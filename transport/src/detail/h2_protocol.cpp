#include "detail/h2_protocol.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <utility>

#include "detail/hooks.h"
#include "detail/limits.h"
#include "detail/text.h"

namespace faultline::transport::detail {
namespace {

// ---- nghttp2 forwarding functions: cast user_data, call one member, contain exceptions.

H2Protocol& self_of(void* user_data) {
  return *static_cast<H2Protocol*>(user_data);
}

int cb_on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
                 std::size_t namelen, const std::uint8_t* value, std::size_t valuelen, std::uint8_t,
                 void* user_data) {
  try {
    return self_of(user_data).on_header(frame, {reinterpret_cast<const char*>(name), namelen},
                                        {reinterpret_cast<const char*>(value), valuelen});
  } catch (...) {
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }
}

int cb_on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  try {
    return self_of(user_data).on_frame_recv(frame);
  } catch (...) {
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }
}

int cb_on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  try {
    return self_of(user_data).on_frame_send(frame);
  } catch (...) {
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }
}

int cb_on_data_chunk(nghttp2_session*, std::uint8_t, std::int32_t stream_id,
                     const std::uint8_t* data, std::size_t len, void* user_data) {
  try {
    return self_of(user_data).on_data_chunk(stream_id, data, len);
  } catch (...) {
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }
}

int cb_on_stream_close(nghttp2_session*, std::int32_t stream_id, std::uint32_t error_code,
                       void* user_data) {
  try {
    return self_of(user_data).on_stream_close(stream_id, error_code);
  } catch (...) {
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }
}

int cb_on_invalid_frame(nghttp2_session*, const nghttp2_frame* frame, int lib_error,
                        void* user_data) {
  try {
    return self_of(user_data).on_invalid_frame(frame, lib_error);
  } catch (...) {
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }
}

int cb_on_error(nghttp2_session*, int, const char* msg, std::size_t len, void* user_data) {
  try {
    return self_of(user_data).on_error({msg, len});
  } catch (...) {
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }
}

ssize_t cb_read_body(nghttp2_session*, std::int32_t stream_id, std::uint8_t* buf,
                     std::size_t length, std::uint32_t* flags, nghttp2_data_source*,
                     void* user_data) {
  try {
    return self_of(user_data).on_read_body(stream_id, buf, length, flags);
  } catch (...) {
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  }
}

/** The callback table, built once. */
const nghttp2_session_callbacks* callbacks() {
  static const auto table = [] {
    nghttp2_session_callbacks* cbs = nullptr;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_header_callback(cbs, cb_on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, cb_on_frame_recv);
    nghttp2_session_callbacks_set_on_frame_send_callback(cbs, cb_on_frame_send);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, cb_on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, cb_on_stream_close);
    nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(cbs, cb_on_invalid_frame);
    nghttp2_session_callbacks_set_error_callback2(cbs, cb_on_error);
    return std::unique_ptr<nghttp2_session_callbacks, void (*)(nghttp2_session_callbacks*)>(
        cbs, nghttp2_session_callbacks_del);
  }();
  return table.get();
}

/** What nghttp2 assumes of the server's stream limit until its first SETTINGS: we wait
    for that SETTINGS before the first stream, so this only bounds a hook's eager start. */
constexpr std::uint32_t kStreamsBeforeSettings = 100;
constexpr std::uint32_t kUnlimitedStreams = (1U << 31) - 1;

}  // namespace

void H2Protocol::NgDeleter::operator()(nghttp2_session* session) const noexcept {
  nghttp2_session_del(session);
}

H2Protocol::H2Protocol(const H2SessionConfig& config, Url origin, SessionId id,
                       SessionEvents& events, H2ProtocolHost& host)
    : config_(config),
      hooks_(config.hooks),
      origin_(std::move(origin)),
      id_(id),
      events_(events),
      host_(host),
      coalescer_(kReceiveMaxFrameBytes) {}

H2Protocol::~H2Protocol() = default;

void H2Protocol::log(LogLevel level, std::int32_t stream, const std::string& text) const {
  if (!config_.log || level < config_.log_level) {
    return;
  }
  std::string line = "h2 [conn=" + std::to_string(id_);
  if (stream != 0) {
    line += " stream=" + std::to_string(stream);
  }
  line += "] " + origin_.origin() + ": " + text;
  config_.log(level, line);
}

void H2Protocol::start() {
  if (dead_ || ng_) {
    return;
  }
  const bool eager = hooks_ != nullptr && hooks_->h2_ready_before_settings();
  nghttp2_option* option = nullptr;
  nghttp2_option_new(&option);
  nghttp2_option_set_peer_max_concurrent_streams(
      option, eager ? kUnlimitedStreams : kStreamsBeforeSettings);
  // Windows are credited by hand: the connection's as bytes arrive, a stream's once its
  // consumer took them (receive backpressure, Client::pause).
  nghttp2_option_set_no_auto_window_update(option, 1);
  nghttp2_session* raw = nullptr;
  const int rv = nghttp2_session_client_new2(&raw, callbacks(), this, option);
  nghttp2_option_del(option);
  if (rv != 0) {
    fail(CloseReason::protocol_error, errc::protocol_error, nghttp2_strerror(rv));
    return;
  }
  ng_.reset(raw);
  // RFC 9113 8.4: we take no push.
  const std::uint32_t push = hooks_ == nullptr || hooks_->h2_disable_push() ? 0 : 1;
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, push},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<std::uint32_t>(kStreamWindow)},
      {NGHTTP2_SETTINGS_MAX_FRAME_SIZE, kReceiveMaxFrameBytes},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE,
       static_cast<std::uint32_t>(config_.max_response_header_bytes)},
  };
  nghttp2_submit_settings(ng_.get(), NGHTTP2_FLAG_NONE, settings, std::size(settings));
  nghttp2_session_set_local_window_size(ng_.get(), NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
  log(LogLevel::debug, 0, "h2 negotiated; waiting for SETTINGS");
  host_.signal_write();
  if (eager) {
    ready_ = true;
    host_.on_settled();
    report([this] { events_.on_session_ready(id_, UINT32_MAX); });
  }
}

bool H2Protocol::receive(std::span<const std::uint8_t> bytes) {
  if (dead_ || !ng_) {
    return false;
  }
  if (hooks_ != nullptr && hooks_->h2_take_input(*this, bytes)) {
    return !dead_;
  }
  return feed(bytes);
}

bool H2Protocol::feed(std::span<const std::uint8_t> bytes) {
  if (dead_ || !ng_) {
    return false;
  }
  if (hooks_ != nullptr && !hooks_->h2_coalesce_header_blocks()) {
    return read(bytes);
  }
  // Nothing while a block is held: nghttp2 1.52 counts every read that finds it waiting
  // for a CONTINUATION as one more of them, so it gets none without a frame. The spans
  // are views of `bytes` but for the blocks' frames: DATA is not copied.
  for (const auto span : coalescer_.push(bytes)) {
    if (!read(span)) {
      return false;
    }
  }
  return !dead_;
}

bool H2Protocol::read(std::span<const std::uint8_t> bytes) {
  const auto rv = nghttp2_session_mem_recv(ng_.get(), bytes.data(), bytes.size());
  if (rv < 0) {
    fail(CloseReason::protocol_error, errc::protocol_error, nghttp2_strerror(static_cast<int>(rv)));
    return false;
  }
  return !dead_ && ng_ != nullptr;
}

bool H2Protocol::produce_output(std::vector<std::uint8_t>& out, std::size_t max) {
  while (ng_ && !dead_ && out.size() < max) {
    const std::uint8_t* data = nullptr;
    const auto n = nghttp2_session_mem_send(ng_.get(), &data);
    if (n < 0) {
      fail(CloseReason::protocol_error, errc::protocol_error,
           nghttp2_strerror(static_cast<int>(n)));
      return false;
    }
    if (n == 0) {
      break;
    }
    out.insert(out.end(), data, data + n);
  }
  return true;
}

void H2Protocol::final_output(std::vector<std::uint8_t>& out) {
  while (ng_) {
    const std::uint8_t* data = nullptr;
    const auto n = nghttp2_session_mem_send(ng_.get(), &data);
    if (n <= 0) {
      break;
    }
    out.insert(out.end(), data, data + n);
  }
}

void H2Protocol::release() noexcept {
  ng_.reset();
}

void H2Protocol::on_ping_due() {
  if (dead_ || !ng_) {
    return;
  }
  if (ping_outstanding_) {
    on_ping_deadline();
    return;
  }
  send_ping();
}

bool H2Protocol::send_ping() {
  if (dead_ || !ng_ || ping_outstanding_) {
    return false;
  }
  ping_outstanding_ = true;
  nghttp2_submit_ping(ng_.get(), NGHTTP2_FLAG_NONE, nullptr);
  host_.signal_write();
  return true;
}

void H2Protocol::on_ping_deadline() {
  if (!dead_ && ng_ && ping_outstanding_) {
    fail(CloseReason::ping_timeout, errc::session_lost,
         "PING not acknowledged within " + std::to_string(config_.ping_timeout.count()) + " ms");
  }
}

bool H2Protocol::submit(const std::shared_ptr<Exchange>& exchange) {
  if (dead_ || owner_closed_ || goaway_received_ || !ng_) {
    return false;
  }
  const auto& url = exchange->url;
  std::vector<std::pair<std::string, std::string>> fields;
  fields.reserve(exchange->headers.size() + 5);
  fields.emplace_back(":method", exchange->method);
  fields.emplace_back(":scheme", url.scheme);
  fields.emplace_back(":authority", url.authority());
  fields.emplace_back(":path", url.path_and_query);
  for (const auto& [name, value] : exchange->headers) {
    fields.emplace_back(to_lower(name), value);
  }
  const bool has_body = !exchange->body.empty();
  if (const auto length = exchange->body.length();
      length && (has_body || exchange->method == "POST" || exchange->method == "PUT" ||
                 exchange->method == "PATCH")) {
    fields.emplace_back("content-length", std::to_string(*length));
  }
  std::vector<nghttp2_nv> nva;
  nva.reserve(fields.size());
  for (auto& [name, value] : fields) {
    nva.push_back({reinterpret_cast<std::uint8_t*>(name.data()),
                   reinterpret_cast<std::uint8_t*>(value.data()), name.size(), value.size(),
                   NGHTTP2_NV_FLAG_NONE});
  }
  nghttp2_data_provider provider{};
  provider.read_callback = cb_read_body;
  const auto stream_id = nghttp2_submit_request(ng_.get(), nullptr, nva.data(), nva.size(),
                                                has_body ? &provider : nullptr, nullptr);
  if (stream_id < 0) {
    log(LogLevel::warn, 0, std::string("submit failed: ") + nghttp2_strerror(stream_id));
    if (stream_id == NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE) {
      // Out of stream ids: finish the open streams, then close.
      nghttp2_session_terminate_session(ng_.get(), NGHTTP2_NO_ERROR);
      host_.signal_write();
    }
    return false;
  }
  exchange->placement.stream_id = stream_id;
  last_stream_id_ = std::max(last_stream_id_, stream_id);
  Stream stream;
  stream.exchange = exchange;
  stream.attempt = exchange->attempt;
  streams_.emplace(stream_id, std::move(stream));
  host_.signal_write();
  return true;
}

void H2Protocol::cancel(const Exchange& exchange) {
  const auto it = streams_.find(exchange.placement.stream_id);
  if (it == streams_.end() || it->second.exchange.get() != &exchange || it->second.cancelled) {
    return;
  }
  it->second.cancelled = true;
  if (ng_ && !dead_) {
    nghttp2_submit_rst_stream(ng_.get(), NGHTTP2_FLAG_NONE, it->first, NGHTTP2_CANCEL);
    host_.signal_write();
  }
}

void H2Protocol::close() {
  owner_closed_ = true;
  events_queue_.clear();
  if (ng_ && !dead_) {
    nghttp2_session_terminate_session(ng_.get(), NGHTTP2_NO_ERROR);
    host_.signal_write();
  }
  dead_ = true;
}

bool H2Protocol::stream_closed(std::int32_t stream_id) const noexcept {
  return stream_id > 0 && stream_id % 2 == 1 && stream_id <= last_stream_id_ &&
         streams_.count(stream_id) == 0;
}

std::vector<std::int32_t> H2Protocol::streams_awaiting_head() const {
  std::vector<std::int32_t> out;
  for (const auto& [id, stream] : streams_) {
    if (!stream.head_done && !stream.cancelled) {
      out.push_back(id);
    }
  }
  return out;
}

void H2Protocol::report_stream_closed(Stream stream, Outcome outcome) {
  report([this, exchange = std::move(stream.exchange), attempt = stream.attempt,
          outcome = std::move(outcome)]() mutable {
    events_.on_stream_closed(id_, std::move(exchange), attempt, std::move(outcome));
  });
}

void H2Protocol::flush_events() {
  if (flushing_) {
    return;
  }
  flushing_ = true;
  while (!events_queue_.empty() && !owner_closed_) {
    auto event = std::move(events_queue_.front());
    events_queue_.pop_front();
    event();
  }
  events_queue_.clear();
  flushing_ = false;
}

ssize_t H2Protocol::on_read_body(std::int32_t stream_id, std::uint8_t* buf, std::size_t length,
                                 std::uint32_t* flags) {
  const auto it = streams_.find(stream_id);
  if (it == streams_.end() || it->second.cancelled) {
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  }
  if (hooks_ != nullptr && !hooks_->h2_send_upload_frame(length)) {
    return NGHTTP2_ERR_DEFERRED;
  }
  const auto result = it->second.exchange->read_body({reinterpret_cast<char*>(buf), length});
  if (result.failed) {
    it->second.body_failed = true;
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  }
  if (result.end) {
    *flags |= NGHTTP2_DATA_FLAG_EOF;
  } else if (result.size == 0) {
    // The source has nothing now: ask again on the next loop turn.
    host_.defer([this, stream_id] {
      if (ng_ && !dead_) {
        nghttp2_session_resume_data(ng_.get(), stream_id);
        host_.signal_write();
      }
    });
    return NGHTTP2_ERR_DEFERRED;
  }
  return static_cast<ssize_t>(result.size);
}

}  // namespace faultline::transport::detail
