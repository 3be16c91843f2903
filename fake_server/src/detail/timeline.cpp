#include "detail/timeline.h"

#include <cstdio>

namespace faultline::fake_server::detail {

void Timeline::push(TimelineEvent event) {
  if (ring_.size() < capacity_) {
    ring_.push_back(std::move(event));
    return;
  }
  ring_[head_] = std::move(event);
  head_ = (head_ + 1) % capacity_;
  ++dropped_;
}

TimelineEvent& Timeline::emplace() {
  if (ring_.size() < capacity_) {
    return ring_.emplace_back();
  }
  TimelineEvent& slot = ring_[head_];
  head_ = (head_ + 1) % capacity_;
  ++dropped_;
  slot.t_ms = 0;
  slot.dir = Direction::in;
  slot.type = EventType::data;
  slot.flags = 0;
  slot.stream = -1;
  slot.length = 0;
  slot.error_code = -1;
  slot.last_stream_id = -1;
  slot.status = 0;
  slot.method.clear();
  slot.path.clear();
  slot.detail.clear();
  return slot;
}

void Timeline::clear() noexcept {
  ring_.clear();
  head_ = 0;
  dropped_ = 0;
}

void Timeline::release() noexcept {
  dropped_ += ring_.size();
  std::vector<TimelineEvent>().swap(ring_);
  head_ = 0;
}

std::vector<TimelineEvent> Timeline::events() const {
  std::vector<TimelineEvent> out;
  out.reserve(ring_.size());
  for (std::size_t i = 0; i < ring_.size(); ++i) {
    out.push_back(ring_[(head_ + i) % ring_.size()]);
  }
  return out;
}

const char* event_type_name(EventType type) noexcept {
  switch (type) {
    case EventType::data:
      return "DATA";
    case EventType::headers:
      return "HEADERS";
    case EventType::priority:
      return "PRIORITY";
    case EventType::rst_stream:
      return "RST_STREAM";
    case EventType::settings:
      return "SETTINGS";
    case EventType::push_promise:
      return "PUSH_PROMISE";
    case EventType::ping:
      return "PING";
    case EventType::goaway:
      return "GOAWAY";
    case EventType::window_update:
      return "WINDOW_UPDATE";
    case EventType::continuation:
      return "CONTINUATION";
    case EventType::unknown_frame:
      return "UNKNOWN";
    case EventType::request:
      return "request";
    case EventType::response:
      return "response";
    case EventType::close:
      return "close";
  }
  return "?";
}

std::string h2_error_name(std::uint32_t code) {
  static constexpr const char* kNames[] = {"NO_ERROR",
                                           "PROTOCOL_ERROR",
                                           "INTERNAL_ERROR",
                                           "FLOW_CONTROL_ERROR",
                                           "SETTINGS_TIMEOUT",
                                           "STREAM_CLOSED",
                                           "FRAME_SIZE_ERROR",
                                           "REFUSED_STREAM",
                                           "CANCEL",
                                           "COMPRESSION_ERROR",
                                           "CONNECT_ERROR",
                                           "ENHANCE_YOUR_CALM",
                                           "INADEQUATE_SECURITY",
                                           "HTTP_1_1_REQUIRED"};
  if (code < std::size(kNames)) {
    return kNames[code];
  }
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%x", code);
  return buf;
}

std::string h2_setting_name(std::uint16_t id) {
  static constexpr const char* kNames[] = {nullptr,
                                           "HEADER_TABLE_SIZE",
                                           "ENABLE_PUSH",
                                           "MAX_CONCURRENT_STREAMS",
                                           "INITIAL_WINDOW_SIZE",
                                           "MAX_FRAME_SIZE",
                                           "MAX_HEADER_LIST_SIZE"};
  if (id > 0 && id < std::size(kNames)) {
    return kNames[id];
  }
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%x", static_cast<unsigned>(id));
  return buf;
}

std::vector<std::string> frame_flag_names(EventType type, std::uint8_t flags) {
  std::vector<std::string> out;
  switch (type) {
    case EventType::data:
      if (flags & 0x1) {
        out.emplace_back("END_STREAM");
      }
      if (flags & 0x8) {
        out.emplace_back("PADDED");
      }
      break;
    case EventType::headers:
      if (flags & 0x1) {
        out.emplace_back("END_STREAM");
      }
      if (flags & 0x4) {
        out.emplace_back("END_HEADERS");
      }
      if (flags & 0x8) {
        out.emplace_back("PADDED");
      }
      if (flags & 0x20) {
        out.emplace_back("PRIORITY");
      }
      break;
    case EventType::settings:
    case EventType::ping:
      if (flags & 0x1) {
        out.emplace_back("ACK");
      }
      break;
    case EventType::push_promise:
      if (flags & 0x4) {
        out.emplace_back("END_HEADERS");
      }
      if (flags & 0x8) {
        out.emplace_back("PADDED");
      }
      break;
    case EventType::continuation:
      if (flags & 0x4) {
        out.emplace_back("END_HEADERS");
      }
      break;
    default:
      break;
  }
  return out;
}

}  // namespace faultline::fake_server::detail
