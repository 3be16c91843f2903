#include "detail/h2_session.h"

#include <cstring>

#include "detail/h2_interim.h"
#include "detail/h2_session_bridge.h"
#include "detail/h2_session_stream.h"
#include "detail/log.h"
#include "detail/server_limits.h"
#include "detail/tenant.h"
#include "detail/text.h"

namespace faultline::fake_server::detail {

H2Session::H2Session(SessionEnv env)
    : env_(std::move(env)),
      scenario_(env_.context.scenarios),
      flood_guard_(scenario_.get()->limits.flood_guard) {
  nghttp2_session* session = nullptr;
  if (nghttp2_session_server_new3(
          &session, h2_session_callbacks(), this,
          h2_session_options(flood_guard_, scenarios::routes_update_table_size(*scenario_.get())),
          memory_.mem()) != 0) {
    throw std::bad_alloc();
  }
  session_.reset(session);
  faults_ = std::make_unique<H2Faults>(env_, session_.get());
}

H2Session::~H2Session() = default;

void H2Session::start() {
  const scenarios::H2Settings& s = scenario_.get()->settings;
  std::vector<nghttp2_settings_entry> entries;
  if (s.max_concurrent_streams) {
    entries.push_back({NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, *s.max_concurrent_streams});
  }
  entries.push_back({NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, s.initial_window_size});
  entries.push_back({NGHTTP2_SETTINGS_MAX_FRAME_SIZE, s.max_frame_size});
  if (s.header_table_size) {
    entries.push_back({NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, *s.header_table_size});
  }
  if (s.max_header_list_size) {
    entries.push_back({NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, *s.max_header_list_size});
  }
  // The stream limit is the server's to enforce: nghttp2 never learns it.
  entries = faults_->initial_settings(std::move(entries));
  const int rv =
      nghttp2_submit_settings(session_.get(), NGHTTP2_FLAG_NONE, entries.data(), entries.size());
  if (rv != 0) {
    fail("nghttp2_submit_settings", rv);
  }
  faults_->on_ready();
  env_.host.signal_write();
}

H2Session::Stream* H2Session::find(std::int32_t stream_id) const {
  auto it = streams_.find(stream_id);
  return it == streams_.end() ? nullptr : it->second.get();
}

void H2Session::fail(const char* what, int code, std::uint32_t error) {
  FAULTLINE_LOG(debug, (LogTag{"h2", env_.stats->id()}),
                what << " failed: " << nghttp2_strerror(code));
  if (!failed_) {
    failed_ = true;
    // A connection error: GOAWAY(error), then close once it is flushed.
    nghttp2_session_terminate_session(session_.get(), error);
  }
}

bool H2Session::within_budget(const nghttp2_frame& frame) {
  const auto kind = flood_kind(frame);
  if (!kind || flood_.spend(*kind, FloodGuard::Clock::now())) {
    return true;
  }
  FAULTLINE_LOG(warn, (LogTag{"h2", env_.stats->id()}),
                "closing: " << to_string(*kind) << " flood (GOAWAY ENHANCE_YOUR_CALM)");
  env_.stats->count_guard(std::string("flood:") + to_string(*kind));
  fail("flood guard", 0, NGHTTP2_ENHANCE_YOUR_CALM);
  return false;
}

void H2Session::on_input(std::span<const std::uint8_t> bytes) {
  if (failed_) {
    return;
  }
  const auto rv = nghttp2_session_mem_recv(session_.get(), bytes.data(), bytes.size());
  if (rv < 0) {
    FAULTLINE_LOG(warn, (LogTag{"h2", env_.stats->id()}),
                  "closing: bad input from the client: " << nghttp2_strerror(static_cast<int>(rv)));
    // Too many SETTINGS/PING ACKs queued (nghttp2's max_outbound_ack): a flood too.
    const bool flooded = rv == NGHTTP2_ERR_FLOODED;
    if (flooded) {
      env_.stats->count_guard("flood:outbound_ack");
    }
    fail("nghttp2_session_mem_recv", static_cast<int>(rv),
         flooded ? NGHTTP2_ENHANCE_YOUR_CALM : NGHTTP2_PROTOCOL_ERROR);
  }
}

void H2Session::produce_output(std::vector<std::uint8_t>& out, std::size_t max) {
  while (out.size() < max) {
    if (faults_->output_stopped()) {
      faults_->drain_raw(out);  // raw frames queued before the close still go out
      return;
    }
    const std::uint8_t* data = nullptr;
    const auto n = nghttp2_session_mem_send(session_.get(), &data);
    if (n < 0) {
      FAULTLINE_LOG(warn, (LogTag{"h2", env_.stats->id()}),
                    "nghttp2_session_mem_send: " << nghttp2_strerror(static_cast<int>(n)));
      failed_ = true;
      return;
    }
    if (n == 0) {
      break;
    }
    const std::size_t from = out.size();
    out.insert(out.end(), data, data + n);
    faults_->on_output(out, from);
  }
  if (!faults_->output_stopped()) {
    faults_->drain_raw(out);
  }
}

bool H2Session::should_close() const {
  if (failed_) {
    return !nghttp2_session_want_write(session_.get());
  }
  if (const auto decided = faults_->should_close()) {
    return *decided;
  }
  return !nghttp2_session_want_read(session_.get()) && !nghttp2_session_want_write(session_.get());
}

void H2Session::on_peer_closed() {
  failed_ = true;
}

void H2Session::shutdown() {
  nghttp2_session_terminate_session(session_.get(), NGHTTP2_NO_ERROR);
  env_.host.signal_write();
}

void H2Session::on_closed(std::string_view reason) {
  for (auto& [id, stream] : streams_) {
    if (stream->ticket) {
      gates_of(env_.context, stream->tenant).cancel(*stream->ticket);
    }
  }
  streams_.clear();
  env_.stats->close(reason);
}

SessionPhase H2Session::phase() const {
  if (!peer_settings_) {
    return SessionPhase::awaiting_head;
  }
  return streams_.empty() ? SessionPhase::idle : SessionPhase::busy;
}

void H2Session::apply_admin(const AdminAction& action) {
  faults_->apply_admin(action);
}

void H2Session::record_frame(const nghttp2_frame& frame, Direction dir, bool opens) {
  auto length = static_cast<std::uint32_t>(frame.hd.length);
  if (dir == Direction::out) {
    // What reaches the wire: a cut HEADERS frame, a patched SETTINGS frame.
    length = faults_->bytes_written(frame);
    if (frame.hd.type == NGHTTP2_SETTINGS && (frame.hd.flags & NGHTTP2_FLAG_ACK) == 0) {
      length += faults_->settings_patch_bytes();
    }
  }
  auto facts = frame_facts(frame, dir, length, opens);
  if (dir == Direction::out && frame.hd.type == NGHTTP2_DATA) {
    facts.remote_window =
        nghttp2_session_get_stream_remote_window_size(session_.get(), frame.hd.stream_id);
  }
  env_.stats->on_frame(facts);
}

int H2Session::on_begin_headers(const nghttp2_frame& frame) {
  if (frame.hd.type != NGHTTP2_HEADERS || frame.headers.cat != NGHTTP2_HCAT_REQUEST) {
    return 0;
  }
  const std::int32_t id = frame.hd.stream_id;
  if (spare_streams_.empty()) {
    auto stream = std::make_unique<Stream>();
    stream->id = id;
    streams_.insert_or_assign(id, std::move(stream));
    return 0;
  }
  // A closed stream's map node, with its Stream and the strings' storage: no allocation.
  StreamMap::node_type node = std::move(spare_streams_.back());
  spare_streams_.pop_back();
  node.key() = id;
  node.mapped()->id = id;
  if (auto result = streams_.insert(std::move(node)); !result.inserted) {
    result.position->second = std::move(result.node.mapped());
  }
  return 0;
}

int H2Session::on_header(const nghttp2_frame& frame, std::string_view name,
                         std::string_view value) {
  Stream* stream = find(frame.hd.stream_id);
  if (stream == nullptr || frame.headers.cat != NGHTTP2_HCAT_REQUEST) {
    return 0;
  }
  // RFC 7541 4.1 entry size, as SETTINGS_MAX_HEADER_LIST_SIZE counts it.
  stream->header_bytes += name.size() + value.size() + 32;
  if (stream->header_bytes > scenario_.get()->limits.max_header_bytes) {
    stream->headers_too_large = true;
    return 0;
  }
  if (!name.empty() && name.front() == ':') {
    if (name == ":method") {
      stream->head.method = value;
    } else if (name == ":path") {
      split_target(value, stream->head.path, stream->head.query);
    }
    return 0;
  }
  if (name == kRequestIdHeader) {
    stream->request_id = value;
  } else if (name == kNamespaceHeader) {
    stream->ns_header = value;
  } else if (name == kScenarioHeader) {
    stream->scenario_header = value;
  } else if (name == "content-type") {
    stream->content_type = value;
  } else if (name == "content-length") {
    stream->content_length = parse_u64(value);
  }
  auto& fields = stream->head.headers;
  if (stream->header_count < fields.size()) {
    fields[stream->header_count].first.assign(name);
    fields[stream->header_count].second.assign(value);
  } else {
    fields.emplace_back(name, value);
  }
  ++stream->header_count;
  return 0;
}

int H2Session::on_frame_recv(const nghttp2_frame& frame) {
  if (failed_) {
    return 0;  // the rest of a read after a flood or a connection error
  }
  if (flood_guard_ && !within_budget(frame)) {
    return 0;
  }
  // A new stream meets the stream limit and the faults before it counts as opened.
  H2Faults::Verdict verdict = H2Faults::Verdict::serve;
  Stream* stream = nullptr;
  if (frame.hd.type == NGHTTP2_HEADERS && frame.headers.cat == NGHTTP2_HCAT_REQUEST) {
    flood_.on_stream_opened();
    stream = find(frame.hd.stream_id);
    if (stream != nullptr) {
      stream->head.headers.resize(stream->header_count);
      choose_tenant(*stream);
      verdict = faults_->on_request_headers(stream->id, stream->head.method, stream->head.path,
                                            stream->request_id);
    }
  }
  record_frame(frame, Direction::in, verdict != H2Faults::Verdict::refused);
  if (frame.hd.type == NGHTTP2_SETTINGS) {
    peer_settings_ = true;  // nghttp2 refuses anything else first (RFC 9113 3.4)
    if ((frame.hd.flags & NGHTTP2_FLAG_ACK) == 0) {
      env_.stats->on_client_settings(settings_entries(frame));
    }
  }
  faults_->on_frame_recv(frame);
  switch (frame.hd.type) {
    case NGHTTP2_HEADERS:
      stream = find(frame.hd.stream_id);
      if (stream == nullptr) {
        return 0;
      }
      if (frame.headers.cat == NGHTTP2_HCAT_REQUEST) {
        stream->counted = verdict != H2Faults::Verdict::refused;
        if (verdict != H2Faults::Verdict::serve) {
          stream->rejected = true;  // refused or reset: never routed, never served
          return 0;
        }
        on_request_headers(*stream);
        const bool body_follows = (frame.hd.flags & NGHTTP2_FLAG_END_STREAM) == 0;
        if (body_follows && !stream->rejected && stream->match.route != nullptr &&
            stream->match.route->respond.early) {
          stream->early = true;  // RFC 9113 8.1: a complete response before the request
          answer(*stream);
          return 0;
        }
        if (body_follows && !stream->rejected && expects_continue(stream->head.headers) &&
            answers_expect_continue(stream->match)) {
          // RFC 9110 10.1.1: the body is welcome; say so before reading it.
          submit_interim(session_.get(), stream->id, 100, {});
          env_.host.signal_write();
        }
      }
      break;
    case NGHTTP2_DATA:
      stream = find(frame.hd.stream_id);
      break;
    default:
      return 0;
  }
  if (stream != nullptr && (frame.hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
    on_request_end(*stream);
  }
  return 0;
}

void H2Session::choose_tenant(Stream& stream) {
  auto chosen = select_tenant(env_.context, stream.head.path,
                              TenantChoice{stream.ns_header, stream.scenario_header});
  if (auto* error = std::get_if<TenantError>(&chosen)) {
    stream.tenant_error = std::move(*error);
    return;
  }
  stream.tenant = std::move(std::get<Tenant>(chosen));
  env_.stats->bind(stream.tenant);
}

void H2Session::on_request_headers(Stream& stream) {
  const auto& scenario = scenario_.get();
  if (stream.tenant_error) {
    reject(stream, stream.tenant_error->status, stream.tenant_error->message);
    return;
  }
  if (stream.headers_too_large) {
    reject(stream, 431, "request headers exceed max_header_bytes");
    return;
  }
  if (stream.content_length && *stream.content_length > scenario->limits.max_request_body_bytes) {
    reject(stream, 413, "request body exceeds max_request_body_bytes");
    return;
  }
  FAULTLINE_LOG(debug, (LogTag{"h2", env_.stats->id(), stream.id}),
                stream.head.method << " " << stream.head.path);
  stream.match =
      match_route(stream.tenant.scenario ? stream.tenant.scenario : scenario, env_.listener,
                  stream.head.method, stream.head.path, faults_->attempt());
  stream.match.prefix = stream.tenant.prefix;
  if (stream.match.echo()) {
    stream.echo = std::make_unique<EchoRecorder>(stream.content_type);
  }
}

int H2Session::on_data_chunk_recv(std::int32_t stream_id, std::string_view data) {
  Stream* stream = find(stream_id);
  if (stream == nullptr || stream->rejected || stream->early) {
    return 0;
  }
  stream->body_bytes += data.size();
  env_.stats->on_request_body(stream->request_id, data.size(), stream->tenant.ns.get());
  const auto& scenario = stream->match.scenario ? stream->match.scenario : scenario_.get();
  if (stream->body_bytes > scenario->limits.max_request_body_bytes) {
    reject(*stream, 413, "request body exceeds max_request_body_bytes");
    return 0;
  }
  if (stream->echo) {
    stream->echo->on_body(data);
  }
  return 0;
}

void H2Session::reject(Stream& stream, int status, std::string_view message) {
  FAULTLINE_LOG(debug, (LogTag{"h2", env_.stats->id(), stream.id}), status << " " << message);
  stream.rejected = true;
  stream.echo.reset();
  stream.plan = error_response(status, message);
  submit_response(stream);
}

void H2Session::on_request_end(Stream& stream) {
  if (!stream.rejected && !stream.early) {
    answer(stream);
  }
}

int H2Session::on_frame_send(const nghttp2_frame& frame) {
  record_frame(frame, Direction::out);
  if (frame.hd.type == NGHTTP2_DATA) {
    flood_.on_data_sent();
  }
  faults_->on_frame_send(frame);
  end_early_stream(frame);
  if (!is_final_head(frame)) {
    return 0;
  }
  // An early answer (413/431) is not "served". It leaves the upload running and its
  // DATA is dropped: a RST_STREAM(NO_ERROR), which RFC 9113 8.1 allows, makes curl
  // 7.88 report a framing error instead of the response.
  Stream* stream = find(frame.hd.stream_id);
  if (stream != nullptr && !stream->rejected) {
    env_.stats->on_served(stream->request_id, stream->tenant.ns.get());
  }
  return 0;
}

void H2Session::end_early_stream(const nghttp2_frame& frame) {
  // RFC 9113 8.1: after a complete response, RST_STREAM(NO_ERROR) asks the client to stop
  // sending its request "without error". Only once END_STREAM is out: nghttp2 sends a
  // RST_STREAM ahead of queued DATA and drops the rest of the stream's output.
  if ((frame.hd.flags & NGHTTP2_FLAG_END_STREAM) == 0 ||
      (frame.hd.type != NGHTTP2_DATA && frame.hd.type != NGHTTP2_HEADERS)) {
    return;
  }
  const Stream* stream = find(frame.hd.stream_id);
  if (stream == nullptr || !stream->early ||
      nghttp2_session_get_stream_remote_close(session_.get(), stream->id) != 0) {
    return;
  }
  if (nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, stream->id, NGHTTP2_NO_ERROR) ==
      0) {
    env_.host.signal_write();
  }
}

int H2Session::on_stream_close(std::int32_t stream_id, std::uint32_t error_code) {
  faults_->on_stream_close(stream_id);
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) {
    return 0;
  }
  Stream& stream = *it->second;
  if (stream.ticket) {
    gates_of(env_.context, stream.tenant).cancel(*stream.ticket);
    --held_;
  }
  if (stream.counted) {
    env_.stats->on_stream_closed();
  }
  FAULTLINE_LOG(trace, (LogTag{"h2", env_.stats->id(), stream_id}),
                "closed (" << h2_error_name(error_code) << ")");
  if (spare_streams_.size() < kSpareStreams) {
    it->second->reset();
    spare_streams_.push_back(streams_.extract(it));
  } else {
    streams_.erase(it);
  }
  return 0;
}

}  // namespace faultline::fake_server::detail
