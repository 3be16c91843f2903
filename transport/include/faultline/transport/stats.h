// Counters the transport keeps about itself. Read with Client::stats().
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace faultline::transport {

/** Why a session (h2) or connection (h1) ended. */
enum class CloseReason {
  idle,             ///< no stream for Options::idle_timeout; closed by the client
  goaway,           ///< the server sent GOAWAY and the last stream finished
  peer_closed,      ///< the server closed the connection (EOF or TCP reset)
  connect_failed,   ///< resolve or TCP connect failed, or connect_timeout passed
  tls_failed,       ///< TLS handshake or verification failed
  alpn_http11,      ///< the server negotiated http/1.1 (or no ALPN): handed to HTTP/1.1
  alpn_refused,     ///< the server refused the h2 offer (no_application_protocol alert)
  protocol_error,   ///< an HTTP/2 protocol error (ours or the peer's)
  ping_timeout,     ///< a keep-alive PING went unanswered
  client_shutdown,  ///< the Client was destroyed
  http11_closed,    ///< an HTTP/1.1 connection closed (libcurl does not say why)
  http11_required,  ///< the server sent GOAWAY(HTTP_1_1_REQUIRED): handed to HTTP/1.1
};

/** Stable name of a close reason, e.g. "alpn_http11". */
[[nodiscard]] const char* to_string(CloseReason r) noexcept;

/** Per origin ("https://host:port"). */
struct OriginStats {
  std::uint64_t h2_attempts = 0;        ///< h2 sessions started (each offers ALPN h2)
  std::uint64_t h2_sessions_ready = 0;  ///< of those, how many became usable h2 sessions
  std::uint64_t fallbacks = 0;          ///< times the origin was found to be HTTP/1.1-only
  std::uint64_t requests = 0;           ///< attempts dispatched to this origin
  bool served_over_http11 = false;      ///< currently remembered as HTTP/1.1-only
};

/** A snapshot of the transport's own counters. */
struct Stats {
  std::uint64_t sessions_opened = 0;     ///< h2 sessions started + HTTP/1.1 connections opened
  std::uint64_t h2_sessions_opened = 0;  ///< h2 sessions started (connecting included)
  std::uint64_t h1_connections_opened = 0;
  std::uint64_t sessions_closed = 0;
  std::map<CloseReason, std::uint64_t> closed_by_reason;
  std::uint64_t sessions_open = 0;     ///< right now, h2 and h1
  std::uint64_t goaways_received = 0;  ///< GOAWAY frames received (each drains a session)
  std::uint64_t streams_opened = 0;    ///< h2 streams submitted
  std::uint64_t peak_streams_per_session = 0;
  std::uint64_t queue_depth = 0;  ///< requests waiting right now, all origins
  std::uint64_t peak_queue_depth = 0;
  std::uint64_t retries = 0;    ///< re-sends of unprocessed requests
  std::uint64_t fallbacks = 0;  ///< origins found HTTP/1.1-only (each time)
  std::uint64_t redirects = 0;  ///< redirects followed
  std::uint64_t requests_started = 0;
  std::uint64_t requests_succeeded = 0;
  std::uint64_t requests_failed = 0;
  std::uint64_t requests_pending = 0;  ///< started and not completed
  std::map<std::string, OriginStats> origins;
};

}  // namespace faultline::transport
