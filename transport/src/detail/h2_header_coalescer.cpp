#include "detail/h2_header_coalescer.h"

#include <algorithm>

#include "detail/h2_wire.h"

namespace faultline::transport::detail {

using namespace h2_wire;

namespace {

constexpr std::size_t kFrameHeader = kFrameHeaderBytes;
constexpr std::size_t kPriorityBytes = 5;
constexpr std::size_t kPromisedIdBytes = 4;

}  // namespace

void H2HeaderCoalescer::push(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out) {
  while (!in.empty()) {
    if (pass_ > 0) {
      const auto n = std::min<std::size_t>(pass_, in.size());
      out.insert(out.end(), in.begin(), in.begin() + static_cast<std::ptrdiff_t>(n));
      pass_ -= static_cast<std::uint32_t>(n);
      in = in.subspan(n);
      continue;
    }
    if (collecting_) {
      const auto n = std::min<std::size_t>(length_ - payload_.size(), in.size());
      payload_.insert(payload_.end(), in.begin(), in.begin() + static_cast<std::ptrdiff_t>(n));
      in = in.subspan(n);
      if (payload_.size() == length_) {
        collecting_ = false;
        on_block_frame_payload(out);
      }
      continue;
    }
    const auto n = std::min(kFrameHeader - head_len_, in.size());
    std::copy_n(in.begin(), n, head_ + head_len_);
    head_len_ += n;
    in = in.subspan(n);
    if (head_len_ == kFrameHeader) {
      head_len_ = 0;
      on_frame_header(out);
    }
  }
}

void H2HeaderCoalescer::on_frame_header(std::vector<std::uint8_t>& out) {
  const FrameHead head = read_frame_head(head_);
  length_ = head.length;
  type_ = head.type;
  flags_ = head.flags;
  stream_ = head.stream;
  const bool fits = length_ <= max_frame();
  if (in_block_ && type_ == kContinuation && stream_ == block_stream_ && fits) {
    collecting_ = true;  // joined to the block
  } else {
    if (in_block_) {
      // Not the block's CONTINUATION: the block ends here unfinished, and nghttp2 sees
      // this frame right after it (a connection error it reports itself).
      flush(out, false);
      write_frame(out, first_written_ ? kContinuation : block_type_,
                  first_written_ ? 0 : block_flags_, fragment_);
      fragment_.clear();
      in_block_ = false;
    }
    const bool opens = (type_ == kHeaders || type_ == kPushPromise) &&
                       (flags_ & kEndHeaders) == 0 && stream_ != 0 && fits;
    collecting_ = opens;
  }
  if (type_ == kSettings && (flags_ & kAck) != 0) {
    // nghttp2 applies our SETTINGS_MAX_FRAME_SIZE once the server acknowledged it.
    settings_acked_ = true;
  }
  if (collecting_) {
    payload_.clear();
    if (length_ == 0) {
      collecting_ = false;
      on_block_frame_payload(out);
    }
    return;
  }
  out.insert(out.end(), head_, head_ + kFrameHeader);
  pass_ = length_;
}

void H2HeaderCoalescer::on_block_frame_payload(std::vector<std::uint8_t>& out) {
  if (!in_block_) {
    if (!begin_block()) {
      // Malformed padding: nghttp2 gets the frame as it came and rejects it.
      out.insert(out.end(), head_, head_ + kFrameHeader);
      out.insert(out.end(), payload_.begin(), payload_.end());
      return;
    }
    flush(out, false);
    return;
  }
  fragment_.insert(fragment_.end(), payload_.begin(), payload_.end());
  const bool end = (flags_ & kEndHeaders) != 0;
  flush(out, end);
  if (end) {
    in_block_ = false;
  }
}

bool H2HeaderCoalescer::begin_block() {
  std::span<const std::uint8_t> body(payload_);
  std::size_t pad = 0;
  if ((flags_ & kPadded) != 0) {
    if (body.empty()) {
      return false;
    }
    pad = body[0];
    body = body.subspan(1);
  }
  // What precedes the fragment: the priority fields of HEADERS, the promised stream id of
  // PUSH_PROMISE. They stay in front of it; the padding goes.
  const std::size_t fixed = type_ == kPushPromise       ? kPromisedIdBytes
                            : (flags_ & kPriority) != 0 ? kPriorityBytes
                                                        : 0;
  if (body.size() < fixed + pad) {
    return false;
  }
  body = body.first(body.size() - pad);
  in_block_ = true;
  block_stream_ = stream_;
  block_type_ = type_;
  block_flags_ = flags_ & static_cast<std::uint8_t>(~(kPadded | kEndHeaders));
  first_written_ = false;
  fragment_.assign(body.begin(), body.end());
  return true;
}

void H2HeaderCoalescer::flush(std::vector<std::uint8_t>& out, bool end) {
  const std::size_t max = max_frame();
  const std::span<const std::uint8_t> held(fragment_);
  std::size_t taken = 0;
  while (held.size() - taken > max) {
    write_frame(out, first_written_ ? kContinuation : block_type_,
                first_written_ ? 0 : block_flags_, held.subspan(taken, max));
    first_written_ = true;
    taken += max;
  }
  if (end) {
    const auto flags = static_cast<std::uint8_t>((first_written_ ? 0 : block_flags_) | kEndHeaders);
    write_frame(out, first_written_ ? kContinuation : block_type_, flags, held.subspan(taken));
    first_written_ = true;
    taken = held.size();
  }
  fragment_.erase(fragment_.begin(), fragment_.begin() + static_cast<std::ptrdiff_t>(taken));
}

void H2HeaderCoalescer::write_frame(std::vector<std::uint8_t>& out, std::uint8_t type,
                                    std::uint8_t flags, std::span<const std::uint8_t> payload) {
  h2_wire::write_frame(out, type, flags, block_stream_, payload);
  ++block_frames_;
}

}  // namespace faultline::transport::detail
