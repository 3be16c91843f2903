#include "detail/h2_frame.h"

namespace faultline::fake_server::detail {

namespace {

constexpr std::uint32_t kStreamIdMask = 0x7fffffff;

void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

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

std::uint32_t read24(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 16) | (std::uint32_t{p[1]} << 8) | p[2];
}

std::uint32_t read32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         p[3];
}

/** An HPACK integer (RFC 7541 section 5.1): `value` with an N-bit prefix in a first
    byte whose other bits are `high`. */
void hpack_integer(std::vector<std::uint8_t>& out, std::uint8_t high, unsigned prefix_bits,
                   std::size_t value) {
  const std::size_t max = (std::size_t{1} << prefix_bits) - 1;
  if (value < max) {
    out.push_back(static_cast<std::uint8_t>(high | value));
    return;
  }
  out.push_back(static_cast<std::uint8_t>(high | max));
  value -= max;
  while (value >= 128) {
    out.push_back(static_cast<std::uint8_t>((value % 128) + 128));
    value /= 128;
  }
  out.push_back(static_cast<std::uint8_t>(value));
}

/** An HPACK string literal, no Huffman (RFC 7541 section 5.2): a 7-bit prefix length. */
void hpack_string(std::vector<std::uint8_t>& out, std::string_view text) {
  hpack_integer(out, 0x00, 7, text.size());
  out.insert(out.end(), text.begin(), text.end());
}

}  // namespace

void FrameWriter::header(std::uint32_t length, FrameType type, std::uint8_t flags,
                         std::uint32_t stream_id) {
  put24(out_, length);
  out_.push_back(static_cast<std::uint8_t>(type));
  out_.push_back(flags);
  put32(out_, stream_id & kStreamIdMask);
}

void FrameWriter::frame(std::uint8_t type, std::uint8_t flags, std::uint32_t stream_id,
                        std::span<const std::uint8_t> payload) {
  header(static_cast<std::uint32_t>(payload.size()), static_cast<FrameType>(type), flags,
         stream_id);
  out_.insert(out_.end(), payload.begin(), payload.end());
}

void FrameWriter::data(std::uint32_t stream_id, std::uint32_t length, std::uint8_t fill,
                       std::uint8_t flags) {
  header(length, FrameType::data, flags, stream_id);
  out_.insert(out_.end(), length, fill);
}

void FrameWriter::headers(std::uint32_t stream_id, std::span<const std::uint8_t> block,
                          std::uint8_t flags) {
  frame(static_cast<std::uint8_t>(FrameType::headers), flags, stream_id, block);
}

void FrameWriter::push_promise(std::uint32_t stream_id, std::uint32_t promised_id,
                               std::span<const std::uint8_t> block) {
  header(static_cast<std::uint32_t>(4 + block.size()), FrameType::push_promise,
         frame_flag::kEndHeaders, stream_id);
  put32(out_, promised_id & 0x7fffffffu);
  out_.insert(out_.end(), block.begin(), block.end());
}

void FrameWriter::bytes(std::span<const std::uint8_t> bytes) {
  out_.insert(out_.end(), bytes.begin(), bytes.end());
}

void FrameWriter::rst_stream(std::uint32_t stream_id, std::uint32_t error_code) {
  header(4, FrameType::rst_stream, 0, stream_id);
  put32(out_, error_code);
}

void FrameWriter::settings(std::span<const SettingEntry> entries) {
  header(static_cast<std::uint32_t>(entries.size() * kSettingEntryBytes), FrameType::settings, 0,
         0);
  for (const SettingEntry& entry : entries) {
    put16(out_, entry.id);
    put32(out_, entry.value);
  }
}

void FrameWriter::settings_ack() {
  header(0, FrameType::settings, frame_flag::kAck, 0);
}

void FrameWriter::ping(std::uint64_t opaque, bool ack) {
  header(8, FrameType::ping, ack ? frame_flag::kAck : 0, 0);
  put32(out_, static_cast<std::uint32_t>(opaque >> 32));
  put32(out_, static_cast<std::uint32_t>(opaque));
}

void FrameWriter::goaway(std::uint32_t last_stream_id, std::uint32_t error_code,
                         std::string_view debug) {
  header(static_cast<std::uint32_t>(kGoawayFixedBytes + debug.size()), FrameType::goaway, 0, 0);
  put32(out_, last_stream_id);
  put32(out_, error_code);
  out_.insert(out_.end(), debug.begin(), debug.end());
}

void FrameWriter::window_update(std::uint32_t stream_id, std::uint32_t increment) {
  header(4, FrameType::window_update, 0, stream_id);
  put32(out_, increment);
}

std::optional<Frame> FrameReader::next() {
  const auto header = complete_frame_at(bytes_, at_);
  if (!header) {
    return std::nullopt;
  }
  Frame frame{*header, at_, bytes_.subspan(at_ + kFrameHeaderBytes, header->length)};
  at_ += kFrameHeaderBytes + header->length;
  return frame;
}

std::uint32_t append_setting(std::vector<std::uint8_t>& out, std::size_t at, SettingEntry entry) {
  const std::uint32_t length = read24(&out[at]);
  std::vector<std::uint8_t> bytes;
  put16(bytes, entry.id);
  put32(bytes, entry.value);
  out.insert(out.begin() + static_cast<std::ptrdiff_t>(at + kFrameHeaderBytes + length),
             bytes.begin(), bytes.end());
  const std::uint32_t patched = length + static_cast<std::uint32_t>(kSettingEntryBytes);
  out[at] = static_cast<std::uint8_t>(patched >> 16);
  out[at + 1] = static_cast<std::uint8_t>(patched >> 8);
  out[at + 2] = static_cast<std::uint8_t>(patched);
  return patched;
}

std::optional<std::vector<SettingEntry>> decode_settings(const Frame& frame) {
  if (frame.payload.size() % kSettingEntryBytes != 0) {
    return std::nullopt;
  }
  std::vector<SettingEntry> entries;
  for (std::size_t i = 0; i < frame.payload.size(); i += kSettingEntryBytes) {
    const std::uint8_t* p = frame.payload.data() + i;
    entries.push_back(
        {static_cast<std::uint16_t>((std::uint16_t{p[0]} << 8) | p[1]), read32(p + 2)});
  }
  return entries;
}

std::optional<std::uint32_t> decode_rst_stream(const Frame& frame) {
  if (frame.payload.size() != 4) {
    return std::nullopt;
  }
  return read32(frame.payload.data());
}

std::optional<GoawayPayload> decode_goaway(const Frame& frame) {
  if (frame.payload.size() < kGoawayFixedBytes) {
    return std::nullopt;
  }
  const std::uint8_t* p = frame.payload.data();
  return GoawayPayload{read32(p) & kStreamIdMask, read32(p + 4),
                       std::string_view(reinterpret_cast<const char*>(p + kGoawayFixedBytes),
                                        frame.payload.size() - kGoawayFixedBytes)};
}

void append_hpack_literal(std::vector<std::uint8_t>& block, std::string_view name,
                          std::string_view value) {
  block.push_back(0x00);  // literal without indexing, new name
  hpack_string(block, name);
  hpack_string(block, value);
}

void append_hpack_table_size_update(std::vector<std::uint8_t>& block, std::uint32_t size) {
  hpack_integer(block, 0x20, 5, size);  // 001xxxxx: dynamic table size update
}

}  // namespace faultline::fake_server::detail
