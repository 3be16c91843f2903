// The fault model: when the fake server misbehaves (Trigger), how (Action), how often
// (Fault::times, Fault::scope), and the hold gates that saturate a client's pool.
// Plain data, built and validated by the loader (loader.h). docs/scenarios.md
// ("Faults") is the reference; the comments here say what the server must do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace faultline::scenarios {

/** The largest HTTP/2 stream identifier, 2^31-1 (RFC 9113 section 5.1.1); GOAWAY with it
    starts a graceful shutdown (section 6.8). */
inline constexpr std::uint32_t kMaxStreamId = 0x7fffffff;

/** The byte every late DATA payload is filled with (data_after_end_stream,
    data_after_rst, data_unknown_stream). */
inline constexpr char kLateDataByte = 'x';

/** The trailer field sent by data_after_rst with trailers when the route has none. */
inline constexpr std::string_view kLateTrailerName = "x-faultline-late";
inline constexpr std::string_view kLateTrailerValue = "1";

/** An HTTP/2 error code (RFC 9113 section 7). Any 32-bit value is allowed on the wire:
    codes without a name below are kept as numbers (static_cast). */
enum class H2Error : std::uint32_t {
  no_error = 0x0,
  protocol_error = 0x1,
  internal_error = 0x2,
  flow_control_error = 0x3,
  settings_timeout = 0x4,
  stream_closed = 0x5,
  frame_size_error = 0x6,
  refused_stream = 0x7,
  cancel = 0x8,
  compression_error = 0x9,
  connect_error = 0xa,
  enhance_your_calm = 0xb,
  inadequate_security = 0xc,
  http_1_1_required = 0xd,
};

/** The RFC name ("REFUSED_STREAM"), or "0x1f" (lower-case hex) for a code without one. */
[[nodiscard]] std::string to_string(H2Error code);

/** The code named `name` exactly as RFC 9113 spells it ("CANCEL"); nullopt otherwise. */
[[nodiscard]] std::optional<H2Error> h2_error_from_string(std::string_view name) noexcept;

// ---- triggers ------------------------------------------------------------------------
//
// A trigger fires on an event of one connection (its "home"), except AdminTrigger, which
// fires on an admin call. Stream triggers (streams_opened, active_streams, path) also
// name a stream: the one whose request headers caused the event. Events happen in the
// connection's strand; several faults firing on one event act in document order.
//
// "Ready": the moment the connection's protocol is known - the TLS handshake completed
// (ALPN decided), or on a cleartext listener the first bytes arrived (the h2 preface or
// an HTTP/1.1 request line). A stream "opens" when the server accepts its request
// headers (streams refused by the stream limit never open); on HTTP/1.1 every request
// is a stream.

/** Fires once per connection, when its `count`-th stream opens (1 = the first). */
struct StreamsOpenedTrigger {
  std::uint32_t count = 1;  ///< 1..2^31-1

  bool operator==(const StreamsOpenedTrigger&) const = default;
};

/** Fires when a stream opens and makes the connection's open streams (opened, not yet
    closed: held and slow ones included) equal `count`; again each time the number
    drops below and climbs back to `count`. */
struct ActiveStreamsTrigger {
  std::uint32_t count = 1;  ///< 1..2^31-1

  bool operator==(const ActiveStreamsTrigger&) const = default;
};

/** Fires once per connection, `ms` after it is ready. */
struct AfterMsTrigger {
  std::uint32_t ms = 0;  ///< 0..3600000

  bool operator==(const AfterMsTrigger&) const = default;
};

/** Fires once per connection, when it is ready. */
struct ConnectTrigger {
  bool operator==(const ConnectTrigger&) const = default;
};

/** Which attempts of a request a path trigger fires on. The attempt number of a request
    is 1 + the number of earlier requests the server received (streams opened, then
    served or not; streams refused by the stream limit are never seen) with the same
    x-faultline-request-id, across all connections since the scenario was loaded or
    POST /v1/reset; for a request without that header, with the same path (query
    excluded). */
struct Attempts {
  enum class Mode {
    always,  ///< every attempt
    first,   ///< attempts 1..first
    list,    ///< the attempts in `list`
  };
  Mode mode = Mode::always;
  std::uint32_t first = 0;          ///< Mode::first: 1..2^31-1
  std::vector<std::uint32_t> list;  ///< Mode::list: ascending, no repeats, each >= 1

  bool operator==(const Attempts&) const = default;
};

/** Whether attempt number `attempt` (from 1) is one the trigger fires on. */
[[nodiscard]] bool attempt_matches(const Attempts& attempts, std::uint32_t attempt) noexcept;

/** Fires when request headers arrive whose path matches `path` (a route path pattern,
    see Match), whose method equals `method` when set, and whose attempt number is in
    `attempt`. The loader checks that some route serves a path the pattern matches. */
struct PathTrigger {
  std::string path;
  std::optional<std::string> method;
  Attempts attempt;

  bool operator==(const PathTrigger&) const = default;
};

/** Fires when the client sends RST_STREAM (any code) on an open stream; that stream
    is the action's target. Never fires on HTTP/1.1. */
struct ClientRstTrigger {
  bool operator==(const ClientRstTrigger&) const = default;
};

/** Fires on the admin call POST /v1/actions/fire {"name": label}; every fault with that
    label fires. Always server scope: one call is one firing, applied to every open
    connection the fault covers (or once, for server-wide actions). */
struct AdminTrigger {
  std::string label;  ///< letters, digits, '.', '_', '-'

  bool operator==(const AdminTrigger&) const = default;
};

/** Fires when a stream opens on a connection that had no open stream for at least `ms`
    before it: since its previous stream closed, or for its first stream since the
    connection was accepted. Recurs: every stream that opens after such a pause. A
    server's keep-alive timeout racing the client's next request. */
struct IdleTrigger {
  std::uint32_t ms = 1;  ///< 1..3600000

  bool operator==(const IdleTrigger&) const = default;
};

using Trigger =
    std::variant<StreamsOpenedTrigger, ActiveStreamsTrigger, AfterMsTrigger, ConnectTrigger,
                 PathTrigger, ClientRstTrigger, AdminTrigger, IdleTrigger>;

/** The trigger's JSON key: "streams_opened", "active_streams", "after_ms", "connect",
    "path", "client_rst", "admin", "idle_ms". */
[[nodiscard]] std::string_view trigger_name(const Trigger& trigger) noexcept;

// ---- actions -------------------------------------------------------------------------
//
// Stream-bound actions (rst_stream, data_after_end_stream, data_after_rst, and close
// at mid_headers/mid_body) act on a target stream: the trigger's stream for stream
// triggers and client_rst, else (after_ms, connect, admin, POST /v1/actions) the next
// stream that opens on the connection after the firing. Raw frames (late DATA, GOAWAY
// with any last-stream-id, unknown stream ids) are written by the raw frame writer at a
// frame boundary after what nghttp2 has queued. Everything an action sends follows the
// server's initial SETTINGS. A stream-bound effect whose stream ends first (reset, or for
// data_after_rst completed without a reset) is dropped.

/** GOAWAY's last-stream-id, resolved when that GOAWAY is written. */
struct LastStreamId {
  enum class Kind {
    current,   ///< the highest stream id the client has opened so far (0 when none)
    previous,  ///< the second highest (0 when fewer than two): the newest stream is above it
    max,       ///< 2^31-1
    number,    ///< `id` as given
  };
  Kind kind = Kind::current;
  std::uint32_t id = 0;  ///< Kind::number: 0..2^31-1

  bool operator==(const LastStreamId&) const = default;
};

/** Sends GOAWAY. Streams above last-stream-id are abandoned: nothing more is sent on
    them and their requests do not count as served (a stream whose response headers
    were already sent still counted). With graceful_delay_ms, a first GOAWAY(2^31-1,
    NO_ERROR, no debug data) is sent at once and this one after the delay. Afterwards
    the connection closes (TLS close_notify, then FIN) when close_when_idle and no stream
    at or below last-stream-id is open, or close_after_ms after the (final) GOAWAY,
    whichever comes first; neither: it stays open until the client closes it.
    HTTP/1.1: the response in progress, else the next one, carries
    "connection: close" and the connection closes after it (FIN, close_notify first on
    TLS); an idle connection with no request within close_after_ms closes then. */
struct GoawayAction {
  LastStreamId last_stream_id;
  H2Error error = H2Error::no_error;
  std::string debug;                               ///< opaque data, UTF-8, 0..1024 bytes
  std::optional<std::uint32_t> graceful_delay_ms;  ///< set: two-phase shutdown; 0..3600000
  std::optional<std::uint32_t> close_after_ms;     ///< 0..3600000
  bool close_when_idle = true;

  bool operator==(const GoawayAction&) const = default;
};

/** Sends a SETTINGS frame with exactly the values set (at least one). The server's
    stream limit follows max_concurrent_streams: until the client acknowledges the
    frame, the larger of the old and new limits is enforced (RFC 9113 section 6.5.3).
    HTTP/1.1: skipped. */
struct SettingsAction {
  std::optional<std::uint32_t> max_concurrent_streams;  ///< 0..2^31-1
  std::optional<std::uint32_t> initial_window_size;     ///< 0..2^31-1
  std::optional<std::uint32_t> max_frame_size;          ///< 16384..16777215
  std::optional<std::uint32_t> header_table_size;       ///< 0..2^32-1
  std::optional<std::uint32_t> max_header_list_size;    ///< 0..2^32-1

  bool operator==(const SettingsAction&) const = default;
};

/** Where on its response a stream is reset. */
enum class RstPoint {
  before_headers,  ///< as the trigger fires (request headers in), before any response
  after_headers,   ///< after the response HEADERS (sent without END_STREAM)
  mid_body,        ///< after `after_bytes` body bytes (see RstStreamAction)
};

/** Sends RST_STREAM(error) on the target stream at `at`. mid_body: the cut comes after
    min(after_bytes, body size - 1) body bytes, so the response is never complete (an
    empty body is cut right after HEADERS, sent without END_STREAM). A reset request is
    not served unless its headers went out. HTTP/1.1: the connection closes (FIN,
    no close_notify) at the same point. */
struct RstStreamAction {
  H2Error error = H2Error::cancel;  ///< required in JSON
  RstPoint at = RstPoint::before_headers;
  std::uint64_t after_bytes = 1;  ///< mid_body only: 1..2^64-1

  bool operator==(const RstStreamAction&) const = default;
};

/** After the target stream's response completed (END_STREAM sent, on DATA or on
    trailers), writes `frames` DATA frames on that stream id, each `frame_bytes` of
    kLateDataByte, no flags, `interval_ms` apart (the first right after END_STREAM).
    HTTP/1.1: skipped. */
struct DataAfterEndStreamAction {
  std::uint32_t frames = 1;        ///< 1..10000
  std::uint32_t frame_bytes = 16;  ///< 0..16384
  std::uint32_t interval_ms = 0;   ///< 0..3600000

  bool operator==(const DataAfterEndStreamAction&) const = default;
};

/** When the client resets the target stream (at once for the client_rst trigger; later,
    if ever, for others), keeps writing DATA frames of `frame_bytes` kLateDataByte on it:
    `frames` frames `interval_ms` apart (the first right after the RST arrives), or with
    duration_ms, one every `interval_ms` (>= 1) until duration_ms has passed. Then, with
    `trailers`, a HEADERS frame with END_STREAM carrying the route's trailers (or
    kLateTrailerName: kLateTrailerValue), encoded as literals without indexing so HPACK
    state is untouched. Late DATA is flow-controlled like any DATA (RFC 9113 section 6.9
    counts it on the client's side): a frame the connection window cannot take is not
    sent and the burst ends. HTTP/1.1: skipped. */
struct DataAfterRstAction {
  std::uint32_t frames = 1;                  ///< 1..10000; unused with duration_ms
  std::optional<std::uint32_t> duration_ms;  ///< 1..3600000; not together with frames in JSON
  std::uint32_t interval_ms = 0;             ///< 0..3600000; >= 1 with duration_ms
  std::uint32_t frame_bytes = 16;            ///< 0..16384
  bool trailers = false;

  bool operator==(const DataAfterRstAction&) const = default;
};

/** The stream id of data_unknown_stream. */
struct UnknownStreamId {
  enum class Kind {
    next_odd,   ///< the highest client stream id opened + 2 (1 when none): an idle stream
    next_even,  ///< 2: the server never opens streams, so every even id is idle
    number,     ///< `id` as given, whatever its state
  };
  Kind kind = Kind::next_odd;
  std::uint32_t id = 0;  ///< Kind::number: 1..2^31-1

  bool operator==(const UnknownStreamId&) const = default;
};

/** Writes `frames` DATA frames of `frame_bytes` kLateDataByte, no flags, on a stream id
    the client never opened, back to back, when the fault fires. HTTP/1.1: skipped. */
struct DataUnknownStreamAction {
  UnknownStreamId stream_id;
  std::uint32_t frames = 1;        ///< 1..10000
  std::uint32_t frame_bytes = 16;  ///< 0..16384

  bool operator==(const DataUnknownStreamAction&) const = default;
};

/** How a connection is closed. */
enum class CloseMode {
  fin,           ///< TCP FIN (shutdown, close) with no TLS close_notify: a truncation on TLS
  reset,         ///< SO_LINGER {1, 0} then close: TCP RST
  close_notify,  ///< TLS close_notify alert, then FIN; on a cleartext connection: fin
  /** No close at all: from the firing on, the connection writes nothing more (output
      not yet written is dropped) and processes nothing it reads (bytes are read and
      discarded), with no FIN and no RST; TCP stays open until the client closes it
      (then the server closes too) or the server stops. A dead peer, as a client sees
      one behind a crashed host or a NAT that dropped its mapping. */
  black_hole,
};

/** When close acts. */
enum class ClosePoint {
  now,          ///< as the fault fires
  mid_headers,  ///< the target stream's response HEADERS frame is cut: its 9-byte frame
                ///< header and the first half (rounded down, at least 1 byte) of its
                ///< payload are written, then the close (HTTP/1.1: half the head)
  mid_body,     ///< after min(after_bytes, body size - 1) body bytes of the target stream
};

/** Closes the home connection, or with all_connections every open connection the fault
    covers (its listener, or all). Same meaning on HTTP/1.1 (mid_body counts payload
    bytes, not chunk framing). */
struct CloseAction {
  CloseMode mode = CloseMode::fin;
  ClosePoint at = ClosePoint::now;
  std::uint64_t after_bytes = 1;  ///< mid_body only: 1..2^64-1
  bool all_connections = false;   ///< only with at == now

  bool operator==(const CloseAction&) const = default;
};

/** Sends PING frames: the first as the fault fires, then every interval_ms, `count` in
    all (unset: until the connection closes). Opaque data: an 8-byte big-endian counter,
    1 for the connection's first server PING. ACKs are counted. One series per
    connection: a new firing there replaces the running one (the counter carries on).
    HTTP/1.1: skipped. */
struct PingAction {
  std::uint32_t interval_ms = 1000;    ///< 1..3600000
  std::optional<std::uint32_t> count;  ///< 1..1000000

  bool operator==(const PingAction&) const = default;
};

/** Starts a GOAWAY storm (server-wide): every connection accepted while it lasts on the
    listeners the fault covers - including the one whose `connect` fired it - gets,
    right after the server's SETTINGS, GOAWAY(0, error, debug), and is closed
    (close_notify, FIN) close_after_ms later; streams it opens anyway are not served.
    The storm lasts duration_ms (unset: until the scenario is replaced or POST /v1/reset);
    a firing while it is on restarts duration_ms from then.
    HTTP/1.1 connections are served normally. */
struct StormAction {
  H2Error error = H2Error::enhance_your_calm;
  std::string debug;                         ///< 0..1024 bytes
  std::optional<std::uint32_t> duration_ms;  ///< 1..3600000
  std::uint32_t close_after_ms = 0;          ///< 0..3600000

  bool operator==(const StormAction&) const = default;
};

/** What protocol_violation sends in place of the target stream's response. */
enum class ViolationKind {
  /** Bytes that are no HTTP/2 frame: an HTTP/1.1 response head ("HTTP/1.1 200 OK ..."),
      which a client reads as a frame header whose length exceeds any
      SETTINGS_MAX_FRAME_SIZE (RFC 9113 section 4.2: a FRAME_SIZE_ERROR connection error). */
  garbage,
  /** PUSH_PROMISE on the stream, promising stream 2 (a GET of the request's path), after
      the client's SETTINGS disabled push (section 8.4: a PROTOCOL_ERROR connection error). */
  push_promise,
  /** A response HEADERS (END_HEADERS, END_STREAM) whose block is the indexed field 0,
      which HPACK forbids (RFC 7541 section 6.1; RFC 9113 section 4.3: COMPRESSION_ERROR). */
  bad_hpack,
  /** A response HEADERS (END_HEADERS, END_STREAM) whose :status is `status`, or without
      :status when `status` is empty (section 8.3.2: malformed, a stream error). */
  bad_status,
  /** A response HEADERS (END_HEADERS, END_STREAM) with :status 200 and the field
      `name: value` (a connection-specific field, section 8.2.2, or an upper-case name,
      section 8.2.1: malformed, a stream error). */
  forbidden_field,
};

/** Sends, in place of the target stream's response (which is then never served), what
    `kind` says, written by the raw frame writer; header blocks are HPACK literals
    without indexing, so the client's HPACK state is untouched. HTTP/1.1: skipped. */
struct ProtocolViolationAction {
  ViolationKind kind = ViolationKind::garbage;  ///< required in JSON
  // Read for every kind, used by one each.
  std::string status = "2x0";        ///< bad_status: 0..16 bytes, "" for none
  std::string name = "connection";   ///< forbidden_field: 1..256 bytes
  std::string value = "keep-alive";  ///< forbidden_field: 0..1024 bytes

  bool operator==(const ProtocolViolationAction&) const = default;
};

using Action = std::variant<GoawayAction, SettingsAction, RstStreamAction, DataAfterEndStreamAction,
                            DataAfterRstAction, DataUnknownStreamAction, CloseAction, PingAction,
                            StormAction, ProtocolViolationAction>;

/** The action's JSON key: "goaway", "settings", "rst_stream", "data_after_end_stream",
    "data_after_rst", "data_unknown_stream", "close", "ping", "storm", "protocol_violation". */
[[nodiscard]] std::string_view action_name(const Action& action) noexcept;

/** Whether the action means something on an HTTP/1.1 connection (goaway, rst_stream,
    close); the others are skipped there: the fault does not fire and is not counted. */
[[nodiscard]] bool has_h1_meaning(const Action& action) noexcept;

/** Whether the action acts on a target stream (see "Stream-bound actions" above). */
[[nodiscard]] bool is_stream_bound(const Action& action) noexcept;

/** Whether the action affects the server rather than its home connection (storm, and
    close with all_connections). */
[[nodiscard]] bool is_server_wide(const Action& action) noexcept;

// ---- faults --------------------------------------------------------------------------

/** What Fault::times counts. Counts restart when a scenario is loaded and on POST
    /v1/reset. */
enum class FaultScope {
  connection,  ///< each connection may fire the fault `times` times
  server,      ///< the whole server fires it `times` times
};

/** One fault: when `trigger` fires on a connection the fault covers (`listener`, or
    every listener), `action` runs, at most `times` times per `scope`. A firing on an
    HTTP/1.1 connection whose action has no HTTP/1.1 meaning is skipped and not counted. */
struct Fault {
  std::string name;                        ///< optional label (unique when set), for stats and logs
  Trigger trigger;                         ///< JSON "on"
  Action action;                           ///< JSON "do"
  std::optional<std::uint32_t> times = 1;  ///< 1..2^31-1; nullopt: "always"
  FaultScope scope = FaultScope::connection;  ///< always server for AdminTrigger
  std::optional<std::string> listener;        ///< unset: every listener

  bool operator==(const Fault&) const = default;
};

// ---- gates ---------------------------------------------------------------------------

/** The order in which a gate releases its held streams. */
enum class GateOrder {
  arrival,  ///< first held, first released
  reverse,  ///< last held, first released
  random,   ///< a shuffle seeded by GateConfig::seed (see release_order)
};

/** How a gate (routes' respond.hold) releases. Gates without a config: arrival order,
    released only by the admin API. */
struct GateConfig {
  /** When the gate holds this many streams, all of them are released (in `order`);
      unset: only POST /v1/gates/{name}/release releases. 1..2^31-1. */
  std::optional<std::uint32_t> release_when_held;
  GateOrder order = GateOrder::arrival;
  std::uint64_t seed = 0;  ///< GateOrder::random only

  bool operator==(const GateConfig&) const = default;
};

/** The order to release `held` streams in, as indices into the held streams in arrival
    order (0 = held first). A release of `count` streams takes the first `count` entries.
    random: Fisher-Yates with std::mt19937_64(seed): for i from held-1 down to 1,
    j = rng() % (i + 1), swap(order[i], order[j]) - the same seed and count always give
    the same order. */
[[nodiscard]] std::vector<std::size_t> release_order(const GateConfig& gate, std::size_t held);

/** JSON spellings of the enums above ("connection", "mid_body", "close_notify", ...). */
[[nodiscard]] const char* to_string(FaultScope scope) noexcept;
[[nodiscard]] const char* to_string(RstPoint point) noexcept;
[[nodiscard]] const char* to_string(ClosePoint point) noexcept;
[[nodiscard]] const char* to_string(CloseMode mode) noexcept;
[[nodiscard]] const char* to_string(GateOrder order) noexcept;
[[nodiscard]] const char* to_string(ViolationKind kind) noexcept;

}  // namespace faultline::scenarios
