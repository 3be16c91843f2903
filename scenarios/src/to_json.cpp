// to_json(): a Scenario back to the JSON form parse_scenario() reads.
#include <variant>

#include "detail/base64.h"
#include "detail/json_reader.h"
#include "detail/templates.h"
#include "faultline/scenarios/loader.h"

namespace faultline::scenarios {
namespace {

using detail::Json;

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
    return Json{{"base64", detail::base64_encode(body.data)}};
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

}  // namespace

std::string to_json(const Scenario& scenario) {
  Json listeners = Json::array();
  for (const Listener& listener : scenario.listeners) {
    Json object = {{"name", listener.name}, {"tls", listener.tls}};
    if (listener.tls) {
      object["alpn"] = to_string(listener.alpn);
    }
    listeners.push_back(std::move(object));
  }
  Json routes = Json::array();
  for (const Route& route : scenario.routes) {
    routes.push_back(route_json(route));
  }
  const Json doc = {
      {"name", scenario.name},
      {"description", scenario.description},
      {"listeners", std::move(listeners)},
      {"settings", settings_json(scenario.settings)},
      {"limits",
       {{"max_request_body_bytes", scenario.limits.max_request_body_bytes},
        {"max_header_bytes", scenario.limits.max_header_bytes}}},
      {"routes", std::move(routes)},
  };
  // Strings that are not UTF-8 (possible in headers read from elsewhere) are replaced
  // rather than failing the whole document.
  return doc.dump(2, ' ', false, Json::error_handler_t::replace);
}

}  // namespace faultline::scenarios
