// Configuration of a Client: pool shape, timeouts, TLS trust, retries.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace faultline::transport {

/** Where the server's certificate chain is verified against. */
struct TlsOptions {
  /** PEM file of trusted CAs; empty: the system store (OpenSSL's default paths). */
  std::string ca_file;
  /** PEM text of trusted CAs, used in addition to ca_file (empty: none). */
  std::string ca_pem;
  /** Verify the peer's certificate and host name. Turning this off is for tests only. */
  bool verify_peer = true;
};

/** Log severity for Options::log. */
enum class LogLevel { debug, info, warn, error };

/** Everything a Client is configured with. Plain data; copy freely. The defaults are
    what production callers should start from. */
struct Options {
  /** Sessions (connections) per origin, counting those still connecting. */
  std::size_t max_sessions_per_origin = 4;
  /** Client-side cap on concurrent streams per h2 session; the effective limit is
      min(this, the server's current SETTINGS_MAX_CONCURRENT_STREAMS). */
  std::uint32_t max_streams_per_session = 100;
  /** Requests that may wait per origin when every session is full; more fail with
      errc::queue_full. */
  std::size_t queue_limit = 65536;

  /** TCP connect + TLS handshake + the server's first SETTINGS must finish within this. */
  std::chrono::milliseconds connect_timeout{10'000};
  /** A session with no open stream for this long is closed (GOAWAY NO_ERROR). */
  std::chrono::milliseconds idle_timeout{60'000};
  /** Deadline of a request that sets none of its own; zero: no default deadline. */
  std::chrono::milliseconds request_timeout{60'000};
  /** When non-zero, an idle or busy h2 session sends PING this often (keep-alive). */
  std::chrono::milliseconds ping_interval{0};
  /** A PING the session sent (keep-alive, or the health check that starts when a
      request times out on the session) and that is not acknowledged within this closes
      the session: its other streams fail (or are retried), new requests go to a fresh
      session. */
  std::chrono::milliseconds ping_timeout{5'000};

  /** How many times one request may be re-sent after the server provably did not
      process it (REFUSED_STREAM, above a GOAWAY's last-stream-id, never written). An
      idempotent request (GET, HEAD, PUT, DELETE, OPTIONS, TRACE) with a replayable body
      whose connection closed before any byte of its response is in addition sent once
      more on another connection (RFC 9110 section 9.2.2). */
  std::uint32_t max_retries = 3;

  /** The largest response head (and trailer section) accepted; a larger one fails its
      request with errc::header_too_large, and the connection goes on. h2: advertised as
      SETTINGS_MAX_HEADER_LIST_SIZE and counted as it counts (name + value + 32 per
      field, RFC 9113 6.5.2); HTTP/1.1: the head's bytes, interim heads included, and
      at most libcurl's own bound (300 KiB in 7.88), which fails the same way. */
  std::size_t max_response_header_bytes = 256 * 1024;

  /** Serve every origin over HTTP/1.1 (libcurl), never offering h2. */
  bool force_http1 = false;
  /** How long an origin that negotiated http/1.1 (or refused h2) is served over HTTP/1.1
      before h2 is offered again. */
  std::chrono::milliseconds h1_cache_ttl{std::chrono::minutes(10)};

  TlsOptions tls;
  /** Sent as user-agent unless the request sets its own. */
  std::string user_agent = "faultline-transport/0.1";

  /** Log sink; called on the I/O thread, must not block. Empty: no logs. */
  std::function<void(LogLevel, std::string_view)> log;
  /** Least severe level passed to `log`. */
  LogLevel log_level = LogLevel::info;
};

}  // namespace faultline::transport
