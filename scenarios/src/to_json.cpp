// to_json(): a Scenario back to the JSON form parse_scenario() reads.
#include <variant>

#include "detail/fault_names.h"
#include "detail/json_reader.h"
#include "detail/templates.h"
#include "faultline/common/base64.h"
#include "faultline/scenarios/loader.h"

namespace faultline::scenarios {
namespace {

using detail::Json;

Json attempts_json(const Attempts& attempts);

/** Whether bytes are valid UTF-8 (then a body can be written as "text"). */
bool is_utf8(const std::string& bytes) {
  try {
    (void)Json(bytes).dump();  // the strict handler throws on invalid UTF-8
    return true;
  } catch (const Json::type_error&) {
    return false;
  }
}

Json headers_json(const std::vector<Header>& headers) {
  Json object = Json::object();
  for (const auto& [name, value] : headers) {
    object[name] = value;
  }
  return object;
}

Json number_json(const NumberExpr& expr) {
  if (expr.capture.empty()) {
    return expr.literal;
  }
  return detail::number_expr_text(expr);
}

struct BodyWriter {
  Json operator()(std::monostate) const { return nullptr; }
  Json operator()(const FixedBody& body) const {
    if (is_utf8(body.data)) {
      return Json{{"text", body.data}};
    }
    return Json{{"base64", common::base64_encode(body.data)}};
  }
  Json operator()(const EchoBody&) const { return Json{{"echo", true}}; }
  Json operator()(const RandomBody& body) const {
    return Json{{"random_bytes", number_json(body.size)}, {"seed", body.seed}};
  }
  Json operator()(const SseBody& body) const {
    Json sse = {{"events", body.events},
                {"interval_ms", body.interval_ms},
                {"event", body.event},
                {"data", body.data}};
    if (!body.split.empty()) {
      sse["split"] = body.split;
    }
    return Json{{"sse", std::move(sse)}};
  }
};

Json response_json(const Response& response) {
  Json object = Json::object();
  if (response.redirect) {
    Json redirect = {{"status", response.redirect->status}, {"to", response.redirect->to}};
    if (response.redirect->listener) {
      redirect["listener"] = *response.redirect->listener;
    }
    object["redirect"] = std::move(redirect);
  } else {
    object["status"] = response.status;
  }
  if (!response.headers.empty()) {
    object["headers"] = headers_json(response.headers);
  }
  if (Json body = std::visit(BodyWriter{}, response.body); !body.is_null()) {
    object["body"] = std::move(body);
  }
  if (response.hold) {
    object["hold"] = *response.hold;
  }
  object["delay_ms"] = response.delay_ms;
  object["chunk_bytes"] = response.chunk_bytes;
  object["chunk_delay_ms"] = response.chunk_delay_ms;
  if (!response.trailers.empty()) {
    object["trailers"] = headers_json(response.trailers);
  }
  if (!response.informational.empty()) {
    Json heads = Json::array();
    for (const auto& head : response.informational) {
      Json one = {{"status", head.status}};
      if (!head.headers.empty()) {
        one["headers"] = headers_json(head.headers);
      }
      heads.push_back(std::move(one));
    }
    object["informational"] = std::move(heads);
  }
  object["expect_continue"] = response.expect_continue;
  if (response.early) {
    object["early"] = true;
  }
  if (const auto& declared = response.content_length) {
    if (declared->omit) {
      object["content_length"] = "none";
    } else if (declared->values.size() == 1) {
      object["content_length"] = declared->values.front();
    } else {
      object["content_length"] = declared->values;
    }
  }
  if (const auto& block = response.header_block) {
    Json header_block = {{"bytes", block->bytes}};
    if (block->frame_bytes) {
      header_block["frame_bytes"] = *block->frame_bytes;
    }
    if (!block->table_size_updates.empty()) {
      header_block["table_size_update"] = block->table_size_updates;
    }
    object["header_block"] = std::move(header_block);
  }
  return object;
}

Json route_json(const Route& route) {
  Json match = Json::object();
  if (route.match.method) {
    match["method"] = *route.match.method;
  }
  match["path"] = route.match.path;
  if (route.match.listener) {
    match["listener"] = *route.match.listener;
  }
  if (route.match.attempt) {
    match["attempt"] = attempts_json(*route.match.attempt);
  }
  return Json{{"match", std::move(match)}, {"respond", response_json(route.respond)}};
}

Json settings_json(const H2Settings& settings) {
  Json object = Json::object();
  if (settings.max_concurrent_streams) {
    object["max_concurrent_streams"] = *settings.max_concurrent_streams;
  }
  object["initial_window_size"] = settings.initial_window_size;
  object["max_frame_size"] = settings.max_frame_size;
  if (settings.header_table_size) {
    object["header_table_size"] = *settings.header_table_size;
  }
  if (settings.max_header_list_size) {
    object["max_header_list_size"] = *settings.max_header_list_size;
  }
  return object;
}

// ---- faults --------------------------------------------------------------------------

Json error_json(H2Error code) {
  if (const std::string_view name = detail::enum_name(code); !name.empty()) {
    return std::string(name);
  }
  return static_cast<std::uint32_t>(code);
}

template <typename E>
Json name_json(E value) {
  return std::string(detail::enum_name(value));
}

template <typename T>
void put_optional(Json& object, const char* name, const std::optional<T>& value) {
  if (value) {
    object[name] = *value;
  }
}

struct ActionWriter {
  Json operator()(const GoawayAction& goaway) const {
    Json object = Json::object();
    if (goaway.last_stream_id.kind == LastStreamId::Kind::number) {
      object["last_stream_id"] = goaway.last_stream_id.id;
    } else {
      object["last_stream_id"] = name_json(goaway.last_stream_id.kind);
    }
    object["error"] = error_json(goaway.error);
    object["debug"] = goaway.debug;
    put_optional(object, "graceful_delay_ms", goaway.graceful_delay_ms);
    put_optional(object, "close_after_ms", goaway.close_after_ms);
    object["close_when_idle"] = goaway.close_when_idle;
    return object;
  }
  Json operator()(const SettingsAction& settings) const {
    Json object = Json::object();
    put_optional(object, "max_concurrent_streams", settings.max_concurrent_streams);
    put_optional(object, "initial_window_size", settings.initial_window_size);
    put_optional(object, "max_frame_size", settings.max_frame_size);
    put_optional(object, "header_table_size", settings.header_table_size);
    put_optional(object, "max_header_list_size", settings.max_header_list_size);
    return object;
  }
  Json operator()(const RstStreamAction& rst) const {
    Json object = {{"error", error_json(rst.error)}, {"at", name_json(rst.at)}};
    if (rst.at == RstPoint::mid_body) {
      object["after_bytes"] = rst.after_bytes;
    }
    return object;
  }
  Json operator()(const DataAfterEndStreamAction& late) const {
    return {{"frames", late.frames},
            {"frame_bytes", late.frame_bytes},
            {"interval_ms", late.interval_ms}};
  }
  Json operator()(const DataAfterRstAction& late) const {
    Json object = Json::object();
    if (late.duration_ms) {
      object["duration_ms"] = *late.duration_ms;
    } else {
      object["frames"] = late.frames;
    }
    object["interval_ms"] = late.interval_ms;
    object["frame_bytes"] = late.frame_bytes;
    object["trailers"] = late.trailers;
    return object;
  }
  Json operator()(const DataUnknownStreamAction& late) const {
    Json object = Json::object();
    if (late.stream_id.kind == UnknownStreamId::Kind::number) {
      object["stream_id"] = late.stream_id.id;
    } else {
      object["stream_id"] = name_json(late.stream_id.kind);
    }
    object["frames"] = late.frames;
    object["frame_bytes"] = late.frame_bytes;
    return object;
  }
  Json operator()(const CloseAction& close) const {
    Json object = {{"mode", name_json(close.mode)}, {"at", name_json(close.at)}};
    if (close.at == ClosePoint::mid_body) {
      object["after_bytes"] = close.after_bytes;
    }
    object["all_connections"] = close.all_connections;
    return object;
  }
  Json operator()(const PingAction& ping) const {
    Json object = {{"interval_ms", ping.interval_ms}};
    put_optional(object, "count", ping.count);
    return object;
  }
  Json operator()(const ProtocolViolationAction& violation) const {
    return {{"kind", name_json(violation.kind)},
            {"status", violation.status},
            {"name", violation.name},
            {"value", violation.value}};
  }
  Json operator()(const StormAction& storm) const {
    Json object = {{"error", error_json(storm.error)}, {"debug", storm.debug}};
    put_optional(object, "duration_ms", storm.duration_ms);
    object["close_after_ms"] = storm.close_after_ms;
    return object;
  }
};

Json action_json(const Action& action) {
  return Json{{std::string(action_name(action)), std::visit(ActionWriter{}, action)}};
}

Json attempts_json(const Attempts& attempts) {
  switch (attempts.mode) {
    case Attempts::Mode::first:
      return Json{{"first", attempts.first}};
    case Attempts::Mode::list:
      return attempts.list;
    case Attempts::Mode::always:
      break;
  }
  return "always";
}

struct TriggerWriter {
  Json operator()(const StreamsOpenedTrigger& t) const { return {{"streams_opened", t.count}}; }
  Json operator()(const ActiveStreamsTrigger& t) const { return {{"active_streams", t.count}}; }
  Json operator()(const IdleTrigger& t) const { return {{"idle_ms", t.ms}}; }
  Json operator()(const AfterMsTrigger& t) const { return {{"after_ms", t.ms}}; }
  Json operator()(const ConnectTrigger&) const { return {{"connect", true}}; }
  Json operator()(const PathTrigger& t) const {
    Json object = {{"path", t.path}};
    put_optional(object, "method", t.method);
    object["attempt"] = attempts_json(t.attempt);
    return object;
  }
  Json operator()(const ClientRstTrigger&) const { return {{"client_rst", true}}; }
  Json operator()(const AdminTrigger& t) const { return {{"admin", t.label}}; }
};

Json fault_json(const Fault& fault) {
  Json object = Json::object();
  if (!fault.name.empty()) {
    object["name"] = fault.name;
  }
  object["on"] = std::visit(TriggerWriter{}, fault.trigger);
  object["do"] = action_json(fault.action);
  object["times"] = fault.times ? Json(*fault.times) : Json("always");
  object["scope"] = name_json(fault.scope);
  put_optional(object, "listener", fault.listener);
  return object;
}

Json gates_json(const std::map<std::string, GateConfig, std::less<>>& gates) {
  Json object = Json::object();
  for (const auto& [name, gate] : gates) {
    Json config = Json::object();
    put_optional(config, "release_when_held", gate.release_when_held);
    config["order"] = name_json(gate.order);
    if (gate.order == GateOrder::random) {
      config["seed"] = gate.seed;
    }
    object[name] = std::move(config);
  }
  return object;
}

}  // namespace

std::string to_json(const Action& action) {
  return action_json(action).dump(2, ' ', false, Json::error_handler_t::replace);
}

std::string to_json(const Scenario& scenario) {
  Json listeners = Json::array();
  for (const Listener& listener : scenario.listeners) {
    Json object = {{"name", listener.name}, {"tls", listener.tls}};
    if (listener.tls) {
      object["alpn"] = to_string(listener.alpn);
      object["handshake_delay_ms"] = listener.handshake_delay_ms;
    }
    listeners.push_back(std::move(object));
  }
  Json routes = Json::array();
  for (const Route& route : scenario.routes) {
    routes.push_back(route_json(route));
  }
  Json faults = Json::array();
  for (const Fault& fault : scenario.faults) {
    faults.push_back(fault_json(fault));
  }
  const Json doc = {
      {"name", scenario.name},
      {"description", scenario.description},
      {"listeners", std::move(listeners)},
      {"settings", settings_json(scenario.settings)},
      {"limits",
       {{"max_request_body_bytes", scenario.limits.max_request_body_bytes},
        {"max_header_bytes", scenario.limits.max_header_bytes},
        {"header_timeout_ms", scenario.limits.header_timeout_ms},
        {"idle_timeout_ms", scenario.limits.idle_timeout_ms},
        {"max_held_streams", scenario.limits.max_held_streams},
        {"max_pipelined_bytes", scenario.limits.max_pipelined_bytes},
        {"flood_guard", scenario.limits.flood_guard}}},
      {"routes", std::move(routes)},
      {"gates", gates_json(scenario.gates)},
      {"faults", std::move(faults)},
      {"enforce_stream_limit", scenario.enforce_stream_limit},
  };
  // Strings that are not UTF-8 (possible in headers read from elsewhere) are replaced
  // rather than failing the whole document.
  return doc.dump(2, ' ', false, Json::error_handler_t::replace);
}

}  // namespace faultline::scenarios
