// The server's header blocks joined into fewer frames before nghttp2 reads them. RFC 9113
// 6.10 puts no bound on the CONTINUATION frames of one block, but nghttp2 1.52 ends the
// session at a block's 9th (NGHTTP2_ERR_TOO_MANY_CONTINUATIONS, a security backport with
// no option to raise it), failing every stream of the connection. Measured here: what it
// counts is its reads that find it waiting for a CONTINUATION's frame header - an empty
// read counts, and so does each piece of a frame header cut across reads - so a block
// of few frames can end the session too. H2Protocol::feed therefore hands nghttp2
// nothing while a block is held, and whole frames of a block only. This re-frames each
// HEADERS or PUSH_PROMISE + CONTINUATION* block into frames of our
// SETTINGS_MAX_FRAME_SIZE, so that nghttp2 still decodes every block (RFC 9113 4.3: the
// HPACK state stays in step) and judges every frame. No nghttp2, no Asio.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace faultline::transport::detail {

/** Bytes from the server in, bytes for nghttp2 out. Frames that carry no header block
    pass at once, byte for byte and uncopied: push() hands them back as views of its
    input (a DATA payload is not held back until it is complete).
    A block's frames are held until a frame of the largest size nghttp2 accepts is full
    or the block ends: before the server acknowledged our SETTINGS that is 16384, after
    it `max_frame`. What nghttp2 must judge as a violation stays one: a frame other than
    the block's CONTINUATION inside a block ends the block without END_HEADERS (nghttp2
    then sees the violation, RFC 9113 6.10); a frame nghttp2 would reject for its
    padding or length passes as it is. One connection; loop thread only. */
class H2HeaderCoalescer {
 public:
  explicit H2HeaderCoalescer(std::uint32_t max_frame) : max_after_ack_(max_frame) {}

  using Bytes = std::span<const std::uint8_t>;

  /** What nghttp2 reads for `in` (cut anywhere), as spans to read in order: views of
      `in` for what passes as it came, views of this object's buffer for the frames of
      blocks and for frame headers cut across pushes (nghttp2 never gets part of a frame
      header, nor a frame header as the next read after a block's unfinished frame).
      None is empty; none at all while a block is held. Valid until the next push() and
      while `in` lives. */
  [[nodiscard]] std::span<const Bytes> push(Bytes in);

  /** The same bytes, appended to `out` as one copy (tests). */
  void push(Bytes in, std::vector<std::uint8_t>& out);

  /** Frames written for blocks so far (tests). */
  [[nodiscard]] std::uint64_t block_frames() const noexcept { return block_frames_; }

 private:
  /** The frame header in head_ is complete; `in_place` is where it lies whole in the
      input, or null when it was cut across pushes. */
  void on_frame_header(const std::uint8_t* in_place);
  void on_block_frame_payload();
  /** Starts a block with the HEADERS or PUSH_PROMISE payload in payload_; false when its
      padding is malformed (the frame then passes as it is). */
  bool begin_block();
  /** Writes whole frames of the current limit while more than one is held; at the end
      of the block everything, the last frame flagged END_HEADERS. */
  void flush(bool end);
  void write_frame(std::uint8_t type, std::uint8_t flags, Bytes payload);
  /** The output's next bytes: `n` of the input at `p` / own_ from `at` to its end. */
  void emit_input(const std::uint8_t* p, std::size_t n);
  void emit_own(std::size_t at);
  [[nodiscard]] std::uint32_t max_frame() const noexcept {
    return settings_acked_ ? max_after_ack_ : kDefaultMaxFrame;
  }

  static constexpr std::uint32_t kDefaultMaxFrame = 16384;

  /** A span of push()'s output: of the input at `input`, or else of own_ at `at` (own_
      may grow while a push runs, so its spans are made at the end). */
  struct Piece {
    const std::uint8_t* input = nullptr;
    std::size_t at = 0;
    std::size_t size = 0;
  };

  const std::uint32_t max_after_ack_;
  bool settings_acked_ = false;  ///< the server acknowledged our SETTINGS

  // The frame being read.
  std::uint8_t head_[9] = {};
  std::size_t head_len_ = 0;  ///< bytes of head_ read so far
  std::uint32_t length_ = 0;  ///< its payload length
  std::uint8_t type_ = 0, flags_ = 0;
  std::uint32_t stream_ = 0;
  std::uint32_t pass_ = 0;   ///< payload bytes still to pass through unread
  bool collecting_ = false;  ///< its payload is read into payload_
  std::vector<std::uint8_t> payload_;

  // The block being joined.
  bool in_block_ = false;
  std::uint32_t block_stream_ = 0;
  std::uint8_t block_type_ = 0;         ///< HEADERS or PUSH_PROMISE
  std::uint8_t block_flags_ = 0;        ///< its first frame's flags, without PADDED
  bool first_written_ = false;          ///< the block's first frame went out
  std::vector<std::uint8_t> fragment_;  ///< block bytes not written yet
  std::uint64_t block_frames_ = 0;

  // The output of the current push.
  std::vector<std::uint8_t> own_;  ///< bytes written here rather than passed
  std::vector<Piece> pieces_;
  std::vector<Bytes> spans_;
};

}  // namespace faultline::transport::detail
