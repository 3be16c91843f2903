#include "detail/admin_api.h"

#include <charconv>

#include <nlohmann/json.hpp>

#include "faultline/scenarios/loader.h"
#include "detail/json_text.h"
#include "detail/log.h"
#include "detail/text.h"

namespace faultline::fake_server::detail {

using nlohmann::json;

namespace {

AdminReply ok_json(const json& body) {
  return {200, to_json_text(body)};
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

/** Gate names a scenario's routes use. */
std::vector<std::string> gate_names(const scenarios::Scenario& scenario) {
  std::vector<std::string> names;
  for (const auto& route : scenario.routes) {
    if (route.respond.hold)
      names.push_back(*route.respond.hold);
  }
  return names;
}

}  // namespace

AdminReply admin_error(int status, std::string_view message, std::string_view path) {
  json error = {{"message", message}};
  if (!path.empty())
    error["path"] = path;
  return {status, to_json_text(json{{"error", std::move(error)}})};
}

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      unsigned value = 0;
      auto [end, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
      if (ec == std::errc() && end == text.data() + i + 3) {
        out += static_cast<char>(value);
        i += 2;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

AdminReply AdminApi::handle(std::string_view method, std::string_view target,
                            std::string_view body) {
  std::string_view path = target.substr(0, target.find('?'));
  if (path.size() > 1 && path.back() == '/')
    path.remove_suffix(1);
  const bool get = method == "GET";
  const bool post = method == "POST";

  if (path == "/v1/health") {
    if (get)
      return ok_json({{"ok", true}});
  } else if (path == "/v1/scenario") {
    if (get)
      return {200, scenarios::to_json(*context_.scenarios.current())};
    if (method == "PUT")
      return put_scenario(body);
  } else if (path == "/v1/reset") {
    if (post) {
      context_.stats.reset();
      context_.gates.reset_counters();
      context_.faults.reset();
      FAULTLINE_LOG(debug, (LogTag{"admin"}), "reset");
      return ok_json({{"ok", true}});
    }
  } else if (path == "/v1/stats") {
    if (get)
      return {200, context_.stats.stats_json()};
  } else if (path == "/v1/connections") {
    if (get)
      return {200, context_.stats.connections_json()};
  } else if (starts_with(path, "/v1/connections/")) {
    if (get)
      return connection(path.substr(std::string_view("/v1/connections/").size()));
  } else if (starts_with(path, "/v1/requests/")) {
    if (get) {
      const std::string id = percent_decode(path.substr(std::string_view("/v1/requests/").size()));
      return ok_json({{"id", id}, {"served", context_.stats.served(id)}});
    }
  } else if (path == "/v1/actions/fire") {
    if (post)
      return fire(body);
  } else if (path == "/v1/actions") {
    if (post)
      return apply_action(target, body);
  } else if (path == "/v1/gates") {
    if (get)
      return {200, context_.gates.json()};
  } else if (starts_with(path, "/v1/gates/") && path.size() > 18 &&
             path.substr(path.size() - 8) == "/release") {
    const std::string_view name =
        path.substr(std::string_view("/v1/gates/").size(),
                    path.size() - std::string_view("/v1/gates/").size() - 8);
    if (post)
      return release_gate(name, body);
  } else {
    return admin_error(404, "no such endpoint: " + std::string(path));
  }
  return admin_error(405, "method " + std::string(method) + " not allowed on " + std::string(path));
}

AdminReply AdminApi::connection(std::string_view rest) {
  constexpr std::string_view kTimeline = "/timeline";
  const bool timeline =
      rest.size() > kTimeline.size() && rest.substr(rest.size() - kTimeline.size()) == kTimeline;
  if (timeline)
    rest.remove_suffix(kTimeline.size());
  const auto id = parse_u64(rest);
  if (!id)
    return admin_error(404, "no such connection: " + std::string(rest));
  auto answer = timeline ? context_.stats.timeline_json(*id) : context_.stats.connection_json(*id);
  if (!answer)
    return admin_error(404, "no such connection: " + std::to_string(*id));
  return {200, std::move(*answer)};
}

AdminReply AdminApi::put_scenario(std::string_view body) {
  scenarios::Scenario next;
  try {
    next = scenarios::parse_scenario(body);
  } catch (const scenarios::ScenarioError& e) {
    return admin_error(400, e.what(), e.path());
  }
  // Listeners are bound at start: the same names, in the same order, with the same tls.
  const auto& bound = context_.listeners;
  bool same = next.listeners.size() == bound.size();
  for (std::size_t i = 0; same && i < bound.size(); ++i) {
    same = next.listeners[i].name == bound[i]->name && next.listeners[i].tls == bound[i]->tls;
  }
  if (!same) {
    return admin_error(400,
                       "$.listeners: listeners cannot change at runtime (names and tls must "
                       "stay as bound; only alpn may change)",
                       "$.listeners");
  }
  for (std::size_t i = 0; i < bound.size(); ++i) {
    bound[i]->alpn.store(next.listeners[i].alpn);
    bound[i]->handshake_delay_ms.store(next.listeners[i].handshake_delay_ms);
  }
  for (const std::string& gate : gate_names(next))
    context_.gates.declare(gate);
  context_.gates.configure(next.gates);
  const std::string name = next.name;
  context_.scenarios.replace(std::move(next));
  context_.faults.reset();
  FAULTLINE_LOG(info, (LogTag{"admin"}), "scenario replaced: " << name);
  return ok_json({{"ok", true}, {"scenario", name}});
}

namespace {

/** Hands an action to the connections it covers (or, server-wide, acts once). */
std::size_t dispatch(ServerContext& context, const scenarios::Action& action, std::string key,
                     const std::optional<std::string>& listener,
                     std::optional<std::uint64_t> connection) {
  if (const auto* storm = std::get_if<scenarios::StormAction>(&action)) {
    context.faults.start_storm(*storm, listener);
    return 1;
  }
  auto shared = std::make_shared<const AdminAction>(AdminAction{action, std::move(key)});
  return context.live.act(shared, listener, connection);
}

}  // namespace

AdminReply AdminApi::fire(std::string_view body) {
  const json request = json::parse(body, nullptr, false);
  if (request.is_discarded() || !request.is_object() || !request.contains("name") ||
      !request["name"].is_string()) {
    return admin_error(400, "body must be a JSON object like {\"name\":\"label\"}", "$.name");
  }
  const std::string label = request["name"].get<std::string>();
  const auto scenario = context_.scenarios.current();
  std::size_t known = 0;
  std::size_t fired = 0;
  for (std::size_t i = 0; i < scenario->faults.size(); ++i) {
    const scenarios::Fault& fault = scenario->faults[i];
    const auto* trigger = std::get_if<scenarios::AdminTrigger>(&fault.trigger);
    if (trigger == nullptr || trigger->label != label)
      continue;
    ++known;
    if (!context_.faults.take_server_firing(i, fault.times))
      continue;
    ++fired;
    const std::string key = fault_key(fault, i);
    context_.stats.count_fault(key);
    dispatch(context_, fault.action, key, fault.listener, std::nullopt);
  }
  if (known == 0)
    return admin_error(404, "no fault has the admin trigger \"" + label + "\"", "$.name");
  FAULTLINE_LOG(debug, (LogTag{"admin"}), "fired " << label << ": " << fired);
  return ok_json({{"fired", fired}});
}

AdminReply AdminApi::apply_action(std::string_view target, std::string_view body) {
  scenarios::Action action;
  try {
    action = scenarios::parse_action(body);
  } catch (const scenarios::ScenarioError& e) {
    return admin_error(400, e.what(), e.path());
  }
  std::optional<std::uint64_t> connection;
  if (const auto q = target.find('?'); q != std::string_view::npos) {
    std::string_view query = target.substr(q + 1);
    constexpr std::string_view kKey = "connection=";
    if (query.substr(0, kKey.size()) != kKey)
      return admin_error(400, "unknown query (known: connection=ID)");
    connection = parse_u64(query.substr(kKey.size()));
    if (!connection)
      return admin_error(400, "connection must be a connection id");
    if (!context_.live.contains(*connection))
      return admin_error(404, "no open connection " + std::to_string(*connection));
  }
  const std::size_t applied = dispatch(context_, action, "", std::nullopt, connection);
  FAULTLINE_LOG(debug, (LogTag{"admin"}),
                "action " << scenarios::action_name(action) << " applied to " << applied);
  return ok_json({{"applied", applied}});
}

AdminReply AdminApi::release_gate(std::string_view name, std::string_view body) {
  std::optional<std::size_t> count;
  if (!body.empty()) {
    const json request = json::parse(body, nullptr, false);
    if (request.is_discarded() || !request.is_object()) {
      return admin_error(400, "body must be a JSON object like {\"count\":1}", "$");
    }
    if (auto it = request.find("count"); it != request.end()) {
      if (!it->is_number_unsigned()) {
        return admin_error(400, "count must be a non-negative integer", "$.count");
      }
      count = it->get<std::size_t>();
    }
  }
  const std::string gate = percent_decode(name);
  const std::size_t released = context_.gates.release(gate, count);
  FAULTLINE_LOG(debug, (LogTag{"admin"}), "gate " << gate << ": released " << released);
  return ok_json({{"released", released}});
}

}  // namespace faultline::fake_server::detail
