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

std::span<const H2HeaderCoalescer::Bytes> H2HeaderCoalescer::push(Bytes in) {
  own_.clear();
  pieces_.clear();
  spans_.clear();
  while (!in.empty()) {
    if (pass_ > 0) {
      const auto n = std::min<std::size_t>(pass_, in.size());
      emit_input(in.data(), n);
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
        on_block_frame_payload();
      }
      continue;
    }
    const bool whole = head_len_ == 0 && in.size() >= kFrameHeader;
    const std::uint8_t* at = in.data();
    const auto n = std::min(kFrameHeader - head_len_, in.size());
    std::copy_n(in.begin(), n, head_ + head_len_);
    head_len_ += n;
    in = in.subspan(n);
    if (head_len_ == kFrameHeader) {
      head_len_ = 0;
      on_frame_header(whole ? at : nullptr);
    }
  }
  for (const Piece& piece : pieces_) {
    spans_.push_back(piece.input != nullptr ? Bytes(piece.input, piece.size)
                                            : Bytes(own_).subspan(piece.at, piece.size));
  }
  return spans_;
}

void H2HeaderCoalescer::push(Bytes in, std::vector<std::uint8_t>& out) {
  for (const Bytes span : push(in)) {
    out.insert(out.end(), span.begin(), span.end());
  }
}

void H2HeaderCoalescer::emit_input(const std::uint8_t* p, std::size_t n) {
  if (n == 0) {
    return;
  }
  if (!pieces_.empty() && pieces_.back().input != nullptr &&
      pieces_.back().input + pieces_.back().size == p) {
    pieces_.back().size += n;
    return;
  }
  pieces_.push_back(Piece{p, 0, n});
}

void H2HeaderCoalescer::emit_own(std::size_t at) {
  const std::size_t n = own_.size() - at;
  if (n == 0) {
    return;
  }
  if (!pieces_.empty() && pieces_.back().input == nullptr) {
    pieces_.back().size += n;  // own_ is only appended to: the bytes follow on
    return;
  }
  pieces_.push_back(Piece{nullptr, at, n});
}

void H2HeaderCoalescer::on_frame_header(const std::uint8_t* in_place) {
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
      flush(false);
      write_frame(first_written_ ? kContinuation : block_type_, first_written_ ? 0 : block_flags_,
                  fragment_);
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
      on_block_frame_payload();
    }
    return;
  }
  // The header passes in place unless it was cut, or follows bytes of our own: then it
  // goes in the same read as they do (after a block's unfinished frame, a read that
  // starts with a frame header is one more CONTINUATION to nghttp2 1.52).
  if (in_place != nullptr && (pieces_.empty() || pieces_.back().input != nullptr)) {
    emit_input(in_place, kFrameHeader);
  } else {
    const std::size_t at = own_.size();
    own_.insert(own_.end(), head_, head_ + kFrameHeader);
    emit_own(at);
  }
  pass_ = length_;
}

void H2HeaderCoalescer::on_block_frame_payload() {
  if (!in_block_) {
    if (!begin_block()) {
      // Malformed padding: nghttp2 gets the frame as it came and rejects it.
      const std::size_t at = own_.size();
      own_.insert(own_.end(), head_, head_ + kFrameHeader);
      own_.insert(own_.end(), payload_.begin(), payload_.end());
      emit_own(at);
      return;
    }
    flush(false);
    return;
  }
  fragment_.insert(fragment_.end(), payload_.begin(), payload_.end());
  const bool end = (flags_ & kEndHeaders) != 0;
  flush(end);
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

void H2HeaderCoalescer::flush(bool end) {
  const std::size_t max = max_frame();
  const std::span<const std::uint8_t> held(fragment_);
  std::size_t taken = 0;
  while (held.size() - taken > max) {
    write_frame(first_written_ ? kContinuation : block_type_, first_written_ ? 0 : block_flags_,
                held.subspan(taken, max));
    first_written_ = true;
    taken += max;
  }
  if (end) {
    const auto flags = static_cast<std::uint8_t>((first_written_ ? 0 : block_flags_) | kEndHeaders);
    write_frame(first_written_ ? kContinuation : block_type_, flags, held.subspan(taken));
    first_written_ = true;
    taken = held.size();
  }
  fragment_.erase(fragment_.begin(), fragment_.begin() + static_cast<std::ptrdiff_t>(taken));
}

void H2HeaderCoalescer::write_frame(std::uint8_t type, std::uint8_t flags, Bytes payload) {
  const std::size_t at = own_.size();
  h2_wire::write_frame(own_, type, flags, block_stream_, payload);
  emit_own(at);
  ++block_frames_;
}

}  // namespace faultline::transport::detail
