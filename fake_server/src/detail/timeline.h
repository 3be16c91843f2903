// A connection's event timeline: a bounded ring of frames (h2) or exchanges (h1).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace faultline::fake_server::detail {

/** What happened. Frame kinds use the HTTP/2 frame type values. */
enum class EventType : std::uint8_t {
  data = 0,            ///< DATA frame
  headers = 1,         ///< HEADERS frame
  priority = 2,        ///< PRIORITY frame
  rst_stream = 3,      ///< RST_STREAM frame
  settings = 4,        ///< SETTINGS frame
  push_promise = 5,    ///< PUSH_PROMISE frame
  ping = 6,            ///< PING frame
  goaway = 7,          ///< GOAWAY frame
  window_update = 8,   ///< WINDOW_UPDATE frame
  continuation = 9,    ///< CONTINUATION frame
  unknown_frame = 10,  ///< an extension frame type
  request = 11,        ///< h1: a request head arrived
  response = 12,       ///< h1: a response head was sent
  close = 13,          ///< the connection closed
};

/** Direction on the wire, from the server's point of view. */
enum class Direction : std::uint8_t { in, out };

/** One timeline entry. Fields that do not apply stay at their defaults and are
    left out of the JSON. */
struct TimelineEvent {
  double t_ms = 0;  ///< since the connection was accepted
  Direction dir = Direction::in;
  EventType type = EventType::data;
  std::uint8_t flags = 0;            ///< raw HTTP/2 frame flags
  std::int32_t stream = -1;          ///< -1: not a stream event
  std::uint32_t length = 0;          ///< frame payload length
  std::int64_t error_code = -1;      ///< RST_STREAM/GOAWAY error code, -1: none
  std::int32_t last_stream_id = -1;  ///< GOAWAY only
  int status = 0;                    ///< h1 response status
  std::string method;                ///< h1 request
  std::string path;                  ///< h1 request
  std::string detail;                ///< close reason, unknown frame type...
};

/** Bounded ring; the oldest events are evicted and counted. Not thread safe (the
    connection's stats lock guards it). */
class Timeline {
 public:
  explicit Timeline(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  void push(TimelineEvent event);
  /** The slot of a new event, reset to a default event (strings emptied, their storage
      kept): the hot path fills it in place instead of building and moving an event. */
  [[nodiscard]] TimelineEvent& emplace();
  void clear() noexcept;
  /** Drops every event (counted as dropped) and frees the ring's memory. */
  void release() noexcept;
  /** Events oldest first. */
  [[nodiscard]] std::vector<TimelineEvent> events() const;
  [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_; }
  [[nodiscard]] std::size_t size() const noexcept { return ring_.size(); }

 private:
  std::size_t capacity_;
  std::vector<TimelineEvent> ring_;  ///< grows up to capacity_, then wraps
  std::size_t head_ = 0;             ///< index of the oldest event once full
  std::uint64_t dropped_ = 0;
};

/** "DATA", "HEADERS", ..., "request", "response", "close". */
[[nodiscard]] const char* event_type_name(EventType type) noexcept;
/** "CANCEL", "NO_ERROR", ... ; unknown codes as "0x1f". */
[[nodiscard]] std::string h2_error_name(std::uint32_t code);
/** "HEADER_TABLE_SIZE", "ENABLE_PUSH", ... (RFC 9113 section 6.5.2); unknown ids as "0x10". */
[[nodiscard]] std::string h2_setting_name(std::uint16_t id);
/** Flag names for a frame type ("END_STREAM", "ACK", ...). */
[[nodiscard]] std::vector<std::string> frame_flag_names(EventType type, std::uint8_t flags);

}  // namespace faultline::fake_server::detail
