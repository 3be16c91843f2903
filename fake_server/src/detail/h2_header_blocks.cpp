#include "detail/h2_header_blocks.h"

#include <algorithm>

namespace faultline::fake_server::detail {

namespace {

/** Frame payload when a route sets no frame_bytes: the smallest SETTINGS_MAX_FRAME_SIZE. */
constexpr std::uint32_t kDefaultFrameBytes = 16384;
/** Flags nghttp2 never sets on a server's HEADERS (no padding, no priority): a frame that
    carries one is left as it is. */
constexpr std::uint8_t kPaddedOrPriority = 0x08 | 0x20;

}  // namespace

void H2HeaderBlocks::arm(std::int32_t stream, const scenarios::HeaderBlock& block,
                         std::size_t interim_heads) {
  Pending pending;
  pending.block = block;
  pending.skip = interim_heads;
  armed_.insert_or_assign(stream, std::move(pending));
}

bool H2HeaderBlocks::takes(const FrameHeader& header) const {
  if (armed_.empty() || !(header.is(FrameType::headers) || header.is(FrameType::continuation))) {
    return false;
  }
  const auto it = armed_.find(static_cast<std::int32_t>(header.stream_id));
  return it != armed_.end() && (header.flags & kPaddedOrPriority) == 0;
}

std::size_t H2HeaderBlocks::reframe(std::vector<std::uint8_t>& out, std::size_t at,
                                    const FrameHeader& header) {
  const auto id = static_cast<std::int32_t>(header.stream_id);
  Pending& p = armed_.at(id);
  const bool end_headers = (header.flags & frame_flag::kEndHeaders) != 0;
  const std::size_t frame_end = at + kFrameHeaderBytes + header.length;
  if (p.skip > 0 || p.in_skipped) {
    // A 1xx head's block: it passes as it is.
    if (header.is(FrameType::headers)) {
      --p.skip;
    }
    p.in_skipped = !end_headers;
    return frame_end - at;
  }
  if (header.is(FrameType::headers)) {
    p.started = true;
    p.headers_written = false;
    p.first_flags = header.flags & static_cast<std::uint8_t>(~frame_flag::kEndHeaders);
    p.fragment.clear();
    for (const auto size : p.block.table_size_updates) {
      append_hpack_table_size_update(p.fragment, size);
    }
  } else if (!p.started) {
    return frame_end - at;  // not the block we armed for
  }
  p.fragment.insert(p.fragment.end(),
                    out.begin() + static_cast<std::ptrdiff_t>(at) +
                        static_cast<std::ptrdiff_t>(kFrameHeaderBytes),
                    out.begin() + static_cast<std::ptrdiff_t>(frame_end));
  std::vector<std::uint8_t> tail(out.begin() + static_cast<std::ptrdiff_t>(frame_end), out.end());
  out.resize(at);

  // Whole frames of frame_bytes; at END_HEADERS the rest, flagged END_HEADERS.
  const std::size_t size = p.block.frame_bytes.value_or(kDefaultFrameBytes);
  FrameWriter writer(out);
  std::size_t taken = 0;
  while (p.fragment.size() - taken > size || (!end_headers && p.fragment.size() - taken == size) ||
         (end_headers && taken < p.fragment.size())) {
    const std::size_t n = std::min(size, p.fragment.size() - taken);
    const bool last = end_headers && taken + n == p.fragment.size();
    const bool first = !p.headers_written;
    std::uint8_t flags = first ? p.first_flags : 0;
    if (last) {
      flags |= frame_flag::kEndHeaders;
    }
    writer.frame(static_cast<std::uint8_t>(first ? FrameType::headers : FrameType::continuation),
                 flags, header.stream_id,
                 std::span<const std::uint8_t>(p.fragment.data() + taken, n));
    p.headers_written = true;  // every later frame is a CONTINUATION
    taken += n;
  }
  p.fragment.erase(p.fragment.begin(), p.fragment.begin() + static_cast<std::ptrdiff_t>(taken));
  const std::size_t written = out.size() - at;
  out.insert(out.end(), tail.begin(), tail.end());
  if (end_headers) {
    armed_.erase(id);  // trailers, if any, go out as nghttp2 frames them
  }
  return written;
}

}  // namespace faultline::fake_server::detail
