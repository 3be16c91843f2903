#include "detail/h2_late_faults.h"

#include <nghttp2/nghttp2.h>

#include "faultline/scenarios/loader.h"

namespace faultline::fake_server::detail {

void H2LateFaults::unknown_stream(const scenarios::DataUnknownStreamAction& action) {
  std::uint32_t id = action.stream_id.id;
  if (action.stream_id.kind == scenarios::UnknownStreamId::Kind::next_odd) {
    id = state_.highest() == 0 ? 1 : static_cast<std::uint32_t>(state_.highest()) + 2;
  } else if (action.stream_id.kind == scenarios::UnknownStreamId::Kind::next_even) {
    id = 2;
  }
  for (std::uint32_t i = 0; i < action.frames; ++i) {
    if (!raw_data(static_cast<std::int32_t>(id), action.frame_bytes)) {
      break;
    }
  }
}

void H2LateFaults::on_end_stream_sent(std::int32_t id) {
  // The stream may close before this frame's bytes reach the output: arm now.
  if (const auto it = after_end_.find(id); it != after_end_.end()) {
    due_.emplace_back(id, it->second);
  }
}

void H2LateFaults::write_due() {
  auto due = std::move(due_);
  due_.clear();
  for (const auto& [id, action] : due) {
    after_end(id, *action, 0);
  }
}

void H2LateFaults::on_client_rst(std::int32_t id) {
  const auto it = after_rst_.find(id);
  if (it == after_rst_.end()) {
    return;
  }
  const double deadline = state_.now_ms() + it->second->duration_ms.value_or(0);
  after_rst(id, *it->second, 0, deadline);
}

void H2LateFaults::forget(std::int32_t id) {
  after_end_.erase(id);
  after_rst_.erase(id);
}

bool H2LateFaults::raw_data(std::int32_t id, std::uint32_t bytes) {
  const std::int64_t window = nghttp2_session_get_remote_window_size(state_.session());
  if (static_cast<std::int64_t>(window_used_) + bytes > window) {
    return false;
  }
  window_used_ += bytes;
  state_.raw().data(static_cast<std::uint32_t>(id), bytes,
                    static_cast<std::uint8_t>(scenarios::kLateDataByte));
  FrameFacts facts;
  facts.dir = Direction::out;
  facts.type = EventType::data;
  facts.stream = id;
  facts.length = bytes;
  state_.record_raw(facts, true);
  state_.env().host.signal_write();
  return true;
}

void H2LateFaults::raw_trailers(std::int32_t id) {
  std::vector<scenarios::Header> fields;
  if (const auto* request = state_.request(id)) {
    scenarios::Captures captures;
    if (const auto* route = scenarios::find_route(scenario_, state_.env().listener, request->method,
                                                  request->path, captures)) {
      for (const auto& [name, value] : route->respond.trailers) {
        fields.emplace_back(name, scenarios::expand(value, captures));
      }
    }
  }
  if (fields.empty()) {
    fields.emplace_back(std::string(scenarios::kLateTrailerName),
                        std::string(scenarios::kLateTrailerValue));
  }
  std::vector<std::uint8_t> block;
  for (const auto& [name, value] : fields) {
    append_hpack_literal(block, name, value);  // HPACK state untouched
  }
  constexpr std::uint8_t kFlags = frame_flag::kEndStream | frame_flag::kEndHeaders;
  state_.raw().headers(static_cast<std::uint32_t>(id), block, kFlags);
  FrameFacts facts;
  facts.dir = Direction::out;
  facts.type = EventType::headers;
  facts.flags = kFlags;
  facts.stream = id;
  facts.length = static_cast<std::uint32_t>(block.size());
  state_.record_raw(facts, true);
  state_.env().host.signal_write();
}

void H2LateFaults::after_end(std::int32_t id, const scenarios::DataAfterEndStreamAction& action,
                             std::uint32_t sent) {
  while (sent < action.frames) {
    if (state_.stopped() || !raw_data(id, action.frame_bytes)) {
      return;
    }
    ++sent;
    if (action.interval_ms > 0 && sent < action.frames) {
      state_.env().host.run_after(std::chrono::milliseconds(action.interval_ms),
                                  [this, id, &action, sent] { after_end(id, action, sent); });
      return;
    }
  }
}

void H2LateFaults::after_rst(std::int32_t id, const scenarios::DataAfterRstAction& action,
                             std::uint32_t sent, double deadline_ms) {
  for (;;) {
    if (state_.stopped()) {
      return;
    }
    const bool done = action.duration_ms ? state_.now_ms() >= deadline_ms : sent >= action.frames;
    if (done) {
      if (action.trailers) {
        raw_trailers(id);
      }
      return;
    }
    if (!raw_data(id, action.frame_bytes)) {
      return;  // the client's window is full: the burst ends
    }
    ++sent;
    if (action.interval_ms > 0) {
      state_.env().host.run_after(
          std::chrono::milliseconds(action.interval_ms),
          [this, id, &action, sent, deadline_ms] { after_rst(id, action, sent, deadline_ms); });
      return;
    }
  }
}

}  // namespace faultline::fake_server::detail
