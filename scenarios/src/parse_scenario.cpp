// parse_scenario(): JSON text to a validated Scenario. Every rejection names the JSON
// path of the offending field; the accepted fields are exactly those in detail/fields.
#include <algorithm>
#include <string>
#include <vector>

#include "detail/json_reader.h"
#include "detail/limits.h"
#include "detail/names.h"
#include "detail/parse_faults.h"
#include "detail/parse_helpers.h"
#include "detail/path_pattern.h"
#include "detail/templates.h"
#include "faultline/common/base64.h"
#include "faultline/scenarios/loader.h"

namespace faultline::scenarios {
namespace {

using namespace detail;

/** What a route's response may refer to: its path captures and the listeners. */
struct RouteContext {
  std::string pattern;
  std::vector<std::string> captures;
  const std::vector<Listener>* listeners = nullptr;
};

/** Every {name} in a template must be a capture of the route (or one of `extra`). */
void check_template(std::string_view text, const Loc& loc, const RouteContext& route,
                    std::initializer_list<std::string_view> extra = {}) {
  for_each_ref(text, [&](const TemplateRef& ref) {
    const bool known =
        std::find(route.captures.begin(), route.captures.end(), ref.name) != route.captures.end() ||
        std::find(extra.begin(), extra.end(), ref.name) != extra.end();
    if (!known) {
      fail(loc,
           "unknown capture {" + std::string(ref.name) + "}: the path " + route.pattern +
               (route.captures.empty() ? " has no captures" : " captures " + join(route.captures)));
    }
  });
}

/** Text sent on the wire inside a header or an SSE line: no line breaks, no NUL. */
void check_single_line(const std::string& text, const Loc& loc) {
  if (text.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
    fail(loc, "must not contain CR, LF or NUL");
  }
}

// ---- listeners, settings, limits -------------------------------------------------

std::vector<Listener> default_listeners() {
  return {Listener{"main", true, AlpnPolicy::h2_h1, 0},
          Listener{"plain", false, AlpnPolicy::h2_h1, 0}};
}

AlpnPolicy parse_alpn(const Json& value, const Loc& loc) {
  const std::string text = get_string(value, loc);
  if (const std::optional<AlpnPolicy> policy = alpn_from_name(text)) {
    return *policy;
  }
  std::vector<std::string> names;
  for (const AlpnName& entry : alpn_names()) {
    names.emplace_back(entry.name);
  }
  fail(loc, "unknown ALPN policy \"" + text + "\" (one of: " + join(names) + ")");
}

std::vector<Listener> parse_listeners(const Json& value, const Loc& loc) {
  if (!value.is_array()) {
    fail(loc, "must be an array of listeners");
  }
  if (value.empty()) {
    fail(loc, "must list at least one listener");
  }
  std::vector<Listener> listeners;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const Loc at = loc.index(i);
    const Json& object = require_object(value[i], at);
    Listener listener;
    listener.name = get_name(required(object, at, "name"), at.field("name"));
    if (has_listener(listeners, listener.name)) {
      fail(at.field("name"), "duplicate listener name \"" + listener.name + "\"");
    }
    if (const Json* tls = member(object, "tls")) {
      listener.tls = get_bool(*tls, at.field("tls"));
    }
    if (const Json* alpn = member(object, "alpn")) {
      if (!listener.tls) {
        fail(at.field("alpn"), "only a TLS listener negotiates ALPN (this one has tls: false)");
      }
      listener.alpn = parse_alpn(*alpn, at.field("alpn"));
    }
    if (member(object, "handshake_delay_ms") != nullptr && !listener.tls) {
      fail(at.field("handshake_delay_ms"),
           "only a TLS listener has a handshake (this one has tls: false)");
    }
    read_uint(object, at, "handshake_delay_ms", 0, kMaxDelayMs, listener.handshake_delay_ms);
    listeners.push_back(std::move(listener));
  }
  return listeners;
}

H2Settings parse_settings(const Json& value, const Loc& loc) {
  const Json& object = require_object(value, loc);
  H2Settings s;
  read_h2_settings(object, loc, s);
  return s;
}

Limits parse_limits(const Json& value, const Loc& loc) {
  const Json& object = require_object(value, loc);
  Limits limits;
  read_uint(object, loc, "max_request_body_bytes", 0, UINT64_MAX, limits.max_request_body_bytes);
  read_uint(object, loc, "max_header_bytes", 1, kMaxU32, limits.max_header_bytes);
  read_uint(object, loc, "header_timeout_ms", 0, kMaxDelayMs, limits.header_timeout_ms);
  read_uint(object, loc, "idle_timeout_ms", 0, kMaxDelayMs, limits.idle_timeout_ms);
  read_uint(object, loc, "max_held_streams", 0, kMaxCount, limits.max_held_streams);
  read_uint(object, loc, "max_pipelined_bytes", 0, kMaxU32, limits.max_pipelined_bytes);
  read_bool(object, loc, "flood_guard", limits.flood_guard);
  return limits;
}

// ---- routes ------------------------------------------------------------------------

Match parse_match(const Json& value, const Loc& loc, RouteContext& route) {
  const Json& object = require_object(value, loc);
  Match match;
  if (const Json* method = member(object, "method")) {
    match.method = parse_method(*method, loc.field("method"));
  }
  const Loc path_loc = loc.field("path");
  match.path = get_string(required(object, loc, "path"), path_loc);
  if (std::string problem = check_pattern(match.path, route.captures); !problem.empty()) {
    fail(path_loc, problem);
  }
  route.pattern = match.path;
  if (const Json* listener = member(object, "listener")) {
    match.listener = get_listener_ref(*listener, loc.field("listener"), *route.listeners);
  }
  if (const Json* attempt = member(object, "attempt")) {
    match.attempt = parse_attempts(*attempt, loc.field("attempt"));
  }
  return match;
}

bool is_tchar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::vector<Header> parse_headers(const Json& value, const Loc& loc, const RouteContext& route,
                                  bool trailers) {
  const Json& object = require_string_map(value, loc);
  std::vector<Header> headers;
  for (const auto& [raw_name, raw_value] : object.items()) {
    const Loc at = loc.field(raw_name);
    if (raw_name.empty() || !std::all_of(raw_name.begin(), raw_name.end(), is_tchar)) {
      fail(at, "not a valid header name");
    }
    std::string name = raw_name;
    std::transform(name.begin(), name.end(), name.begin(),
                   [](char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; });
    if (std::find(kConnectionHeaders.begin(), kConnectionHeaders.end(), name) !=
        kConnectionHeaders.end()) {
      fail(at, "connection-specific header not allowed (HTTP/2 forbids it)");
    }
    if (trailers && name == "content-length") {
      fail(at, "content-length is not allowed in trailers");
    }
    const bool duplicate = std::any_of(headers.begin(), headers.end(),
                                       [&name](const Header& h) { return h.first == name; });
    if (duplicate) {
      fail(at, "duplicate header \"" + name + "\" (names are case-insensitive)");
    }
    std::string text = raw_value.get<std::string>();
    check_single_line(text, at);
    check_template(text, at, route);
    headers.emplace_back(std::move(name), std::move(text));
  }
  return headers;
}

NumberExpr parse_size(const Json& value, const Loc& loc, const RouteContext& route) {
  if (value.is_string()) {
    std::optional<NumberExpr> expr = parse_number_expr(value.get<std::string>());
    if (!expr) {
      fail(loc, "must be an integer or a capture expression such as \"{n}\", \"{n-1}\"");
    }
    check_template(value.get<std::string>(), loc, route);
    return *expr;
  }
  NumberExpr expr;
  expr.literal = get_uint(value, loc, 0, UINT64_MAX);
  return expr;
}

SseBody parse_sse(const Json& value, const Loc& loc, const RouteContext& route) {
  const Json& object = require_object(value, loc);
  SseBody sse;
  read_uint(object, loc, "events", 1, kMaxSseEvents, sse.events);
  read_uint(object, loc, "interval_ms", 0, kMaxDelayMs, sse.interval_ms);
  if (const Json* v = member(object, "event")) {
    sse.event = get_string(*v, loc.field("event"));
    check_single_line(sse.event, loc.field("event"));
  }
  if (const Json* v = member(object, "data")) {
    sse.data = get_string(*v, loc.field("data"));
    check_single_line(sse.data, loc.field("data"));
    check_template(sse.data, loc.field("data"), route, {"i"});
  }
  if (const Json* v = member(object, "split")) {
    const Loc at = loc.field("split");
    if (!v->is_array()) {
      fail(at, "must be an array of write sizes");
    }
    for (std::size_t i = 0; i < v->size(); ++i) {
      sse.split.push_back(get_u32((*v)[i], at.index(i), 1, kMaxChunkBytes));
    }
  }
  return sse;
}

/** The body kinds, by their key; an object body has exactly one. */
constexpr std::array<std::string_view, 5> kBodyKinds = {"text", "base64", "echo", "random_bytes",
                                                        "sse"};

Body parse_body(const Json& value, const Loc& loc, const RouteContext& route) {
  if (value.is_string()) {
    return FixedBody{value.get<std::string>()};
  }
  if (!value.is_object()) {
    fail(loc, "must be a string or an object with one of: text, base64, echo, random_bytes, sse");
  }
  const Json& object = require_object(value, loc);
  const std::string_view kind = one_kind(object, loc, kBodyKinds, "a body");
  if (kind.empty()) {
    fail(loc, "must have one of: text, base64, echo, random_bytes, sse");
  }
  if (member(object, "seed") != nullptr && kind != "random_bytes") {
    fail(loc.field("seed"), "only a random_bytes body has a seed");
  }
  const Loc at = loc.field(kind);
  const Json& spec = object.at(std::string(kind));
  if (kind == "text") {
    return FixedBody{get_string(spec, at)};
  }
  if (kind == "base64") {
    std::optional<std::string> bytes = common::base64_decode(get_string(spec, at));
    if (!bytes) {
      fail(at, "not valid base64 (standard alphabet, padded, no whitespace)");
    }
    return FixedBody{std::move(*bytes)};
  }
  if (kind == "echo") {
    if (!get_bool(spec, at)) {
      fail(at, "must be true (leave the body out for an empty one)");
    }
    return EchoBody{};
  }
  if (kind == "random_bytes") {
    RandomBody random;
    random.size = parse_size(spec, at, route);
    if (const Json* seed = member(object, "seed")) {
      random.seed = get_uint(*seed, loc.field("seed"), 0, UINT64_MAX);
    }
    return random;
  }
  return parse_sse(spec, at, route);
}

Redirect parse_redirect(const Json& value, const Loc& loc, const RouteContext& route) {
  const Json& object = require_object(value, loc);
  Redirect redirect;
  if (const Json* status = member(object, "status")) {
    const Loc at = loc.field("status");
    const auto code = static_cast<int>(get_uint(*status, at, kMinStatus, kMaxStatus));
    if (std::find(kRedirectStatuses.begin(), kRedirectStatuses.end(), code) ==
        kRedirectStatuses.end()) {
      fail(at, "a redirect status is one of 301, 302, 303, 307, 308, not " + std::to_string(code));
    }
    redirect.status = code;
  }
  const Loc to_loc = loc.field("to");
  redirect.to = get_string(required(object, loc, "to"), to_loc);
  if (const Json* listener = member(object, "listener")) {
    redirect.listener = get_listener_ref(*listener, loc.field("listener"), *route.listeners);
  }
  const bool is_path = !redirect.to.empty() && redirect.to.front() == '/';
  const bool is_url = redirect.to.rfind("http://", 0) == 0 || redirect.to.rfind("https://", 0) == 0;
  if (redirect.listener && !is_path) {
    fail(to_loc, "with a listener, must be a path starting with \"/\"");
  }
  if (!is_path && !is_url) {
    fail(to_loc, "must be a path starting with \"/\" or an http:// or https:// URL");
  }
  check_single_line(redirect.to, to_loc);
  check_template(redirect.to, to_loc, route);
  return redirect;
}

std::vector<Informational> parse_informational(const Json& value, const Loc& loc,
                                               const RouteContext& route) {
  if (!value.is_array()) {
    fail(loc, "must be an array of 1xx heads");
  }
  if (value.size() > kMaxInformationalHeads) {
    fail(loc, "at most " + std::to_string(kMaxInformationalHeads) + " heads");
  }
  std::vector<Informational> heads;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const Loc at = loc.index(i);
    const Json& object = require_object(value[i], at);
    Informational head;
    head.status =
        static_cast<int>(get_uint(required(object, at, "status"), at.field("status"), 100, 199));
    if (head.status == 101) {
      fail(at.field("status"), "101 Switching Protocols is not an informational head here");
    }
    if (const Json* v = member(object, "headers")) {
      head.headers = parse_headers(*v, at.field("headers"), route, false);
    }
    heads.push_back(std::move(head));
  }
  return heads;
}

/** `"none"`, one length, or an array of 1 to kMaxDeclaredLengths lengths. */
DeclaredLength parse_declared_length(const Json& value, const Loc& loc) {
  DeclaredLength declared;
  if (value.is_string()) {
    if (value.get<std::string>() != "none") {
      fail(loc, "must be \"none\", a length or an array of lengths");
    }
    declared.omit = true;
    return declared;
  }
  if (!value.is_array()) {
    declared.values.push_back(get_uint(value, loc, 0, kMaxDeclaredLength));
    return declared;
  }
  if (value.empty() || value.size() > kMaxDeclaredLengths) {
    fail(loc, "must hold 1 to " + std::to_string(kMaxDeclaredLengths) + " lengths");
  }
  for (std::size_t i = 0; i < value.size(); ++i) {
    declared.values.push_back(get_uint(value[i], loc.index(i), 0, kMaxDeclaredLength));
  }
  return declared;
}

/** {"bytes": N, "frame_bytes": M, "table_size_update": [0, 4096]}. */
HeaderBlock parse_header_block(const Json& value, const Loc& loc) {
  const Json& object = require_object(value, loc);
  HeaderBlock block;
  block.bytes =
      static_cast<std::uint32_t>(get_uint(required(object, loc, "bytes"), loc.field("bytes"),
                                          kMinHeaderBlockBytes, kMaxHeaderBlockBytes));
  if (const Json* v = member(object, "frame_bytes")) {
    block.frame_bytes = static_cast<std::uint32_t>(
        get_uint(*v, loc.field("frame_bytes"), 1, kMaxHeaderBlockFrameBytes));
  }
  if (const Json* v = member(object, "table_size_update")) {
    const Loc at = loc.field("table_size_update");
    if (!v->is_array() || v->empty() || v->size() > kMaxTableSizeUpdates) {
      fail(at, "must be an array of 1 to " + std::to_string(kMaxTableSizeUpdates) + " sizes");
    }
    for (std::size_t i = 0; i < v->size(); ++i) {
      block.table_size_updates.push_back(
          static_cast<std::uint32_t>(get_uint((*v)[i], at.index(i), 0, kMaxTableSize)));
    }
  }
  return block;
}

Response parse_respond(const Json& value, const Loc& loc, const RouteContext& route) {
  const Json& object = require_object(value, loc);
  Response response;
  if (const Json* v = member(object, "redirect")) {
    response.redirect = parse_redirect(*v, loc.field("redirect"), route);
    response.status = response.redirect->status;
  }
  if (const Json* v = member(object, "status")) {
    if (response.redirect) {
      fail(loc.field("status"), "not allowed with redirect (redirect.status is sent)");
    }
    response.status = static_cast<int>(get_uint(*v, loc.field("status"), kMinStatus, kMaxStatus));
  }
  if (const Json* v = member(object, "headers")) {
    response.headers = parse_headers(*v, loc.field("headers"), route, false);
  }
  if (const Json* v = member(object, "body")) {
    response.body = parse_body(*v, loc.field("body"), route);
  }
  if (const Json* v = member(object, "hold")) {
    response.hold = get_name(*v, loc.field("hold"));
  }
  read_uint(object, loc, "delay_ms", 0, kMaxDelayMs, response.delay_ms);
  read_uint(object, loc, "chunk_bytes", 1, kMaxChunkBytes, response.chunk_bytes);
  read_uint(object, loc, "chunk_delay_ms", 0, kMaxDelayMs, response.chunk_delay_ms);
  if (const Json* v = member(object, "trailers")) {
    response.trailers = parse_headers(*v, loc.field("trailers"), route, true);
  }
  if (const Json* v = member(object, "informational")) {
    response.informational = parse_informational(*v, loc.field("informational"), route);
  }
  read_bool(object, loc, "expect_continue", response.expect_continue);
  read_bool(object, loc, "early", response.early);
  if (response.early && std::holds_alternative<EchoBody>(response.body)) {
    fail(loc.field("early"), "not allowed with an echo body (early answers before the body)");
  }
  if (const Json* v = member(object, "content_length")) {
    response.content_length = parse_declared_length(*v, loc.field("content_length"));
  }
  if (const Json* v = member(object, "header_block")) {
    response.header_block = parse_header_block(*v, loc.field("header_block"));
  }
  return response;
}

std::vector<Route> parse_routes(const Json& value, const Loc& loc,
                                const std::vector<Listener>& listeners) {
  if (!value.is_array()) {
    fail(loc, "must be an array of routes");
  }
  std::vector<Route> routes;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const Loc at = loc.index(i);
    const Json& object = require_object(value[i], at);
    RouteContext context;
    context.listeners = &listeners;
    Route route;
    route.match = parse_match(required(object, at, "match"), at.field("match"), context);
    route.respond = parse_respond(required(object, at, "respond"), at.field("respond"), context);
    routes.push_back(std::move(route));
  }
  return routes;
}

}  // namespace

Scenario parse_scenario(std::string_view json_text) {
  const Json doc = parse_json_strict(json_text);
  const Loc root;
  const Json& object = require_object(doc, root);
  Scenario scenario;
  scenario.name = get_name(required(object, root, "name"), root.field("name"));
  if (const Json* v = member(object, "description")) {
    scenario.description = get_string(*v, root.field("description"));
  }
  const Json* listeners = member(object, "listeners");
  scenario.listeners = listeners != nullptr ? parse_listeners(*listeners, root.field("listeners"))
                                            : default_listeners();
  if (const Json* v = member(object, "settings")) {
    scenario.settings = parse_settings(*v, root.field("settings"));
  }
  if (const Json* v = member(object, "limits")) {
    scenario.limits = parse_limits(*v, root.field("limits"));
  }
  if (const Json* v = member(object, "routes")) {
    scenario.routes = parse_routes(*v, root.field("routes"), scenario.listeners);
  }
  if (const Json* v = member(object, "gates")) {
    scenario.gates = parse_gates(*v, root.field("gates"), scenario.routes);
  }
  if (const Json* v = member(object, "faults")) {
    scenario.faults = parse_faults(*v, root.field("faults"), scenario);
  }
  read_bool(object, root, "enforce_stream_limit", scenario.enforce_stream_limit);
  return scenario;
}

}  // namespace faultline::scenarios
