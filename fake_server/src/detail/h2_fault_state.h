// What the fault families of one HTTP/2 connection share (h2_faults.h dispatches to
// them): the connection, the streams the client opened, the raw frames waiting for a
// frame boundary, and whether output has stopped for a close.
#pragma once

#include <nghttp2/nghttp2.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "detail/h2_frame.h"
#include "detail/session.h"

namespace faultline::fake_server::detail {

/** Runs on the connection's strand; owned by H2Faults, referenced by every family. */
class H2FaultState {
 public:
  H2FaultState(SessionEnv& env, nghttp2_session* session) : env_(env), session_(session) {}

  [[nodiscard]] SessionEnv& env() const { return env_; }
  [[nodiscard]] nghttp2_session* session() const { return session_; }
  /** Milliseconds since the connection's faults started (steady clock). */
  [[nodiscard]] double now_ms() const;

  // ---- streams the client opened (refused ones never open) ----
  void on_opened(std::int32_t id, std::string_view method, std::string_view path);
  void on_closed(std::int32_t id);
  /** The request line of an open stream. */
  struct RequestLine {
    std::string method, path;
  };
  /** The open streams by id, lowest first. */
  using OpenStreams = std::map<std::int32_t, RequestLine>;
  [[nodiscard]] bool is_open(std::int32_t id) const { return open_.count(id) != 0; }
  [[nodiscard]] const OpenStreams& open() const { return open_; }
  /** The highest stream id opened so far, and the one before it (0 when none). */
  [[nodiscard]] std::int32_t highest() const { return highest_; }
  [[nodiscard]] std::int32_t previous() const { return previous_; }
  /** Streams opened on the connection so far. */
  [[nodiscard]] std::uint64_t opened() const { return opened_; }
  /** The request line of an open stream; nullptr when it is not open. */
  [[nodiscard]] const RequestLine* request(std::int32_t id) const;
  /** A fault reset the stream before its headers: it is not served. */
  void mark_reset(std::int32_t id) { reset_.insert(id); }
  [[nodiscard]] bool was_reset(std::int32_t id) const { return reset_.count(id) != 0; }
  /** Submits RST_STREAM(error) to nghttp2 (the caller signals the write). */
  void reset_stream(std::int32_t id, std::uint32_t error);

  // ---- raw frames: written after nghttp2's output, at a frame boundary ----
  [[nodiscard]] FrameWriter raw() { return FrameWriter(raw_); }
  /** A raw frame was queued: the timeline and counters see it as sent. */
  void record_raw(const FrameFacts& facts, bool late);
  void drain_raw(std::vector<std::uint8_t>& out) {
    if (!raw_.empty() && !in_header_block_) {
      out.insert(out.end(), raw_.begin(), raw_.end());
      raw_.clear();
    }
  }
  /** A frame of nghttp2's output passed: while a header block is open (HEADERS or
      PUSH_PROMISE without END_HEADERS, up to its last CONTINUATION) no raw frame may go
      out (RFC 9113 6.10). */
  void on_frame_out(const FrameHeader& header) {
    if (header.is(FrameType::headers) || header.is(FrameType::push_promise) ||
        header.is(FrameType::continuation)) {
      in_header_block_ = (header.flags & frame_flag::kEndHeaders) == 0;
    }
  }
  /** Drops the raw frames not yet written (a close cut the output). */
  void discard_raw() { raw_.clear(); }

  // ---- closing ----
  /** Stops all output and closes the transport (the first call wins). */
  void close(scenarios::CloseMode mode, const std::string& reason);
  [[nodiscard]] bool stopped() const { return stopped_; }

 private:
  SessionEnv& env_;
  nghttp2_session* session_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  OpenStreams open_;              ///< opened (not refused), not yet closed
  std::set<std::int32_t> reset_;  ///< reset before headers by a fault
  /** Nodes of closed streams, reused by the next ones (no allocation per stream). */
  std::vector<OpenStreams::node_type> spare_;
  std::int32_t highest_ = 0, previous_ = 0;
  std::uint64_t opened_ = 0;
  std::vector<std::uint8_t> raw_;  ///< raw frames waiting for a frame boundary
  bool in_header_block_ = false;   ///< nghttp2's output is inside a header block
  bool stopped_ = false;
};

}  // namespace faultline::fake_server::detail
