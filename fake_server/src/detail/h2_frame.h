// HTTP/2 frames as bytes (RFC 9113 section 4): a writer that appends any frame,
// including the ones a compliant library refuses to send (late DATA, DATA on idle
// streams, GOAWAY with an even last-stream-id), and a reader that walks the complete
// frames in a buffer. The fault engine writes raw frames with it at frame boundaries
// after nghttp2's output and patches nghttp2's SETTINGS on their way out. No nghttp2,
// no Asio.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace faultline::fake_server::detail {

/// The fixed frame header: 24-bit length, type, flags, reserved bit + 31-bit stream id.
inline constexpr std::size_t kFrameHeaderBytes = 9;
/// One SETTINGS entry: 16-bit identifier, 32-bit value (RFC 9113 section 6.5.1).
inline constexpr std::size_t kSettingEntryBytes = 6;
/// GOAWAY's fixed part: last-stream-id and error code, before the debug data.
inline constexpr std::size_t kGoawayFixedBytes = 8;
/// The largest frame length the 24-bit field can carry.
inline constexpr std::uint32_t kMaxFrameLength = 0xffffff;

/** Frame types (RFC 9113 section 6); any other value is an extension frame. */
enum class FrameType : std::uint8_t {
  data = 0x0,
  headers = 0x1,
  priority = 0x2,
  rst_stream = 0x3,
  settings = 0x4,
  push_promise = 0x5,
  ping = 0x6,
  goaway = 0x7,
  window_update = 0x8,
  continuation = 0x9,
};

/** Frame flags; their meaning depends on the frame type. */
namespace frame_flag {
inline constexpr std::uint8_t kEndStream = 0x1;   ///< DATA, HEADERS
inline constexpr std::uint8_t kAck = 0x1;         ///< SETTINGS, PING
inline constexpr std::uint8_t kEndHeaders = 0x4;  ///< HEADERS, CONTINUATION
inline constexpr std::uint8_t kPadded = 0x8;      ///< DATA, HEADERS
}  // namespace frame_flag

/** SETTINGS identifiers (RFC 9113 section 6.5.2). */
namespace setting_id {
inline constexpr std::uint16_t kHeaderTableSize = 0x1;
inline constexpr std::uint16_t kMaxConcurrentStreams = 0x3;
inline constexpr std::uint16_t kInitialWindowSize = 0x4;
inline constexpr std::uint16_t kMaxFrameSize = 0x5;
inline constexpr std::uint16_t kMaxHeaderListSize = 0x6;
}  // namespace setting_id

/** A frame header as read from the wire. */
struct FrameHeader {
  std::uint32_t length = 0;  ///< payload bytes (24 bits)
  std::uint8_t type = 0;     ///< a FrameType value, or an extension type
  std::uint8_t flags = 0;
  std::uint32_t stream_id = 0;  ///< 31 bits: the reserved bit is dropped on read
  bool reserved_bit = false;    ///< set by the sender (RFC 9113 says: ignore it)

  [[nodiscard]] bool is(FrameType t) const { return type == static_cast<std::uint8_t>(t); }
  bool operator==(const FrameHeader&) const = default;
};

/** One complete frame inside a buffer: its header and a view of its payload. */
struct Frame {
  FrameHeader header;
  std::size_t offset = 0;  ///< where its frame header starts in the buffer
  std::span<const std::uint8_t> payload;
};

/** One SETTINGS parameter. */
struct SettingEntry {
  std::uint16_t id = 0;
  std::uint32_t value = 0;
  bool operator==(const SettingEntry&) const = default;
};

/** Appends frames to a buffer it does not own. It checks nothing: ids, lengths, flags
    and payloads go out as given, which is the point (a raw frame is one a compliant
    library would refuse). Only the stream id's reserved bit is always written as 0,
    and a length is taken modulo 2^24 (the field's width). */
class FrameWriter {
 public:
  explicit FrameWriter(std::vector<std::uint8_t>& out) : out_(out) {}

  /** The 9-byte frame header alone (the caller appends `length` payload bytes). */
  void header(std::uint32_t length, FrameType type, std::uint8_t flags, std::uint32_t stream_id);
  /** A frame of any type (extension types included) with the given payload. */
  void frame(std::uint8_t type, std::uint8_t flags, std::uint32_t stream_id,
             std::span<const std::uint8_t> payload);
  /** DATA of `length` bytes, each `fill`. */
  void data(std::uint32_t stream_id, std::uint32_t length, std::uint8_t fill,
            std::uint8_t flags = 0);
  /** HEADERS carrying a ready header block fragment. */
  void headers(std::uint32_t stream_id, std::span<const std::uint8_t> block, std::uint8_t flags);
  void rst_stream(std::uint32_t stream_id, std::uint32_t error_code);
  void settings(std::span<const SettingEntry> entries);
  void settings_ack();
  void ping(std::uint64_t opaque, bool ack = false);
  void goaway(std::uint32_t last_stream_id, std::uint32_t error_code, std::string_view debug);
  void window_update(std::uint32_t stream_id, std::uint32_t increment);
  /** PUSH_PROMISE (END_HEADERS) promising `promised_id`, with a ready header block. */
  void push_promise(std::uint32_t stream_id, std::uint32_t promised_id,
                    std::span<const std::uint8_t> block);
  /** Bytes as they are, no frame around them: garbage where a frame should start. */
  void bytes(std::span<const std::uint8_t> bytes);

 private:
  std::vector<std::uint8_t>& out_;
};

/** The header of the frame at bytes[at..], if that whole frame (header and payload) is
    in the buffer; nullopt while it is incomplete. */
[[nodiscard]] inline std::optional<FrameHeader> complete_frame_at(
    std::span<const std::uint8_t> bytes, std::size_t at) {
  if (at > bytes.size() || bytes.size() - at < kFrameHeaderBytes) {
    return std::nullopt;
  }
  const std::uint8_t* p = bytes.data() + at;
  FrameHeader header;
  header.length = ((std::uint32_t{p[0]} << 16) | (std::uint32_t{p[1]} << 8) | p[2]);
  header.type = p[3];
  header.flags = p[4];
  const std::uint32_t id = ((std::uint32_t{p[5]} << 24) | (std::uint32_t{p[6]} << 16) |
                            (std::uint32_t{p[7]} << 8) | p[8]);
  header.stream_id = id & 0x7fffffffu;
  header.reserved_bit = (id & ~0x7fffffffu) != 0;
  if (bytes.size() - at - kFrameHeaderBytes < header.length) {
    return std::nullopt;
  }
  return header;
}

/** Walks the complete frames of a buffer in order; a trailing partial frame is left
    (rest() says where it starts). */
class FrameReader {
 public:
  explicit FrameReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  /** The next complete frame; nullopt at the end or before a partial frame. */
  [[nodiscard]] std::optional<Frame> next();
  /** The bytes not read yet (a partial frame, or nothing). */
  [[nodiscard]] std::span<const std::uint8_t> rest() const { return bytes_.subspan(at_); }
  [[nodiscard]] std::size_t offset() const { return at_; }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t at_ = 0;
};

/** Adds one entry at the end of the SETTINGS frame whose header starts at out[at] (a
    complete frame) and rewrites its length; bytes after the frame move along. Returns
    the frame's new payload length. */
std::uint32_t append_setting(std::vector<std::uint8_t>& out, std::size_t at, SettingEntry entry);

/** Payload decoders for tests and the timeline; nullopt when the payload is too short. */
[[nodiscard]] std::optional<std::vector<SettingEntry>> decode_settings(const Frame& frame);
[[nodiscard]] std::optional<std::uint32_t> decode_rst_stream(const Frame& frame);
struct GoawayPayload {
  std::uint32_t last_stream_id = 0;
  std::uint32_t error_code = 0;
  std::string_view debug;
};
[[nodiscard]] std::optional<GoawayPayload> decode_goaway(const Frame& frame);

/** Appends one header field to an HPACK block as a literal without indexing, new name,
    no Huffman (RFC 7541 section 6.2.2): the decoder's dynamic table is left as it was,
    so a block written outside nghttp2 cannot desynchronise its HPACK state. */
void append_hpack_literal(std::vector<std::uint8_t>& block, std::string_view name,
                          std::string_view value);
/** Appends a dynamic table size update to `size` (RFC 7541 section 6.3); valid only at
    the start of a header block. */
void append_hpack_table_size_update(std::vector<std::uint8_t>& block, std::uint32_t size);

}  // namespace faultline::fake_server::detail
