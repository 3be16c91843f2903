// The seam between a protocol engine (HTTP/2 via nghttp2, HTTP/1.1 via Beast's
// parser) and the socket that carries it. Sessions never touch sockets or Asio:
// they consume input bytes, produce output bytes and ask their host for timers, so
// they are unit-tested by feeding bytes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "detail/server_context.h"

namespace faultline::fake_server::detail {

/** What a session needs from its connection. All calls happen on the connection's
    strand, except that make_waker()'s result may be called from any thread. */
class SessionHost {
 public:
  virtual ~SessionHost() = default;
  /** The session has output: the host will call produce_output() soon (coalesced). */
  virtual void signal_write() = 0;
  /** Runs fn on the connection's strand after delay, unless the connection closed first. */
  virtual void run_after(std::chrono::milliseconds delay, std::function<void()> fn) = 0;
  /** Wraps fn into a callable that is safe to call from any thread: it runs fn on the
      connection's strand (and does nothing once the connection closed). */
  [[nodiscard]] virtual std::function<void()> make_waker(std::function<void()> fn) = 0;
  /** Closes the connection the way a close fault says: at once, or once the output
      produced so far is written (after_flush). The first call wins. */
  virtual void close_transport(scenarios::CloseMode mode, bool after_flush, std::string reason) {
    (void)mode;
    (void)after_flush;
    (void)reason;
  }
};

/** Where a session is, for the connection's timeouts (scenario limits). */
enum class SessionPhase {
  awaiting_head,  ///< nothing received yet, or a request head / h2 preface+SETTINGS under way
  idle,           ///< between exchanges: no request in progress, no open stream
  busy,           ///< a request or response in progress (held streams included)
};

/** What a session gets from its connection. */
struct SessionEnv {
  ServerContext& context;
  SessionHost& host;
  std::shared_ptr<ConnectionStats> stats;
  std::string listener;  ///< the listener's name (routes may match on it)
};

/** A protocol engine bound to one connection. */
class ProtocolSession {
 public:
  virtual ~ProtocolSession() = default;
  /** Queues what the server says first (the HTTP/2 SETTINGS). */
  virtual void start() = 0;
  /** Bytes read from the peer. */
  virtual void on_input(std::span<const std::uint8_t> bytes) = 0;
  /** Appends pending output to out until about `max` bytes are there. */
  virtual void produce_output(std::vector<std::uint8_t>& out, std::size_t max) = 0;
  /** True when the connection should close once the pending output is flushed. */
  [[nodiscard]] virtual bool should_close() const = 0;
  /** The peer closed its side (EOF). */
  virtual void on_peer_closed() = 0;
  /** Server stop: say goodbye (GOAWAY / Connection: close) and wind down. */
  virtual void shutdown() = 0;
  /** The socket is gone: release held streams, finish the stats. */
  virtual void on_closed(std::string_view reason) = 0;
  /** The admin API applies an action here (fire or POST /v1/actions). */
  virtual void apply_admin(const AdminAction& action) { (void)action; }
  /** Where the session is (the connection times out awaiting_head and idle). */
  [[nodiscard]] virtual SessionPhase phase() const = 0;
  /** False while the session holds as much unparsed input as it may (the connection
      stops reading until it is true again). */
  [[nodiscard]] virtual bool wants_input() const { return true; }
  /** The idle timeout expired: wind down politely (h2: GOAWAY(NO_ERROR)). */
  virtual void on_idle_timeout() { shutdown(); }
};

}  // namespace faultline::fake_server::detail
