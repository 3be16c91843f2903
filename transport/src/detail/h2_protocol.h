// The HTTP/2 protocol of one client session, without sockets: nghttp2 driven by
// mem_recv/mem_send, the streams the pool submitted, and the events the pool hears. The
// connection (h2_session.cpp: resolve, TCP, TLS, ALPN, timers) carries its bytes; unit
// tests and fuzzers call receive() with bytes of their own. No Asio in here.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nghttp2/nghttp2.h>

#include "detail/h2_header_coalescer.h"
#include "detail/session.h"
#include "faultline/transport/options.h"

namespace faultline::transport::detail {

class Hooks;

/** What every h2 session of a Client shares. */
struct H2SessionConfig {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds ping_interval{0};
  std::chrono::milliseconds ping_timeout{5'000};       ///< Options::ping_timeout
  std::size_t max_response_header_bytes = 256 * 1024;  ///< Options::max_response_header_bytes
  bool verify_peer = true;
  Hooks* hooks = nullptr;  ///< test-only hook points (detail/hooks.h); null in production
  std::function<void(LogLevel, std::string_view)> log;  ///< may be empty
  LogLevel log_level = LogLevel::info;
};

/** What the protocol needs from the connection that carries it. */
class H2ProtocolHost {
 public:
  virtual ~H2ProtocolHost() = default;
  /** Output is pending: call produce_output() soon (calls may be coalesced). */
  virtual void signal_write() = 0;
  /** Runs `fn` on the loop soon, never inside the caller; not at all once the host is gone. */
  virtual void defer(std::function<void()> fn) = 0;
  /** The server's first SETTINGS arrived (or the session is ready without them). */
  virtual void on_settled() = 0;
  /** The session ended (its last events are queued): the host closes its transport. */
  virtual void on_ended() = 0;
};

/** The nghttp2 client session and the streams of one connection. Owned by that
    connection; loop thread only.

    Events for the pool are queued while nghttp2 runs and reported by flush_events(),
    which the owner calls after each input, output or timer, never from inside a call the
    pool makes (submit, cancel, close). Every submitted stream is reported closed exactly
    once, before on_session_closed. */
class H2Protocol {
 public:
  H2Protocol(const H2SessionConfig& config, Url origin, SessionId id, SessionEvents& events,
             H2ProtocolHost& host);
  ~H2Protocol();
  H2Protocol(const H2Protocol&) = delete;
  H2Protocol& operator=(const H2Protocol&) = delete;

  // ---- From the connection
  /** ALPN chose h2: creates the nghttp2 session and queues the preface and SETTINGS. */
  void start();
  /** Bytes from the server, cut anywhere. False when the session ended. */
  bool receive(std::span<const std::uint8_t> bytes);
  /** Feeds bytes to nghttp2, their header blocks joined into fewer frames
      (H2HeaderCoalescer; what receive() does unless a hook takes over). False when
      nghttp2 rejected them and the session ended. */
  bool feed(std::span<const std::uint8_t> bytes);
  /** Appends pending output to `out` until it holds about `max` bytes or nothing is
      left. False when nghttp2 failed and the session ended. */
  bool produce_output(std::vector<std::uint8_t>& out, std::size_t max);
  /** Appends everything still pending (the GOAWAY of close()) whatever its state. */
  void final_output(std::vector<std::uint8_t>& out);
  /** Drops the nghttp2 session: nothing calls back into this object afterwards. */
  void release() noexcept;
  /** Ends the session when nghttp2 wants neither to read nor to write. */
  void finish_if_done();
  /** The keep-alive timer fired: sends a PING, or ends the session when the previous
      one is still unanswered. */
  void on_ping_due();
  /** Sends a PING unless one is unanswered. True when one was sent: the host judges
      it by on_ping_deadline() after ping_timeout. */
  bool send_ping();
  /** ping_timeout passed since send_ping(): ends the session (ping_timeout) when that
      PING is still unanswered. */
  void on_ping_deadline();
  [[nodiscard]] bool ping_outstanding() const noexcept { return ping_outstanding_; }
  /** The transport is gone (read error or EOF); `detail` says how. */
  void on_transport_lost(const std::string& detail);
  /** Ends the session: open streams end (unprocessed when never written), then the
      pool hears on_session_closed. The host's on_ended() runs. */
  void fail(CloseReason reason, errc error, std::string detail);
  /** Reports the queued events to the pool (the owner keeps itself alive meanwhile). */
  void flush_events();

  // ---- From the pool (through the Session)
  bool submit(const std::shared_ptr<Exchange>& exchange);
  void cancel(const Exchange& exchange);
  /** The exchange's consumer took what it held back: credits the stream's window for
      the bytes received while it was paused. */
  void resume(const Exchange& exchange);
  /** GOAWAY(NO_ERROR), flushed by final_output(); no event follows. */
  void close();

  // ---- State
  [[nodiscard]] const Url& origin() const noexcept { return origin_; }
  [[nodiscard]] SessionId id() const noexcept { return id_; }
  /** nghttp2 runs (start() succeeded, release() not called). */
  [[nodiscard]] bool started() const noexcept { return ng_ != nullptr; }
  /** The server's first SETTINGS arrived (or h2_ready_before_settings). */
  [[nodiscard]] bool ready() const noexcept { return ready_; }
  /** Ended or closed: takes no streams, reports nothing more after the last flush. */
  [[nodiscard]] bool dead() const noexcept { return dead_; }
  [[nodiscard]] bool goaway_received() const noexcept { return goaway_received_; }
  [[nodiscard]] std::size_t open_streams() const noexcept { return streams_.size(); }
  /** True when submit() opened `stream_id` and it has closed since. */
  [[nodiscard]] bool stream_closed(std::int32_t stream_id) const noexcept;
  /** Open streams whose final response head has not arrived, oldest first. */
  [[nodiscard]] std::vector<std::int32_t> streams_awaiting_head() const;
  /** The lowest id of the open streams; 0 when none is open. */
  [[nodiscard]] std::int32_t lowest_open_stream() const noexcept {
    return streams_.empty() ? 0 : streams_.begin()->first;
  }

  // ---- nghttp2 callbacks (through the forwarding functions in h2_protocol.cpp)
  int on_header(const nghttp2_frame* frame, std::string_view name, std::string_view value);
  int on_frame_recv(const nghttp2_frame* frame);
  int on_frame_send(const nghttp2_frame* frame);
  int on_data_chunk(std::int32_t stream_id, const std::uint8_t* data, std::size_t len);
  int on_stream_close(std::int32_t stream_id, std::uint32_t error_code);
  /** nghttp2 found a frame of the server invalid (h2_protocol_errors.cpp): a malformed
      response head or body resets that stream; anything else is a connection error. */
  int on_invalid_frame(const nghttp2_frame* frame, int lib_error);
  /** nghttp2's own account of an error it found in the server's bytes. */
  int on_error(std::string_view message);
  ssize_t on_read_body(std::int32_t stream_id, std::uint8_t* buf, std::size_t length,
                       std::uint32_t* flags);

 private:
  /** One stream the pool submitted. */
  struct Stream {
    std::shared_ptr<Exchange> exchange;
    std::uint32_t attempt = 0;
    int status = 0;
    Headers block;           ///< header block being received
    bool head_done = false;  ///< the final response head was delivered
    bool headers_sent = false;
    bool cancelled = false;
    bool rst_received = false;
    bool body_failed = false;
    /** DATA bytes received while the exchange was paused: not yet credited back. */
    std::size_t uncredited = 0;
    /** Bytes of the header block being received, as SETTINGS_MAX_HEADER_LIST_SIZE
        counts them; past the limit the stream is reset (header_too_large). */
    std::size_t block_bytes = 0;
    bool header_too_large = false;
    bool end_stream_received = false;  ///< the response ended with END_STREAM
    std::uint64_t body_bytes = 0;      ///< response body bytes delivered
    /** Why nghttp2 reset the response as malformed (on_invalid_frame); empty if not. */
    std::string malformed;
  };
  struct NgDeleter {
    void operator()(nghttp2_session* session) const noexcept;
  };
  using Streams = std::map<std::int32_t, Stream>;

  int on_settings(const nghttp2_frame* frame);
  int on_goaway(const nghttp2_frame* frame);
  int on_response_headers(Streams::iterator it);
  /** nghttp2 sent a GOAWAY: one with an error code is the connection error it found. */
  void on_goaway_sent(const nghttp2_frame* frame);
  /** What on_invalid_frame says of a malformed response on `stream`. */
  [[nodiscard]] static std::string malformed_cause(const Stream& stream, const nghttp2_frame* frame,
                                                   int lib_error);
  static void mark_end_stream(Stream& stream, const nghttp2_frame* frame);
  /** Gives the head arriving on `it` to the request of stream `owner` (a hook chose it). */
  void swap_requests(Streams::iterator it, std::int32_t owner);
  /** Credits `bytes` of stream `stream_id`'s window (WINDOW_UPDATE follows). */
  void credit_stream(std::int32_t stream_id, std::size_t bytes);
  /** Credits what streams hold uncredited that are not paused, where the hooks allow. */
  void offer_held_credit();
  void report(std::function<void()> event) { events_queue_.push_back(std::move(event)); }
  void report_stream_closed(Stream stream, Outcome outcome);
  void log(LogLevel level, std::int32_t stream, const std::string& text) const;
  /** One nghttp2_session_mem_recv; false when the session ended. */
  bool read(std::span<const std::uint8_t> bytes);

  const H2SessionConfig& config_;
  Hooks* hooks_;
  Url origin_;
  SessionId id_;
  SessionEvents& events_;
  H2ProtocolHost& host_;
  std::unique_ptr<nghttp2_session, NgDeleter> ng_;
  H2HeaderCoalescer coalescer_;
  Streams streams_;
  std::int32_t last_stream_id_ = 0;  ///< the highest stream id submit() opened
  std::deque<std::function<void()>> events_queue_;
  bool ready_ = false;
  bool dead_ = false;          ///< failed or finished; reports nothing more after the last flush
  bool owner_closed_ = false;  ///< close() was called: report nothing at all
  bool goaway_received_ = false;
  /** The server's bytes broke HTTP/2 (RFC 9113 5.4.1) and nghttp2 sent GOAWAY(code):
      what the session and its requests end with (errc::protocol_error). Empty: none. */
  std::string connection_error_;
  /** Why, as nghttp2 reported it before its GOAWAY (on_invalid_frame, on_error). */
  std::string connection_error_cause_;
  bool flushing_ = false;
  bool ping_outstanding_ = false;
};

}  // namespace faultline::transport::detail
