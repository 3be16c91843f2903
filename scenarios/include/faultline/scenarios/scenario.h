// The scenario model: what the fake server serves and how it misbehaves.
// Plain data, built by the loader (loader.h) from JSON and validated there, so
// the server can trust every value it reads here. See docs/scenarios.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "faultline/scenarios/faults.h"

namespace faultline::scenarios {

/** How a TLS listener answers the client's ALPN offer. */
enum class AlpnPolicy {
  h2_h1,      ///< select h2 when offered, else http/1.1
  h1_only,    ///< select http/1.1; a client offering only h2 gets no protocol (and h1)
  h1_strict,  ///< select http/1.1; an offer without http/1.1 fails with no_application_protocol
  h2_only,    ///< select h2; an offer without h2 fails with no_application_protocol
  none,       ///< no ALPN callback at all: no protocol negotiated, served as h1
};

/** One listening socket. Listeners are bound at start and cannot change at runtime. */
struct Listener {
  std::string name = "main";  ///< unique; routes and redirects refer to it
  bool tls = true;            ///< false: cleartext h1 and h2c with prior knowledge
  AlpnPolicy alpn = AlpnPolicy::h2_h1;
  /** TLS only: the server starts the TLS handshake this long after accepting the TCP
      connection (the ClientHello waits unanswered). 0..3600000. */
  std::uint32_t handshake_delay_ms = 0;
};

/** Whether a connection on this listener can ever speak HTTP/2: cleartext (h2c by
    prior knowledge) or TLS with ALPN h2+h1 or h2-only. */
[[nodiscard]] bool can_speak_h2(const Listener& listener) noexcept;

/** HTTP/2 SETTINGS the server sends first. Unset optionals are not sent. */
struct H2Settings {
  std::optional<std::uint32_t> max_concurrent_streams;
  std::uint32_t initial_window_size = 65535;
  std::uint32_t max_frame_size = 16384;
  std::optional<std::uint32_t> header_table_size;
  std::optional<std::uint32_t> max_header_list_size;
};

/** Limits on what a client may send; beyond them the request gets 413/431 or the connection closes.
 */
struct Limits {
  std::uint64_t max_request_body_bytes = 64ull << 20;
  std::uint32_t max_header_bytes = 64u << 10;
  /** A connection must deliver its first request head within this of being accepted,
      each later head within this of its first byte (HTTP/1.1), or its preface and
      first SETTINGS (h2); late, it is closed. 0: no limit. */
  std::uint32_t header_timeout_ms = 20'000;
  /** A connection with no request in progress and no open stream is closed after this
      (h2: GOAWAY(NO_ERROR) first); 0: never. */
  std::uint32_t idle_timeout_ms = 60'000;
  /** Streams one connection may have held at gates at once; a request beyond it gets
      503 instead of being held. 0: no limit. */
  std::uint32_t max_held_streams = 1'000;
  /** HTTP/1.1 bytes read ahead while a response is pending; beyond it the server stops
      reading until the response is done. 0: no limit. */
  std::uint32_t max_pipelined_bytes = 64u << 10;
  /** Answer SETTINGS/PING/WINDOW_UPDATE/empty DATA/PRIORITY/RST_STREAM floods with
      GOAWAY(ENHANCE_YOUR_CALM) (docs/reliability.md). */
  bool flood_guard = true;

  bool operator==(const Limits&) const = default;
};

using Header = std::pair<std::string, std::string>;

/** Path captures of a matched route: "/bytes/{n}" on "/bytes/42" gives {"n": "42"}. */
using Captures = std::map<std::string, std::string, std::less<>>;

/** A number that is either a literal or a path capture plus an offset ("{n}", "{k-1}"). */
struct NumberExpr {
  std::uint64_t literal = 0;
  std::string capture;      ///< empty: use literal
  std::int64_t offset = 0;  ///< added to the capture's value
};

/** Fixed bytes ("text", or "base64" decoded at load time). */
struct FixedBody {
  std::string data;
};

/** A JSON description of the request: method, path, headers, body size and SHA-256,
    and for multipart/form-data each part's name, filename, content type, size and SHA-256. */
struct EchoBody {};

/** Deterministic pseudo-random bytes, produced chunk by chunk, never buffered whole. */
struct RandomBody {
  NumberExpr size;
  std::uint64_t seed = 0;
};

/** Server-sent events: "id: i\nevent: NAME\ndata: DATA\n\n" for i in [0, events). */
struct SseBody {
  std::uint32_t events = 1;
  std::uint32_t interval_ms = 0;  ///< delay before each event after the first
  std::string event;              ///< event name; empty: no "event:" line
  std::string data = "{i}";       ///< template; {i} is the event index
  std::vector<std::uint32_t>
      split;  ///< cut each event into writes (DATA frames) of these sizes, cycled
};

using Body = std::variant<std::monostate, FixedBody, EchoBody, RandomBody, SseBody>;

/** A redirect answer: status 301/302/303/307/308, Location built from a template. */
struct Redirect {
  int status = 302;
  std::string to;                       ///< path template ("/r/{k-1}") or absolute URL
  std::optional<std::string> listener;  ///< another listener's origin (cross-origin)
};

/** What a route answers. */
/** An interim (1xx) response head sent before the final one (RFC 9110 15.2). */
struct Informational {
  int status = 103;             ///< 100..199, not 101
  std::vector<Header> headers;  ///< values are templates ({capture})
};

/** The Content-Length a response head declares instead of its body's own size: the
    way to send a length that lies (docs/scenarios.md, "Declared length"). */
struct DeclaredLength {
  bool omit = false;                  ///< no Content-Length at all (HTTP/1.1: chunked)
  std::vector<std::uint64_t> values;  ///< one field per value, in order (unless omit)
};

/** A response head made large on purpose (docs/scenarios.md, "Large header blocks"):
    filler fields x-fill-0001, x-fill-0002, ... after the route's own fields, each
    kHeaderFillFieldBytes as SETTINGS_MAX_HEADER_LIST_SIZE counts a field (name + value
    + 32, RFC 9113 6.5.2) and the last one the rest; a field's value is its 4-digit
    number followed by 'X's. HTTP/1.1 sends the same fields in its head. */
struct HeaderBlock {
  /** The filler fields' size, counted as above. */
  std::uint32_t bytes = 0;
  /** h2: the block leaves in HEADERS + CONTINUATION frames of this many payload bytes
      (the last one shorter); unset: as nghttp2 splits it (the client's
      SETTINGS_MAX_FRAME_SIZE). */
  std::optional<std::uint32_t> frame_bytes;
  /** h2: HPACK dynamic table size updates (RFC 7541 6.3) at the start of the block, in
      order, e.g. {0, 4096}: the table is emptied, then allowed to grow again. Each is
      at most the client's SETTINGS_HEADER_TABLE_SIZE (a client must reject more). */
  std::vector<std::uint32_t> table_size_updates;
};
/** The size of one filler field of a HeaderBlock but the last. */
inline constexpr std::uint32_t kHeaderFillFieldBytes = 1024;
/** How many filler fields a HeaderBlock of `bytes` has. */
[[nodiscard]] constexpr std::uint32_t header_fill_fields(std::uint32_t bytes) noexcept {
  return bytes < kHeaderFillFieldBytes ? 1 : bytes / kHeaderFillFieldBytes;
}

struct Response {
  int status = 200;
  std::vector<Header> headers;  ///< values are templates ({capture})
  Body body;
  std::optional<Redirect> redirect;   ///< when set, status and Location come from it
  std::optional<std::string> hold;    ///< gate name: the stream waits until the gate is released
  std::uint32_t delay_ms = 0;         ///< before the response headers
  std::uint32_t chunk_bytes = 16384;  ///< body write size
  std::uint32_t chunk_delay_ms = 0;   ///< between body writes
  std::vector<Header> trailers;
  /** Interim heads, in order, right before the final head (after hold and delay). */
  std::vector<Informational> informational;
  /** A request with `expect: 100-continue` gets `100 Continue` as soon as its head
      arrives (h2 and HTTP/1.1); false: the expectation is ignored, the final status only. */
  bool expect_continue = true;
  /** Answer as soon as the request head arrives, without reading the request body (RFC
      9113 8.1, RFC 9112 9.6): HTTP/2 ends the response, then resets the stream with
      NO_ERROR while the client is still sending; HTTP/1.1 sends `connection: close` and
      closes gracefully, draining what the client still sends. */
  bool early = false;
  /** Unset: the body's size when known (HTTP/1.1 chunks a body of unknown size). */
  std::optional<DeclaredLength> content_length;
  /** Filler fields that make the head large, and how the h2 block is framed. */
  std::optional<HeaderBlock> header_block;
};

/** Which requests a route takes. Path patterns: literal segments, "{name}" captures a
    segment, a trailing "*" matches any rest. The query string is ignored. */
struct Match {
  std::optional<std::string> method;  ///< unset: any
  std::string path;
  std::optional<std::string> listener;  ///< unset: any listener
  /** Set: only these attempts of a request (numbered as for path triggers, see Attempts)
      take the route; later attempts fall through to the next route. */
  std::optional<Attempts> attempt;
};

struct Route {
  Match match;
  Response respond;
};

/** A whole scenario. Routes are tried in order; the first match answers. */
struct Scenario {
  std::string name;
  std::string description;
  std::vector<Listener> listeners;  ///< never empty after loading
  H2Settings settings;
  Limits limits;
  std::vector<Route> routes;
  /** Misbehaviour, in document order; see faults.h. */
  std::vector<Fault> faults;
  /** Release settings of gates named by routes' respond.hold; a gate not listed here
      releases in arrival order, by the admin API only. */
  std::map<std::string, GateConfig, std::less<>> gates;
  /** Refuse (RST_STREAM REFUSED_STREAM, RFC 9113 section 5.1.2) a stream that opens while
      the client already has as many open as the max_concurrent_streams the server
      advertised; false: serve it. Either way it counts as a violation. */
  bool enforce_stream_limit = true;
};

/** Whether any route of `scenario` matches by attempt number (Match::attempt). */
[[nodiscard]] bool routes_match_attempts(const Scenario& scenario) noexcept;
/** Whether any route of `scenario` sends HPACK table size updates (HeaderBlock): its h2
    connections then use an encoder that indexes nothing, so that a table the client
    empties cannot desynchronise it. */
[[nodiscard]] bool routes_update_table_size(const Scenario& scenario) noexcept;

/** Constants for the names above, so code and docs agree. */
[[nodiscard]] const char* to_string(AlpnPolicy policy) noexcept;

}  // namespace faultline::scenarios
