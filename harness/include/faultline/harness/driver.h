// The one interface the conformance suite drives every transport through.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "faultline/harness/deadline.h"
#include "faultline/harness/exchange.h"

namespace faultline::harness {

/** What a driver declares its transport can do (the hello's optional "capabilities").
    An absent field is "not declared": checks then assume nothing and test it. */
struct DriverCapabilities {
  /** Milliseconds after which the transport closes an idle connection; 0 = it has no
      idle timer. */
  std::optional<std::int64_t> idle_timeout_ms;
  /** Milliseconds after which the transport gives up a connection that stopped
      answering (PING or the like); 0 = no dead-connection detection. */
  std::optional<std::int64_t> liveness_timeout_ms;
  /** Whether it retries a request answered 421 (Misdirected Request) on a new connection. */
  std::optional<bool> retries_421;
  /** Whether the driver reports a response's trailer fields (on its end event). */
  std::optional<bool> trailers;
  /** Whether the driver reports 1xx heads (informational events). */
  std::optional<bool> informational;
  /** Whether it offers receive backpressure: the pause/resume operations stop and
      restart the delivery of one response body, and a paused stream stops being
      credited (docs/driver-protocol.md). */
  std::optional<bool> receive_backpressure;
  /** The HTTP/2 stream window (bytes) it grants a response body: what a paused stream
      may hold at most. */
  std::optional<std::int64_t> stream_window;
  /** Whether it sends a request's body_declared_length (a streamed body declaring a
      length of its own) through its transport's streaming body API. */
  std::optional<bool> declared_length_bodies;
  /** The largest response head (bytes, as SETTINGS_MAX_HEADER_LIST_SIZE counts: name +
      value + 32 per field) its transport accepts; a larger one fails the request. */
  std::optional<std::int64_t> max_response_header_bytes;
};

/** What a driver says about itself (the protocol's hello), so that checks judge it
    against its own configuration. */
struct DriverInfo {
  int protocol = 0;      ///< driver protocol version (kProtocolVersion)
  std::string name;      ///< e.g. "libcurl", "undici"
  std::string version;   ///< the library's version
  int max_sessions = 0;  ///< connections per origin it opens at most
  int max_streams = 0;   ///< concurrent streams per connection it uses at most
  bool h2 = false;       ///< whether it can speak HTTP/2
  /** The client API layer the driver uses ("request", "fetch"); empty = not said. */
  std::string api;
  DriverCapabilities capabilities;
};

/** A driver's own counters (the protocol's stats event), or why there are none. */
struct StatsResult {
  bool ok = false;
  nlohmann::json stats;
  std::string description;
  explicit operator bool() const noexcept { return ok; }
};

/** A transport under test, seen through the driver protocol's operations. Every
    implementation is thread-safe: send/abort/stats may be called from any thread, and
    events arrive on the driver's own thread into each request's Exchange.

    Implementations: CurlDriver (libcurl multi, in process), ExternalDriver (any program
    speaking docs/driver-protocol.md, e.g. the Node/undici driver), and TransportDriver
    over Faultline's own transport (conformance/drivers/transport_driver.h). */
class Driver {
 public:
  virtual ~Driver() = default;
  Driver() = default;
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;

  /** The hello answer (protocol version, name, version, pool limits). */
  [[nodiscard]] virtual const DriverInfo& hello() const = 0;

  /** Starts a request and returns its event stream at once. An id of 0 is replaced by
      a fresh one; an id already used by this driver throws std::invalid_argument. A
      driver that has failed answers with an immediate error event of kind driver. */
  virtual std::shared_ptr<Exchange> send(Request request) = 0;

  /** Asks the driver to abort a request; the request then ends with an error event of
      kind aborted, unless it had already ended. Unknown or finished ids are ignored. */
  virtual void abort(std::uint64_t id) = 0;

  /** Receive backpressure: asks the driver to stop taking the response body of request
      `id` from its transport (pause) or to take it again (resume). Unknown or finished
      ids are ignored; a driver without backpressure ignores both (and declares
      capabilities.receive_backpressure false). */
  virtual void pause(std::uint64_t id) { (void)id; }
  virtual void resume(std::uint64_t id) { (void)id; }

  /** The driver's own counters, as JSON. */
  [[nodiscard]] virtual StatsResult stats(Deadline deadline) = 0;

  /** Evidence for a failure report: the driver's stderr, its fault if it broke. */
  [[nodiscard]] virtual std::string diagnostics() const = 0;

  /** A short label for test names and reports ("libcurl", "undici"). */
  [[nodiscard]] virtual std::string label() const { return hello().name; }
};

}  // namespace faultline::harness
