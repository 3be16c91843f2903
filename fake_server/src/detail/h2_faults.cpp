#include "detail/h2_faults.h"

#include <algorithm>

#include "faultline/scenarios/loader.h"
#include "detail/log.h"

namespace faultline::fake_server::detail {

namespace {

constexpr std::size_t kFrameHeader = 9;
constexpr std::uint8_t kTypeData = 0x0;
constexpr std::uint8_t kTypeHeaders = 0x1;
constexpr std::uint8_t kTypeSettings = 0x4;
constexpr std::uint8_t kTypeGoaway = 0x7;
constexpr std::uint8_t kFlagEndStream = 0x1;
constexpr std::uint8_t kFlagAck = 0x1;
constexpr std::uint8_t kFlagEndHeaders = 0x4;

void put24(std::vector<std::uint8_t>& out, std::uint32_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 16));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

void put32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 24));
  out.push_back(static_cast<std::uint8_t>(v >> 16));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

void frame_header(std::vector<std::uint8_t>& out, std::uint32_t length, std::uint8_t type,
                  std::uint8_t flags, std::uint32_t stream) {
  put24(out, length);
  out.push_back(type);
  out.push_back(flags);
  put32(out, stream & 0x7fffffffu);
}

/** An HPACK string literal, no Huffman (RFC 7541 5.2), 7-bit prefix length. */
void hpack_string(std::vector<std::uint8_t>& out, std::string_view text) {
  std::size_t n = text.size();
  if (n < 127) {
    out.push_back(static_cast<std::uint8_t>(n));
  } else {
    out.push_back(127);
    n -= 127;
    while (n >= 128) {
      out.push_back(static_cast<std::uint8_t>((n % 128) + 128));
      n /= 128;
    }
    out.push_back(static_cast<std::uint8_t>(n));
  }
  out.insert(out.end(), text.begin(), text.end());
}

std::uint32_t read24(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 16) | (std::uint32_t{p[1]} << 8) | p[2];
}

std::uint32_t read31(const std::uint8_t* p) {
  return ((std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
          p[3]) &
         0x7fffffffu;
}

template <class T>
const T* find_action(const std::vector<const scenarios::Action*>& actions) {
  for (const auto* action : actions) {
    if (const auto* a = std::get_if<T>(action))
      return a;
  }
  return nullptr;
}

}  // namespace

H2Faults::H2Faults(SessionEnv& env, nghttp2_session* session)
    : env_(env),
      session_(session),
      faults_(env.context, env.context.scenarios.current(), env.listener, env.stats, true) {}

double H2Faults::now_ms() const {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_)
      .count();
}

std::vector<nghttp2_settings_entry> H2Faults::initial_settings(
    std::vector<nghttp2_settings_entry> entries) {
  std::optional<std::uint32_t> limit;
  std::erase_if(entries, [&](const nghttp2_settings_entry& e) {
    if (e.settings_id != NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS)
      return false;
    limit = e.value;
    return true;
  });
  settings_patches_.push_back(limit);
  return entries;
}

void H2Faults::on_ready() {
  execute(faults_.on_ready(), std::nullopt);
  if (auto storm = env_.context.faults.storm_for(env_.listener)) {
    FAULTLINE_LOG(debug, (LogTag{"fault", env_.stats->id()}), "storm: GOAWAY(0)");
    keep_open_ = true;
    storm_close_after_ = storm->close_after_ms;
    nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, 0, static_cast<std::uint32_t>(storm->error),
                          reinterpret_cast<const std::uint8_t*>(storm->debug.data()),
                          storm->debug.size());
  }
  for (const auto& [index, ms] : faults_.after_ms_faults()) {
    env_.host.run_after(std::chrono::milliseconds(ms), [this, index = index] {
      execute(faults_.on_after_ms(index), std::nullopt);
      env_.host.signal_write();
    });
  }
  env_.host.signal_write();
}

std::optional<std::uint32_t> H2Faults::effective_limit() const {
  // Until the client acknowledges a change, the larger of old and new holds.
  std::optional<std::uint32_t> limit = acked_limit_;
  for (const auto& pending : unacked_limits_) {
    if (!pending)
      continue;
    if (!limit)
      return std::nullopt;  // the old value was "no limit"
    limit = std::max(*limit, *pending);
  }
  // A limit announced but not yet acknowledged is not in force against unlimited.
  return limit;
}

H2Faults::Verdict H2Faults::on_request_headers(std::int32_t id, std::string_view method,
                                               std::string_view path, std::string_view request_id) {
  if (const auto limit = effective_limit(); limit && open_.size() >= *limit) {
    env_.stats->count_stream_limit_violation();
    if (faults_.scenario().enforce_stream_limit) {
      FAULTLINE_LOG(debug, (LogTag{"fault", env_.stats->id(), id}),
                    "refused: " << open_.size() << " open, limit " << *limit);
      nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, NGHTTP2_REFUSED_STREAM);
      env_.host.signal_write();
      return Verdict::refused;
    }
  }
  open_.insert(id);
  ++opened_;
  if (id > highest_) {
    previous_ = highest_;
    highest_ = id;
  }
  info_[id] = StreamInfo{std::string(method), std::string(path)};
  if (abandoned(id))
    return Verdict::reset;  // opened after our GOAWAY, above its last-stream-id
  auto pending = std::move(next_stream_);
  next_stream_.clear();
  for (const auto* action : pending)
    act(*action, id, nullptr, true);
  execute(faults_.on_stream_open(method, path, request_id, opened_, open_.size()), id);
  env_.host.signal_write();
  return reset_.count(id) != 0 ? Verdict::reset : Verdict::serve;
}

void H2Faults::execute(const std::vector<Firing>& firings, std::optional<std::int32_t> stream) {
  for (const Firing& firing : firings)
    act(firing.fault->action, stream, &firing.fault->listener, false);
}

void H2Faults::act(const scenarios::Action& action, std::optional<std::int32_t> stream,
                   const std::optional<std::string>* listener, bool from_admin) {
  const bool bound = scenarios::is_stream_bound(action);
  if (bound && !stream) {
    next_stream_.push_back(&action);
    return;
  }
  if (stream && reset_.count(*stream) != 0 && bound)
    return;  // an earlier fault already reset it
  std::visit(
      [&](const auto& a) {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, scenarios::GoawayAction>) {
          goaway(a);
        } else if constexpr (std::is_same_v<T, scenarios::SettingsAction>) {
          settings(a);
        } else if constexpr (std::is_same_v<T, scenarios::RstStreamAction>) {
          if (a.at == scenarios::RstPoint::before_headers) {
            reset_.insert(*stream);
            nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, *stream,
                                      static_cast<std::uint32_t>(a.error));
          } else {
            targets_[*stream].push_back(&action);
          }
        } else if constexpr (std::is_same_v<T, scenarios::DataAfterEndStreamAction> ||
                             std::is_same_v<T, scenarios::DataAfterRstAction>) {
          targets_[*stream].push_back(&action);
        } else if constexpr (std::is_same_v<T, scenarios::DataUnknownStreamAction>) {
          std::uint32_t id = a.stream_id.id;
          if (a.stream_id.kind == scenarios::UnknownStreamId::Kind::next_odd)
            id = highest_ == 0 ? 1 : static_cast<std::uint32_t>(highest_) + 2;
          else if (a.stream_id.kind == scenarios::UnknownStreamId::Kind::next_even)
            id = 2;
          for (std::uint32_t i = 0; i < a.frames; ++i) {
            if (!raw_data(static_cast<std::int32_t>(id), a.frame_bytes))
              break;
          }
        } else if constexpr (std::is_same_v<T, scenarios::CloseAction>) {
          if (a.at == scenarios::ClosePoint::now && stream)
            reset_.insert(*stream);  // the request that closes the connection is not served
          if (a.at != scenarios::ClosePoint::now) {
            targets_[*stream].push_back(&action);
          } else if (a.all_connections && !from_admin) {
            scenarios::CloseAction one = a;
            one.all_connections = false;
            auto shared = std::make_shared<const AdminAction>(AdminAction{one, ""});
            env_.context.live.act(shared, listener != nullptr ? *listener : std::nullopt);
          } else {
            close(a.mode, "close fault");
          }
        } else if constexpr (std::is_same_v<T, scenarios::PingAction>) {
          ping_tick(++ping_series_, a.count, a.interval_ms);
        } else if constexpr (std::is_same_v<T, scenarios::StormAction>) {
          env_.context.faults.start_storm(a, listener != nullptr ? *listener : std::nullopt);
          if (!storm_close_after_ && !keep_open_ && highest_ == 0 &&
              env_.context.faults.storm_for(env_.listener)) {
            // The connection whose connect fired it is stormed too.
            keep_open_ = true;
            storm_close_after_ = a.close_after_ms;
            nghttp2_submit_goaway(
                session_, NGHTTP2_FLAG_NONE, 0, static_cast<std::uint32_t>(a.error),
                reinterpret_cast<const std::uint8_t*>(a.debug.data()), a.debug.size());
          }
        }
      },
      action);
  env_.host.signal_write();
}

void H2Faults::apply_admin(const AdminAction& action) {
  auto kept = std::make_shared<const AdminAction>(action);
  admin_keep_.push_back(kept);
  if (!action.key.empty())
    env_.stats->count_fault(action.key, false);
  act(kept->action, std::nullopt, nullptr, true);
}

void H2Faults::goaway(const scenarios::GoawayAction& action) {
  if (action.graceful_delay_ms) {
    nghttp2_submit_shutdown_notice(session_);
    env_.host.run_after(std::chrono::milliseconds(*action.graceful_delay_ms), [this, &action] {
      final_goaway(action);
      env_.host.signal_write();
    });
    return;
  }
  final_goaway(action);
}

void H2Faults::final_goaway(const scenarios::GoawayAction& action) {
  std::uint32_t last = 0;
  switch (action.last_stream_id.kind) {
    case scenarios::LastStreamId::Kind::current:
      last = static_cast<std::uint32_t>(highest_);
      break;
    case scenarios::LastStreamId::Kind::previous:
      last = static_cast<std::uint32_t>(previous_);
      break;
    case scenarios::LastStreamId::Kind::max:
      last = scenarios::kMaxStreamId;
      break;
    case scenarios::LastStreamId::Kind::number:
      last = action.last_stream_id.id;
      break;
  }
  keep_open_ = true;
  goaway_last_ = static_cast<std::int32_t>(last);
  close_when_idle_ = action.close_when_idle;
  const auto* debug = reinterpret_cast<const std::uint8_t*>(action.debug.data());
  const int rv =
      nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, static_cast<std::int32_t>(last),
                            static_cast<std::uint32_t>(action.error), debug, action.debug.size());
  if (rv != 0) {
    // An id nghttp2 refuses (even: a server stream id): the raw writer sends it.
    frame_header(raw_, static_cast<std::uint32_t>(8 + action.debug.size()), kTypeGoaway, 0, 0);
    put32(raw_, last);
    put32(raw_, static_cast<std::uint32_t>(action.error));
    raw_.insert(raw_.end(), debug, debug + action.debug.size());
    FrameFacts facts;
    facts.dir = Direction::out;
    facts.type = EventType::goaway;
    facts.length = static_cast<std::uint32_t>(8 + action.debug.size());
    facts.error_code = static_cast<std::int64_t>(action.error);
    facts.last_stream_id = static_cast<std::int32_t>(last);
    env_.stats->on_frame(facts);
    goaway_written_ = true;
    raw_goaway_last_ = static_cast<std::int32_t>(last);
    check_idle();  // a close still writes the raw frames queued before it
  }
  if (action.close_after_ms) {
    env_.host.run_after(std::chrono::milliseconds(*action.close_after_ms), [this] {
      close(scenarios::CloseMode::close_notify, "goaway: close_after_ms");
    });
  }
  env_.host.signal_write();
}

void H2Faults::settings(const scenarios::SettingsAction& action) {
  std::vector<nghttp2_settings_entry> entries;
  if (action.initial_window_size)
    entries.push_back({NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, *action.initial_window_size});
  if (action.max_frame_size)
    entries.push_back({NGHTTP2_SETTINGS_MAX_FRAME_SIZE, *action.max_frame_size});
  if (action.header_table_size)
    entries.push_back({NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, *action.header_table_size});
  if (action.max_header_list_size)
    entries.push_back({NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, *action.max_header_list_size});
  if (nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, entries.data(), entries.size()) == 0)
    settings_patches_.push_back(action.max_concurrent_streams);
}

void H2Faults::ping_tick(std::uint64_t series, std::optional<std::uint32_t> left,
                         std::uint32_t interval) {
  if (series != ping_series_)
    return;
  const std::uint64_t counter = ++ping_counter_;
  std::array<std::uint8_t, 8> opaque{};
  for (int i = 0; i < 8; ++i)
    opaque[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(counter >> (56 - 8 * i));
  nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, opaque.data());
  env_.host.signal_write();
  if (left && --*left == 0)
    return;
  env_.host.run_after(std::chrono::milliseconds(interval),
                      [this, series, left, interval] { ping_tick(series, left, interval); });
}

bool H2Faults::raw_data(std::int32_t id, std::uint32_t bytes) {
  const std::int64_t window = nghttp2_session_get_remote_window_size(session_);
  if (static_cast<std::int64_t>(late_bytes_) + bytes > window)
    return false;
  late_bytes_ += bytes;
  frame_header(raw_, bytes, kTypeData, 0, static_cast<std::uint32_t>(id));
  raw_.insert(raw_.end(), bytes, static_cast<std::uint8_t>(scenarios::kLateDataByte));
  FrameFacts facts;
  facts.dir = Direction::out;
  facts.type = EventType::data;
  facts.stream = id;
  facts.length = bytes;
  env_.stats->on_frame(facts);
  env_.stats->count_late_frame();
  env_.host.signal_write();
  return true;
}

void H2Faults::raw_trailers(std::int32_t id) {
  std::vector<scenarios::Header> fields;
  if (auto it = info_.find(id); it != info_.end()) {
    scenarios::Captures captures;
    if (const auto* route = scenarios::find_route(faults_.scenario(), env_.listener,
                                                  it->second.method, it->second.path, captures)) {
      for (const auto& [name, value] : route->respond.trailers)
        fields.emplace_back(name, scenarios::expand(value, captures));
    }
  }
  if (fields.empty())
    fields.emplace_back(std::string(scenarios::kLateTrailerName),
                        std::string(scenarios::kLateTrailerValue));
  std::vector<std::uint8_t> block;
  for (const auto& [name, value] : fields) {
    block.push_back(0x00);  // literal without indexing, new name: HPACK state untouched
    hpack_string(block, name);
    hpack_string(block, value);
  }
  frame_header(raw_, static_cast<std::uint32_t>(block.size()), kTypeHeaders,
               kFlagEndStream | kFlagEndHeaders, static_cast<std::uint32_t>(id));
  raw_.insert(raw_.end(), block.begin(), block.end());
  FrameFacts facts;
  facts.dir = Direction::out;
  facts.type = EventType::headers;
  facts.flags = kFlagEndStream | kFlagEndHeaders;
  facts.stream = id;
  facts.length = static_cast<std::uint32_t>(block.size());
  env_.stats->on_frame(facts);
  env_.stats->count_late_frame();
  env_.host.signal_write();
}

void H2Faults::late_after_end(std::int32_t id, const scenarios::DataAfterEndStreamAction& action,
                              std::uint32_t sent) {
  while (sent < action.frames) {
    if (stopped_ || !raw_data(id, action.frame_bytes))
      return;
    ++sent;
    if (action.interval_ms > 0 && sent < action.frames) {
      env_.host.run_after(std::chrono::milliseconds(action.interval_ms),
                          [this, id, &action, sent] { late_after_end(id, action, sent); });
      return;
    }
  }
}

void H2Faults::late_after_rst(std::int32_t id, const scenarios::DataAfterRstAction& action,
                              std::uint32_t sent, double deadline_ms) {
  for (;;) {
    if (stopped_)
      return;
    const bool done = action.duration_ms ? now_ms() >= deadline_ms : sent >= action.frames;
    if (done) {
      if (action.trailers)
        raw_trailers(id);
      return;
    }
    if (!raw_data(id, action.frame_bytes))
      return;  // the client's window is full: the burst ends
    ++sent;
    if (action.interval_ms > 0) {
      env_.host.run_after(std::chrono::milliseconds(action.interval_ms),
                          [this, id, &action, sent, deadline_ms] {
                            late_after_rst(id, action, sent, deadline_ms);
                          });
      return;
    }
  }
}

namespace {

/** How much of a HEADERS block a mid_headers close lets out: the first half. */
std::uint32_t cut_headers_length(std::uint32_t length) {
  return std::max<std::uint32_t>(1, length / 2);
}

}  // namespace

std::uint32_t H2Faults::bytes_written(const nghttp2_frame& frame) const {
  const auto length = static_cast<std::uint32_t>(frame.hd.length);
  if (frame.hd.type != NGHTTP2_HEADERS)
    return length;
  const auto it = targets_.find(frame.hd.stream_id);
  if (it == targets_.end())
    return length;
  const auto* c = find_action<scenarios::CloseAction>(it->second);
  if (c == nullptr || c->at != scenarios::ClosePoint::mid_headers)
    return length;
  return cut_headers_length(length);
}

void H2Faults::close(scenarios::CloseMode mode, const std::string& reason) {
  if (stopped_)
    return;
  stopped_ = true;
  FAULTLINE_LOG(debug, (LogTag{"fault", env_.stats->id()}), "closing: " << reason);
  env_.host.close_transport(mode, true, reason);
}

void H2Faults::check_idle() {
  if (!goaway_last_ || !close_when_idle_ || !goaway_written_)
    return;
  for (std::int32_t id : open_) {
    if (id <= *goaway_last_)
      return;
  }
  close(scenarios::CloseMode::close_notify, "goaway: idle");
}

void H2Faults::on_frame_recv(const nghttp2_frame& frame) {
  switch (frame.hd.type) {
    case NGHTTP2_SETTINGS:
      if ((frame.hd.flags & NGHTTP2_FLAG_ACK) != 0 && !unacked_limits_.empty()) {
        if (unacked_limits_.front())
          acked_limit_ = unacked_limits_.front();
        unacked_limits_.pop_front();
      }
      break;
    case NGHTTP2_PING:
      if ((frame.hd.flags & NGHTTP2_FLAG_ACK) != 0)
        env_.stats->count_ping_ack();
      break;
    case NGHTTP2_RST_STREAM: {
      const std::int32_t id = frame.hd.stream_id;
      if (open_.count(id) == 0)
        break;
      execute(faults_.on_client_rst(), id);
      auto it = targets_.find(id);
      if (it == targets_.end())
        break;
      if (const auto* late = find_action<scenarios::DataAfterRstAction>(it->second)) {
        const double deadline = now_ms() + late->duration_ms.value_or(0);
        late_after_rst(id, *late, 0, deadline);
      }
      break;
    }
    default:
      break;
  }
}

void H2Faults::on_frame_send(const nghttp2_frame& frame) {
  switch (frame.hd.type) {
    case NGHTTP2_DATA:
    case NGHTTP2_HEADERS: {
      auto it = targets_.find(frame.hd.stream_id);
      if (it == targets_.end())
        break;
      // The stream may close before this frame's bytes reach on_output: arm now.
      if ((frame.hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
        if (const auto* late = find_action<scenarios::DataAfterEndStreamAction>(it->second))
          late_end_.emplace_back(frame.hd.stream_id, late);
      }
      if (frame.hd.type != NGHTTP2_HEADERS)
        break;
      if (const auto* c = find_action<scenarios::CloseAction>(it->second);
          c != nullptr && c->at == scenarios::ClosePoint::mid_headers)
        cut_headers_.emplace(frame.hd.stream_id, c->mode);
      for (const auto* action : it->second) {
        if (const auto* rst = std::get_if<scenarios::RstStreamAction>(action);
            rst != nullptr && rst->at == scenarios::RstPoint::after_headers) {
          cut_.insert(frame.hd.stream_id);
          nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, frame.hd.stream_id,
                                    static_cast<std::uint32_t>(rst->error));
        }
      }
      break;
    }
    case NGHTTP2_PING:
      if ((frame.hd.flags & NGHTTP2_FLAG_ACK) == 0)
        env_.stats->count_ping_sent();
      break;
    case NGHTTP2_GOAWAY:
      if (storm_close_after_) {
        const std::uint32_t after = *storm_close_after_;
        storm_close_after_.reset();
        if (after == 0) {
          close(scenarios::CloseMode::close_notify, "goaway storm");
        } else {
          env_.host.run_after(std::chrono::milliseconds(after), [this] {
            close(scenarios::CloseMode::close_notify, "goaway storm");
          });
        }
      } else if (goaway_last_ && frame.goaway.last_stream_id == *goaway_last_) {
        goaway_written_ = true;
        check_idle();
      }
      break;
    default:
      break;
  }
}

void H2Faults::on_stream_close(std::int32_t id) {
  open_.erase(id);
  targets_.erase(id);
  body_sent_.erase(id);
  cut_.erase(id);
  reset_.erase(id);
  info_.erase(id);
  check_idle();
}

bool H2Faults::needs_body(std::int32_t id) const {
  auto it = targets_.find(id);
  if (it == targets_.end())
    return false;
  for (const auto* action : it->second) {
    if (const auto* rst = std::get_if<scenarios::RstStreamAction>(action);
        rst != nullptr && rst->at != scenarios::RstPoint::before_headers)
      return true;
    if (const auto* c = std::get_if<scenarios::CloseAction>(action);
        c != nullptr && c->at == scenarios::ClosePoint::mid_body)
      return true;
  }
  return false;
}

std::optional<std::uint64_t> H2Faults::body_budget(std::int32_t id,
                                                   std::optional<std::uint64_t> size) {
  if (cut_.count(id) != 0 || abandoned(id))
    return 0;
  auto it = targets_.find(id);
  if (it == targets_.end())
    return std::nullopt;
  for (const auto* action : it->second) {
    std::uint64_t after = 0;
    const auto* rst = std::get_if<scenarios::RstStreamAction>(action);
    const auto* c = std::get_if<scenarios::CloseAction>(action);
    if (rst != nullptr && rst->at == scenarios::RstPoint::mid_body) {
      after = rst->after_bytes;
    } else if (c != nullptr && c->at == scenarios::ClosePoint::mid_body) {
      after = c->after_bytes;
    } else if (rst != nullptr && rst->at == scenarios::RstPoint::after_headers) {
      return 0;
    } else {
      continue;
    }
    const std::uint64_t cut = size ? std::min(after, *size == 0 ? 0 : *size - 1) : after;
    const std::uint64_t sent = body_sent_[id];
    if (sent < cut)
      return cut - sent;
    cut_.insert(id);
    if (rst != nullptr) {
      nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id,
                                static_cast<std::uint32_t>(rst->error));
      env_.host.signal_write();
    } else {
      close(c->mode, "close fault mid_body");
    }
    return 0;
  }
  return std::nullopt;
}

void H2Faults::on_body_sent(std::int32_t id, std::size_t n) {
  if (targets_.count(id) != 0)
    body_sent_[id] += n;
}

void H2Faults::on_output(std::vector<std::uint8_t>& out, std::size_t from) {
  std::size_t pos = from;
  while (pos + kFrameHeader <= out.size()) {
    std::uint32_t length = read24(&out[pos]);
    const std::uint8_t type = out[pos + 3];
    const std::uint8_t flags = out[pos + 4];
    const auto id = static_cast<std::int32_t>(read31(&out[pos + 5]));
    if (pos + kFrameHeader + length > out.size())
      break;
    if (type == kTypeSettings && (flags & kFlagAck) == 0) {
      std::optional<std::uint32_t> patch;
      if (!settings_patches_.empty()) {
        patch = settings_patches_.front();
        settings_patches_.pop_front();
      }
      unacked_limits_.push_back(patch);
      if (patch) {
        std::vector<std::uint8_t> entry;
        entry.push_back(0);
        entry.push_back(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
        put32(entry, *patch);
        out.insert(out.begin() + static_cast<std::ptrdiff_t>(pos + kFrameHeader + length),
                   entry.begin(), entry.end());
        length += 6;
        out[pos] = static_cast<std::uint8_t>(length >> 16);
        out[pos + 1] = static_cast<std::uint8_t>(length >> 8);
        out[pos + 2] = static_cast<std::uint8_t>(length);
      }
    } else if (type == kTypeHeaders && cut_headers_ && cut_headers_->first == id) {
      // The frame header and the first half of the block, then the close.
      const scenarios::CloseMode mode = cut_headers_->second;
      cut_headers_.reset();
      out.resize(pos + kFrameHeader + cut_headers_length(length));
      raw_.clear();  // nothing after the cut
      close(mode, "close fault mid_headers");
      return;
    }
    pos += kFrameHeader + length;
  }
  // Late DATA armed by an END_STREAM in this chunk goes right after it.
  auto late = std::move(late_end_);
  late_end_.clear();
  for (const auto& [id, action] : late)
    late_after_end(id, *action, 0);
  drain_raw(out);
}

void H2Faults::drain_raw(std::vector<std::uint8_t>& out) {
  if (raw_.empty())
    return;
  out.insert(out.end(), raw_.begin(), raw_.end());
  raw_.clear();
}

std::optional<bool> H2Faults::should_close() const {
  if (keep_open_)
    return false;
  return std::nullopt;
}

}  // namespace faultline::fake_server::detail
