#include "detail/stream_flow.h"

#include <nlohmann/json.hpp>

#include "detail/server_limits.h"
#include "detail/stats.h"

namespace faultline::fake_server::detail {

void StreamFlow::on_frame(const FrameFacts& frame, double now_ms) {
  const bool data = frame.type == EventType::data;
  const bool credit = frame.type == EventType::window_update && frame.dir == Direction::in;
  if (frame.stream <= 0 || (!data && !credit)) {
    return;
  }
  Slot& slot = slots_[static_cast<std::size_t>(frame.stream >> 1) % kMaxFlowStreams];
  if (slot.id != frame.stream) {
    if (slot.id > frame.stream) {
      return;  // an old stream whose slot a newer one took
    }
    slot = Slot{frame.stream, StreamFlowFacts{}};
  }
  auto& s = slot.facts;
  if (credit) {
    s.credit_in += frame.window_increment;
    ++s.window_updates_in;
    if (s.window >= 0) {
      s.window += frame.window_increment;
    }
    if (s.stalled_since_ms >= 0 && frame.window_increment > 0) {
      s.stalled_ms += now_ms - s.stalled_since_ms;
      s.stalled_since_ms = -1;
    }
    return;
  }
  if (frame.dir == Direction::in) {
    s.data_in += frame.length;
    return;
  }
  s.data_out += frame.length;
  if (frame.remote_window >= 0) {
    s.window = frame.remote_window;
    if (s.window == 0 && s.stalled_since_ms < 0 && (frame.flags & 0x1) == 0) {
      s.stalled_since_ms = now_ms;  // more to send (no END_STREAM), no window left
    }
  }
}

nlohmann::json StreamFlow::to_json() const {
  nlohmann::json out = nlohmann::json::object();
  for (const Slot& slot : slots_) {
    if (slot.id == 0) {
      continue;
    }
    const StreamFlowFacts& s = slot.facts;
    out[std::to_string(slot.id)] = {
        {"data_out", s.data_out},    {"data_in", s.data_in},
        {"credit_in", s.credit_in},  {"window_updates_in", s.window_updates_in},
        {"window", s.window},        {"stalled_since_ms", s.stalled_since_ms},
        {"stalled_ms", s.stalled_ms}};
  }
  return out;
}

}  // namespace faultline::fake_server::detail
