// The fault model's parser: triggers, actions, faults and gates, each rejection at the
// JSON path of the field at fault. Context-free checks live with each action; the
// checks that need the scenario (listeners that never speak HTTP/2, path triggers no
// route serves) run once a whole fault is read.
#include "detail/parse_faults.h"

#include <algorithm>

#include "detail/fault_names.h"
#include "detail/fields.h"
#include "detail/limits.h"
#include "detail/parse_helpers.h"
#include "detail/path_pattern.h"
#include "faultline/scenarios/loader.h"

namespace faultline::scenarios::detail {
namespace {

// ---- shared value readers ------------------------------------------------------------

/** A string spelling one of E's names. */
template <typename E>
E parse_enum(const Json& value, const Loc& loc, std::string_view what) {
  const std::string text = get_string(value, loc);
  if (const std::optional<E> parsed = enum_from_name<E>(text)) {
    return *parsed;
  }
  fail(loc,
       "unknown " + std::string(what) + " \"" + text + "\" (one of: " + enum_name_list<E>() + ")");
}

template <typename E>
void read_enum(const Json& object, const Loc& loc, std::string_view name, std::string_view what,
               E& out) {
  if (const Json* value = member(object, name)) {
    out = parse_enum<E>(*value, loc.field(name), what);
  }
}

/** An RFC 9113 error code name, or any 32-bit number. */
H2Error parse_error_code(const Json& value, const Loc& loc) {
  if (value.is_number_integer()) {
    return static_cast<H2Error>(get_u32(value, loc, 0, kMaxU32));
  }
  if (!value.is_string()) {
    fail(loc, "must be an HTTP/2 error code name such as \"CANCEL\" or a number 0..4294967295");
  }
  const std::string text = value.get<std::string>();
  if (const std::optional<H2Error> code = h2_error_from_string(text)) {
    return *code;
  }
  fail(loc, "unknown HTTP/2 error code \"" + text + "\" (one of: " + enum_name_list<H2Error>() +
                ", or a number 0..4294967295)");
}

void read_error_code(const Json& object, const Loc& loc, H2Error& out) {
  if (const Json* value = member(object, "error")) {
    out = parse_error_code(*value, loc.field("error"));
  }
}

void read_debug(const Json& object, const Loc& loc, std::string& out) {
  if (const Json* value = member(object, "debug")) {
    out = get_string(*value, loc.field("debug"));
    if (out.size() > kMaxDebugBytes) {
      fail(loc.field("debug"), "must be at most " + std::to_string(kMaxDebugBytes) +
                                   " bytes, not " + std::to_string(out.size()));
    }
  }
}

/** after_bytes, which only a mid_body point takes. */
void read_after_bytes(const Json& object, const Loc& loc, bool mid_body, std::uint64_t& out) {
  if (member(object, "after_bytes") != nullptr && !mid_body) {
    fail(loc.field("after_bytes"), "only with at: \"mid_body\"");
  }
  read_uint(object, loc, "after_bytes", 1, UINT64_MAX, out);
}

// ---- actions -------------------------------------------------------------------------

GoawayAction parse_goaway(const Json& value, const Loc& loc) {
  const Json& object = require_object(value, loc);
  GoawayAction goaway;
  if (const Json* last = member(object, "last_stream_id")) {
    const Loc at = loc.field("last_stream_id");
    if (last->is_number_integer()) {
      goaway.last_stream_id.kind = LastStreamId::Kind::number;
      goaway.last_stream_id.id = get_u32(*last, at, 0, kMaxStreamId);
    } else if (!last->is_string()) {
      fail(at, "must be \"current\", \"previous\", \"max\" or a stream id 0..2147483647");
    } else {
      goaway.last_stream_id.kind = parse_enum<LastStreamId::Kind>(*last, at, "last_stream_id");
    }
  }
  read_error_code(object, loc, goaway.error);
  read_debug(object, loc, goaway.debug);
  read_uint(object, loc, "graceful_delay_ms", 0, kMaxDelayMs, goaway.graceful_delay_ms);
  read_uint(object, loc, "close_after_ms", 0, kMaxDelayMs, goaway.close_after_ms);
  read_bool(object, loc, "close_when_idle", goaway.close_when_idle);
  if (goaway.graceful_delay_ms && goaway.last_stream_id.kind == LastStreamId::Kind::max) {
    fail(loc.field("last_stream_id"),
         "\"max\" cannot end a graceful shutdown (graceful_delay_ms sends 2147483647 first, "
         "then this id)");
  }
  return goaway;
}

SettingsAction parse_settings_change(const Json& value, const Loc& loc) {
  const Json& object = require_object(value, loc);
  SettingsAction settings;
  read_h2_settings(object, loc, settings);
  if (object.empty()) {
    std::string names;
    for (const std::string_view name : fields_of(loc.generic())) {
      names += names.empty() ? "" : ", ";
      names += name;
    }
    fail(loc, "must set at least one of: " + names);
  }
  return settings;
}

RstStreamAction parse_rst_stream(const Json& value, const Loc& loc) {
  const Json& object = require_object(value, loc);
  RstStreamAction rst;
  rst.error = parse_error_code(required(object, loc, "error"), loc.field("error"));
  read_enum(object, loc, "at", "point", rst.at);
  read_after_bytes(object, loc, rst.at == RstPoint::mid_body, rst.after_bytes);
  return rst;
}

/** frames and frame_bytes, common to the late DATA actions. */
template <typename LateData>
void read_late_frames(const Json& object, const Loc& loc, LateData& late) {
  read_uint(object, loc, "frames", 1, kMaxLateFrames, late.frames);
  read_uint(object, loc, "frame_bytes", 0, kMaxLateFrameBytes, late.frame_bytes);
}

DataAfterEndStreamAction parse_data_after_end_stream(const Json& value, const Loc& loc) {
  const Json& object = require_object(value, loc);
  DataAfterEndStreamAction late;
  read_late_frames(object, loc, late);
  read_uint(object, loc, "interval_ms", 0, kMaxDelayMs, late.interval_ms);
  return late;
}

DataAfterRstAction parse_data_after_rst(const Json& value, const Loc& loc) {
  const Json& object = require_object(value, loc);
  DataAfterRstAction late;
  read_late_frames(object, loc, late);
  read_uint(object, loc, "duration_ms", 1, kMaxDelayMs, late.duration_ms);
  read_uint(object, loc, "interval_ms", 0, kMaxDelayMs, late.interval_ms);
  read_bool(object, loc, "trailers", late.trailers);
  if (late.duration_ms && member(object, "frames") != nullptr) {
    fail(loc.field("duration_ms"),
         "not together with frames (send a number of frames, or send for a duration)");
  }
  if (late.duration_ms && late.interval_ms == 0) {
    fail(loc.field("interval_ms"),
         "must be at least 1 with duration_ms (a frame every interval_ms until it has passed)");
  }
  return late;
}

DataUnknownStreamAction parse_data_unknown_stream(const Json& value, const Loc& loc) {
  const Json& object = require_object(value, loc);
  DataUnknownStreamAction late;
  if (const Json* id = member(object, "stream_id")) {
    const Loc at = loc.field("stream_id");
    if (id->is_number_integer()) {
      late.stream_id.kind = UnknownStreamId::Kind::number;
      late.stream_id.id = get_u32(*id, at, 1, kMaxStreamId);
    } else if (!id->is_string()) {
      fail(at, "must be \"next_odd\", \"next_even\" or a stream id 1..2147483647");
    } else {
      late.stream_id.kind = parse_enum<UnknownStreamId::Kind>(*id, at, "stream_id");
    }
  }
  read_late_frames(object, loc, late);
  return late;
}

/** A string member of at most `max` bytes (and at least `min`). */
void read_bounded_string(const Json& object, const Loc& loc, std::string_view name, std::size_t min,
                         std::size_t max, std::string& out) {
  if (const Json* value = member(object, name)) {
    const Loc at = loc.field(name);
    out = get_string(*value, at);
    if (out.size() < min || out.size() > max) {
      fail(at, "must be " + std::to_string(min) + ".." + std::to_string(max) + " bytes, not " +
                   std::to_string(out.size()));
    }
  }
}

ProtocolViolationAction parse_protocol_violation(const Json& value, const Loc& loc) {
  const Json& object = require_object(value, loc);
  ProtocolViolationAction violation;
  violation.kind =
      parse_enum<ViolationKind>(required(object, loc, "kind"), loc.field("kind"), "kind");
  read_bounded_string(object, loc, "status", 0, kMaxViolationStatusBytes, violation.status);
  read_bounded_string(object, loc, "name", 1, kMaxViolationNameBytes, violation.name);
  read_bounded_string(object, loc, "value", 0, kMaxViolationValueBytes, violation.value);
  return violation;
}

CloseAction parse_close(const Json& value, const Loc& loc) {
  const Json& object = require_object(value, loc);
  CloseAction close;
  read_enum(object, loc, "mode", "close mode", close.mode);
  read_enum(object, loc, "at", "point", close.at);
  read_after_bytes(object, loc, close.at == ClosePoint::mid_body, close.after_bytes);
  read_bool(object, loc, "all_connections", close.all_connections);
  if (close.all_connections && close.at != ClosePoint::now) {
    fail(loc.field("all_connections"), "only with at: \"now\" (every connection closes at once)");
  }
  return close;
}

PingAction parse_ping(const Json& value, const Loc& loc) {
  const Json& object = require_object(value, loc);
  PingAction ping;
  read_uint(object, loc, "interval_ms", 1, kMaxDelayMs, ping.interval_ms);
  read_uint(object, loc, "count", 1, kMaxPingCount, ping.count);
  return ping;
}

StormAction parse_storm(const Json& value, const Loc& loc) {
  const Json& object = require_object(value, loc);
  StormAction storm;
  read_error_code(object, loc, storm.error);
  read_debug(object, loc, storm.debug);
  read_uint(object, loc, "duration_ms", 1, kMaxDelayMs, storm.duration_ms);
  read_uint(object, loc, "close_after_ms", 0, kMaxDelayMs, storm.close_after_ms);
  return storm;
}

// ---- triggers ------------------------------------------------------------------------

/** true, the only value of a flag trigger ("connect", "client_rst"). */
void require_true(const Json& value, const Loc& loc) {
  if (!get_bool(value, loc)) {
    fail(loc, "must be true (leave the fault out to disable it)");
  }
}

PathTrigger parse_path_trigger(const Json& object, const Loc& loc) {
  PathTrigger trigger;
  const Loc path_loc = loc.field("path");
  trigger.path = get_string(object.at("path"), path_loc);
  std::vector<std::string> captures;
  if (std::string problem = check_pattern(trigger.path, captures); !problem.empty()) {
    fail(path_loc, problem);
  }
  if (const Json* method = member(object, "method")) {
    trigger.method = parse_method(*method, loc.field("method"));
  }
  if (const Json* attempt = member(object, "attempt")) {
    trigger.attempt = parse_attempts(*attempt, loc.field("attempt"));
  }
  return trigger;
}

/** Members a path trigger may carry beside "path". */
constexpr std::array<std::string_view, 2> kPathCompanions = {"method", "attempt"};

Trigger parse_trigger(const Json& value, const Loc& loc) {
  const Json& object = require_object(value, loc);
  const std::string_view kind = one_kind(object, loc, kTriggerNames, "a trigger");
  if (kind.empty()) {
    std::vector<std::string> names(kTriggerNames.begin(), kTriggerNames.end());
    fail(loc, "must have one of: " + join(names));
  }
  for (const std::string_view companion : kPathCompanions) {
    if (kind != "path" && member(object, companion) != nullptr) {
      fail(loc.field(companion), "only a path trigger has " + std::string(companion));
    }
  }
  const Loc at = loc.field(kind);
  const Json& spec = object.at(std::string(kind));
  if (kind == "streams_opened") {
    return StreamsOpenedTrigger{get_u32(spec, at, 1, kMaxCount)};
  }
  if (kind == "active_streams") {
    return ActiveStreamsTrigger{get_u32(spec, at, 1, kMaxCount)};
  }
  if (kind == "after_ms") {
    return AfterMsTrigger{get_u32(spec, at, 0, kMaxDelayMs)};
  }
  if (kind == "connect") {
    require_true(spec, at);
    return ConnectTrigger{};
  }
  if (kind == "path") {
    return parse_path_trigger(object, loc);
  }
  if (kind == "client_rst") {
    require_true(spec, at);
    return ClientRstTrigger{};
  }
  if (kind == "idle_ms") {
    return IdleTrigger{get_u32(spec, at, 1, kMaxDelayMs)};
  }
  return AdminTrigger{get_name(spec, at)};
}

// ---- a fault in its scenario -----------------------------------------------------------

/** The listeners a fault can act on, with what the scenario's routes allow. */
class Coverage {
 public:
  Coverage(const Scenario& scenario, const std::optional<std::string>& listener) {
    for (const Listener& l : scenario.listeners) {
      if (!listener || l.name == *listener) {
        listeners_.push_back(&l);
      }
    }
  }

  /** Keeps the listeners on which some route serves a path the trigger matches; none
      left fails at the trigger's path. */
  void narrow_to_routes(const PathTrigger& trigger, const std::vector<Route>& routes,
                        const Loc& path_loc) {
    const auto served = [&](const Listener* listener) {
      return std::any_of(routes.begin(), routes.end(), [&](const Route& route) {
        const Match& match = route.match;
        return (!match.listener || *match.listener == listener->name) &&
               (!match.method || !trigger.method || *match.method == *trigger.method) &&
               patterns_overlap(match.path, trigger.path);
      });
    };
    const std::string where = describe();
    listeners_.erase(std::remove_if(listeners_.begin(), listeners_.end(),
                                    [&](const Listener* l) { return !served(l); }),
                     listeners_.end());
    if (listeners_.empty()) {
      fail(path_loc, "no route serves a path matching \"" + trigger.path + "\"" +
                         (trigger.method ? " for " + *trigger.method : "") + " on " + where +
                         ": the trigger could never fire");
    }
  }

  [[nodiscard]] bool speaks_h2() const {
    return std::any_of(listeners_.begin(), listeners_.end(),
                       [](const Listener* l) { return can_speak_h2(*l); });
  }

  [[nodiscard]] bool has_tls() const {
    return std::any_of(listeners_.begin(), listeners_.end(),
                       [](const Listener* l) { return l->tls; });
  }

  /** "listener "a" (TLS, ALPN h1-only)" or "listeners a (...), b (...)". */
  [[nodiscard]] std::string describe() const {
    std::string text = listeners_.size() == 1 ? "listener " : "listeners ";
    for (std::size_t i = 0; i < listeners_.size(); ++i) {
      const Listener& l = *listeners_[i];
      text += i == 0 ? "" : ", ";
      text += "\"" + l.name + "\" (" +
              (l.tls ? std::string("TLS, ALPN ") + to_string(l.alpn) : "cleartext") + ")";
    }
    return text;
  }

 private:
  std::vector<const Listener*> listeners_;
};

/** The checks that need the trigger, the action and the listeners together. */
void check_fits(const Fault& fault, const Coverage& coverage, const Loc& loc) {
  const Loc on = loc.field("on").field(trigger_name(fault.trigger));
  const Loc action = loc.field("do").field(action_name(fault.action));
  const bool h2 = coverage.speaks_h2();
  if (!h2 && std::holds_alternative<ClientRstTrigger>(fault.trigger)) {
    fail(on,
         "only HTTP/2 clients reset streams, and " + coverage.describe() + " never speaks HTTP/2");
  }
  if (const auto* active = std::get_if<ActiveStreamsTrigger>(&fault.trigger);
      !h2 && active != nullptr && active->count > 1) {
    fail(on, "HTTP/1.1 has one open stream at a time, and " + coverage.describe() +
                 " never speaks HTTP/2");
  }
  if (!h2 && !has_h1_meaning(fault.action)) {
    fail(action, std::string(action_name(fault.action)) + " needs HTTP/2, which " +
                     coverage.describe() +
                     " never speaks (only goaway, rst_stream and close mean something on "
                     "HTTP/1.1)");
  }
  if (std::holds_alternative<ClientRstTrigger>(fault.trigger) && is_stream_bound(fault.action) &&
      !std::holds_alternative<DataAfterRstAction>(fault.action)) {
    const Loc at = std::holds_alternative<CloseAction>(fault.action) ? action.field("at") : action;
    fail(at,
         "cannot act on a stream the client has just reset (data_after_rst can; a close "
         "at \"now\" can)");
  }
  if (const auto* close = std::get_if<CloseAction>(&fault.action);
      close != nullptr && close->mode == CloseMode::close_notify && !coverage.has_tls()) {
    fail(action.field("mode"),
         "close_notify needs TLS, and " + coverage.describe() + " never uses it (use fin)");
  }
}

std::optional<std::uint32_t> parse_times(const Json& value, const Loc& loc) {
  if (value.is_string() && value.get<std::string>() == "always") {
    return std::nullopt;
  }
  if (value.is_string()) {
    fail(loc, "must be \"always\" or an integer in 1.." + std::to_string(kMaxCount));
  }
  return get_u32(value, loc, 1, kMaxCount);
}

Fault parse_fault(const Json& value, const Loc& loc, const Scenario& scenario,
                  const std::vector<Fault>& earlier) {
  const Json& object = require_object(value, loc);
  Fault fault;
  if (const Json* name = member(object, "name")) {
    fault.name = get_name(*name, loc.field("name"));
    const bool taken = std::any_of(earlier.begin(), earlier.end(),
                                   [&](const Fault& f) { return f.name == fault.name; });
    if (taken) {
      fail(loc.field("name"), "duplicate fault name \"" + fault.name + "\"");
    }
  }
  if (const Json* listener = member(object, "listener")) {
    fault.listener = get_listener_ref(*listener, loc.field("listener"), scenario.listeners);
  }
  const Loc on = loc.field("on");
  fault.trigger = parse_trigger(required(object, loc, "on"), on);
  fault.action = parse_action_object(required(object, loc, "do"), loc.field("do"));
  if (const Json* times = member(object, "times")) {
    fault.times = parse_times(*times, loc.field("times"));
  }
  const bool admin = std::holds_alternative<AdminTrigger>(fault.trigger);
  if (const Json* scope = member(object, "scope")) {
    fault.scope = parse_enum<FaultScope>(*scope, loc.field("scope"), "scope");
    if (admin && fault.scope == FaultScope::connection) {
      fail(loc.field("scope"), "an admin trigger fires once per call: its scope is \"server\"");
    }
  }
  if (admin) {
    fault.scope = FaultScope::server;
  }
  Coverage coverage(scenario, fault.listener);
  if (const auto* path = std::get_if<PathTrigger>(&fault.trigger)) {
    coverage.narrow_to_routes(*path, scenario.routes, on.field("path"));
  }
  check_fits(fault, coverage, loc);
  return fault;
}

/** Every gate some route holds streams at. */
std::vector<std::string> held_gates(const std::vector<Route>& routes) {
  std::vector<std::string> names;
  for (const Route& route : routes) {
    if (route.respond.hold &&
        std::find(names.begin(), names.end(), *route.respond.hold) == names.end()) {
      names.push_back(*route.respond.hold);
    }
  }
  return names;
}

GateConfig parse_gate(const Json& value, const Loc& loc) {
  const Json& object = require_object(value, loc);
  GateConfig gate;
  read_uint(object, loc, "release_when_held", 1, kMaxCount, gate.release_when_held);
  read_enum(object, loc, "order", "gate order", gate.order);
  if (const Json* seed = member(object, "seed")) {
    if (gate.order != GateOrder::random) {
      fail(loc.field("seed"), "only a random order has a seed");
    }
    gate.seed = get_uint(*seed, loc.field("seed"), 0, UINT64_MAX);
  }
  return gate;
}

}  // namespace

Attempts parse_attempts(const Json& value, const Loc& loc) {
  Attempts attempts;
  if (value.is_string() && value.get<std::string>() == "always") {
    return attempts;
  }
  if (value.is_object()) {
    const Json& object = require_object(value, loc);
    attempts.mode = Attempts::Mode::first;
    attempts.first = get_u32(required(object, loc, "first"), loc.field("first"), 1, kMaxCount);
    return attempts;
  }
  if (!value.is_array()) {
    fail(loc, "must be \"always\", an array of attempt numbers such as [1], or {\"first\": k}");
  }
  if (value.empty()) {
    fail(loc, "must list at least one attempt number");
  }
  attempts.mode = Attempts::Mode::list;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::uint32_t attempt = get_u32(value[i], loc.index(i), 1, kMaxCount);
    if (!attempts.list.empty() && attempt <= attempts.list.back()) {
      fail(loc.index(i), "must be greater than the attempt before it (ascending, no repeats)");
    }
    attempts.list.push_back(attempt);
  }
  return attempts;
}

Action parse_action_object(const Json& value, const Loc& loc) {
  const Json& object = require_object(value, loc);
  const std::string_view kind = one_kind(object, loc, kActionNames, "an action");
  if (kind.empty()) {
    std::vector<std::string> names(kActionNames.begin(), kActionNames.end());
    fail(loc, "must have one of: " + join(names));
  }
  const Loc at = loc.field(kind);
  const Json& spec = object.at(std::string(kind));
  if (kind == "goaway") {
    return parse_goaway(spec, at);
  }
  if (kind == "settings") {
    return parse_settings_change(spec, at);
  }
  if (kind == "rst_stream") {
    return parse_rst_stream(spec, at);
  }
  if (kind == "data_after_end_stream") {
    return parse_data_after_end_stream(spec, at);
  }
  if (kind == "data_after_rst") {
    return parse_data_after_rst(spec, at);
  }
  if (kind == "data_unknown_stream") {
    return parse_data_unknown_stream(spec, at);
  }
  if (kind == "close") {
    return parse_close(spec, at);
  }
  if (kind == "ping") {
    return parse_ping(spec, at);
  }
  if (kind == "protocol_violation") {
    return parse_protocol_violation(spec, at);
  }
  return parse_storm(spec, at);
}

std::map<std::string, GateConfig, std::less<>> parse_gates(const Json& value, const Loc& loc,
                                                           const std::vector<Route>& routes) {
  if (!value.is_object()) {
    fail(loc, "must be an object from gate name to its settings");
  }
  const std::vector<std::string> held = held_gates(routes);
  std::map<std::string, GateConfig, std::less<>> gates;
  for (const auto& [name, config] : value.items()) {
    const Loc at = loc.entry(name);
    if (std::find(held.begin(), held.end(), name) == held.end()) {
      fail(at, "no route holds streams at gate \"" + name + "\" (" +
                   (held.empty() ? std::string("no route has respond.hold")
                                 : "gates held by routes: " + join(held)) +
                   ")");
    }
    gates.emplace(name, parse_gate(config, at));
  }
  return gates;
}

std::vector<Fault> parse_faults(const Json& value, const Loc& loc, const Scenario& scenario) {
  if (!value.is_array()) {
    fail(loc, "must be an array of faults");
  }
  std::vector<Fault> faults;
  for (std::size_t i = 0; i < value.size(); ++i) {
    Fault fault = parse_fault(value[i], loc.index(i), scenario, faults);
    faults.push_back(std::move(fault));
  }
  return faults;
}

}  // namespace faultline::scenarios::detail

namespace faultline::scenarios {

Action parse_action(std::string_view json_text) {
  const detail::Json doc = detail::parse_json_strict(json_text);
  return detail::parse_action_object(doc, detail::Loc::root_as("faults[].do"));
}

}  // namespace faultline::scenarios
