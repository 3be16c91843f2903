// The protocol-violation fault family on one HTTP/2 connection (docs/scenarios.md,
// "Protocol violations"): in place of a stream's response, what no compliant server
// sends - bytes that are no frame, a PUSH_PROMISE to a client that disabled push, a
// header block that is no HPACK, a malformed response head. All of it goes through the
// raw frame writer; header blocks are HPACK literals without indexing, so the client's
// HPACK state stays as nghttp2 left it.
#pragma once

#include <cstdint>

#include "detail/h2_fault_state.h"

namespace faultline::fake_server::detail {

/** What garbage writes: an HTTP/1.1 response head, as a server that ignored ALPN h2
    would send. Read as a frame header, its length (0x485454) exceeds any
    SETTINGS_MAX_FRAME_SIZE. */
inline constexpr std::string_view kGarbageBytes = "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
/** The stream push_promise promises (the first even id: the server never opens one). */
inline constexpr std::uint32_t kPromisedStreamId = 2;

/** Runs on the connection's strand; owned by H2Faults. */
class H2ViolationFaults {
 public:
  explicit H2ViolationFaults(H2FaultState& state) : state_(state) {}

  /** Writes the violation in place of `stream`'s response (the caller marks it unserved). */
  void violate(const scenarios::ProtocolViolationAction& action, std::int32_t stream);

 private:
  /** Shows a raw frame just queued in the timeline and counters. */
  void record(EventType type, std::uint8_t flags, std::int32_t stream, std::size_t length);
  void response_head(const scenarios::ProtocolViolationAction& action, std::int32_t stream);

  H2FaultState& state_;
};

}  // namespace faultline::fake_server::detail
