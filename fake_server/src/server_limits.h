// Named constants of the fake server: buffer sizes, ring sizes, deadlines.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace faultline::fake_server::detail {

/// Events kept per connection timeline before the oldest are evicted.
inline constexpr std::size_t kTimelineCapacity = 4096;
/// Bytes read from a socket in one read (one TLS record; kept small: it lives in every
/// connection).
inline constexpr std::size_t kReadBufferBytes = 16 * 1024;
/// A write is flushed once this many bytes are pending (output is coalesced up to it).
inline constexpr std::size_t kWriteCoalesceBytes = 64 * 1024;
/// Finished HTTP/2 stream objects kept per connection for reuse.
inline constexpr std::size_t kSpareStreams = 64;
/// The HTTP/2 client connection preface ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").
inline constexpr std::size_t kH2PrefaceBytes = 24;
/// A TLS handshake that takes longer than this is abandoned.
inline constexpr std::chrono::seconds kHandshakeTimeout{10};
/// A close fault with close_notify waits this long for the peer's close_notify.
inline constexpr std::chrono::milliseconds kCloseNotifyWait{1000};
/// On stop, connections get this long to flush a GOAWAY before the loop stops.
inline constexpr std::chrono::milliseconds kStopGrace{500};
/// HTTP/1.1 response bodies are read from their source in pieces of at most this size.
inline constexpr std::size_t kH1BodyReadBytes = 16 * 1024;
/// While stopping, how often the server checks whether every connection closed.
inline constexpr std::chrono::milliseconds kStopPollInterval{10};
/// --threads accepts 1..kMaxThreads.
inline constexpr unsigned kMaxThreads = 256;
/// Bytes allowed between a multipart delimiter and its CRLF (transport padding).
inline constexpr std::size_t kMaxMultipartPadding = 256;
/// Largest multipart part header block accepted by the echo parser.
inline constexpr std::size_t kMaxMultipartHeaderBytes = 16 * 1024;
/// Admin request bodies (scenarios) larger than this are refused with 413.
inline constexpr std::size_t kMaxAdminBodyBytes = 8 * 1024 * 1024;
/// The request-tagging header (admin-api.md, "Request tagging").
inline constexpr const char* kRequestIdHeader = "x-faultline-request-id";

}  // namespace faultline::fake_server::detail

namespace faultline::fake_server::detail {
/// Closed connections kept in the stats (oldest dropped first) until a reset.
inline constexpr std::size_t kMaxClosedConnections = 20000;
}  // namespace faultline::fake_server::detail
