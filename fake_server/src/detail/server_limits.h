// Named constants of the fake server: buffer sizes, ring sizes, deadlines.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace faultline::fake_server::detail {

/// Events kept per connection timeline before the oldest are evicted.
inline constexpr std::size_t kTimelineCapacity = 4096;
/** Streams per connection whose flow control the stats keep (the newest ids). */
inline constexpr std::size_t kMaxFlowStreams = 64;
/// Bytes read from a socket in one read (one TLS record; kept small: it lives in every
/// connection).
inline constexpr std::size_t kReadBufferBytes = 16 * 1024;
/// A write is flushed once this many bytes are pending (output is coalesced up to it).
inline constexpr std::size_t kWriteCoalesceBytes = 64 * 1024;
/// The largest response header block nghttp2 may send: respond.header_block's 8 MiB
/// of filler and the route's own fields.
inline constexpr std::size_t kMaxSendHeaderBlockBytes = 9u << 20;
/// Finished HTTP/2 stream objects kept per connection for reuse.
inline constexpr std::size_t kSpareStreams = 64;
/// The HTTP/2 client connection preface ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").
inline constexpr std::size_t kH2PrefaceBytes = 24;
/// A TLS handshake that takes longer than this is abandoned.
inline constexpr std::chrono::seconds kHandshakeTimeout{10};
/// A close fault with close_notify waits this long for the peer's close_notify.
inline constexpr std::chrono::milliseconds kCloseNotifyWait{1000};
/// After its last bytes (a GOAWAY, a closing response) a connection half-closes and
/// reads input away until the peer closes, for at most this many bytes and this long,
/// so that unread input does not reset the connection before the peer read them.
inline constexpr std::size_t kDrainBytes = 4 * 1024 * 1024;
inline constexpr std::chrono::seconds kDrainTimeout{5};
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
/// PUT /v1/scenario bodies larger than this are refused with 413.
inline constexpr std::size_t kMaxAdminScenarioBytes = 8 * 1024 * 1024;
/// Every other admin request body (actions, gate releases) is refused with 413 above this.
inline constexpr std::size_t kMaxAdminBodyBytes = 64 * 1024;
/// (The server-wide defaults - admin idle timeout, connection and held-stream caps - are
/// public: faultline/fake_server/server.h.)
/// nghttp2's own RST_STREAM rate limiter (burst, tokens per second), set above the
/// flood guard's reset_stream budget (flood_guard.cpp) so that the guard answers first.
inline constexpr std::uint64_t kNghttp2ResetBurst = 4000;
inline constexpr std::uint64_t kNghttp2ResetRate = 400;
/// Accept failing for lack of descriptors (EMFILE/ENFILE) is retried after a pause that
/// doubles from the first to the last value; one log line per kAcceptLogInterval.
inline constexpr std::chrono::milliseconds kAcceptBackoffFirst{10};
inline constexpr std::chrono::milliseconds kAcceptBackoffLast{1000};
inline constexpr std::chrono::seconds kAcceptLogInterval{10};
/// The request-tagging header (admin-api.md, "Request tagging").
inline constexpr const char* kRequestIdHeader = "x-faultline-request-id";
/// The request headers that choose a namespace and a scenario (admin-api.md, "Namespaces").
inline constexpr const char* kNamespaceHeader = "x-faultline-namespace";
inline constexpr const char* kScenarioHeader = "x-faultline-scenario";

}  // namespace faultline::fake_server::detail

namespace faultline::fake_server::detail {
/// Closed connections kept in the stats (oldest dropped first) until a reset.
inline constexpr std::size_t kMaxClosedConnections = 20000;
/// Timeline events kept over all closed connections (about 140 bytes each): beyond it
/// the oldest closed connections' timelines are released (their counters stay).
inline constexpr std::size_t kClosedTimelineEvents = 256 * 1024;
/// Distinct request ids counted until a reset; a new id beyond it counts in
/// requests_untracked instead.
inline constexpr std::size_t kMaxRequestIds = 100'000;
/// Named namespaces at once; a request naming a new one beyond it is answered 503
/// (POST /v1/reset forgets the unused ones).
inline constexpr std::size_t kMaxNamespaces = 1024;
/// Longest namespace name.
inline constexpr std::size_t kMaxNamespaceName = 64;
/// Scenarios loaded by PUT /v1/scenario that requests may still name (the oldest name
/// is forgotten first; the active scenario and the built-in ones are always there).
inline constexpr std::size_t kMaxLoadedScenarios = 64;
/// Free memory goes back to the system at most this often when connections close
/// (always on a reset).
inline constexpr std::chrono::milliseconds kTrimInterval{1000};
}  // namespace faultline::fake_server::detail
