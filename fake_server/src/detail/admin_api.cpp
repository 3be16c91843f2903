#include "detail/admin_api.h"

#include <charconv>
#include <set>

#include <nlohmann/json.hpp>

#include "detail/json_text.h"
#include "detail/log.h"
#include "detail/tenant.h"
#include "detail/text.h"
#include "faultline/scenarios/loader.h"

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
    if (route.respond.hold) {
      names.push_back(*route.respond.hold);
    }
  }
  return names;
}

}  // namespace

AdminReply admin_error(int status, std::string_view message, std::string_view path) {
  json error = {{"message", message}};
  if (!path.empty()) {
    error["path"] = path;
  }
  return {status, to_json_text(json{{"error", std::move(error)}})};
}

std::optional<std::string> query_value(std::string_view target, std::string_view key) {
  const std::size_t q = target.find('?');
  if (q == std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == key) {
      return percent_decode(eq == std::string_view::npos ? std::string_view()
                                                         : pair.substr(eq + 1));
    }
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
  }
  return std::nullopt;
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
  if (path.size() > 1 && path.back() == '/') {
    path.remove_suffix(1);
  }
  const bool get = method == "GET";
  const bool post = method == "POST";
  Scope scope;
  scope.name = query_value(target, "namespace");
  if (scope.name) {
    if (!valid_namespace_name(*scope.name)) {
      return admin_error(400, "namespace must be 1.." + std::to_string(kMaxNamespaceName) +
                                  " letters, digits, '.', '_', '-'");
    }
    scope.ns = context_.namespaces.find(*scope.name);
  }

  if (path == "/v1/health") {
    if (get) {
      return ok_json({{"ok", true}});
    }
  } else if (path == "/v1/scenario") {
    if (get) {
      return {200, scenarios::to_json(*context_.scenarios.current())};
    }
    if (method == "PUT") {
      return put_scenario(body);
    }
  } else if (path == "/v1/reset") {
    if (post) {
      return reset(scope);
    }
  } else if (path == "/v1/stats") {
    if (get) {
      return stats(scope);
    }
  } else if (path == "/v1/connections") {
    if (get) {
      return {200, scope.name ? context_.stats.connections_json(*scope.name)
                              : context_.stats.connections_json()};
    }
  } else if (starts_with(path, "/v1/connections/")) {
    if (get) {
      return connection(path.substr(std::string_view("/v1/connections/").size()));
    }
  } else if (starts_with(path, "/v1/requests/")) {
    if (get) {
      const std::string id = percent_decode(path.substr(std::string_view("/v1/requests/").size()));
      if (!scope.name) {
        return ok_json({{"id", id},
                        {"served", context_.stats.served(id)},
                        {"body_bytes", context_.stats.body_bytes(id)},
                        {"connections", context_.stats.served_on(id)}});
      }
      return ok_json({{"id", id},
                      {"namespace", *scope.name},
                      {"served", scope.ns ? scope.ns->served(id) : 0}});
    }
  } else if (path == "/v1/actions/fire") {
    if (post) {
      return fire(body, scope);
    }
  } else if (path == "/v1/actions") {
    if (post) {
      return apply_action(target, body, scope);
    }
  } else if (path == "/v1/gates") {
    if (get) {
      if (!scope.name) {
        return {200, context_.gates.json()};
      }
      return scope.ns ? AdminReply{200, scope.ns->gates().json()}
                      : ok_json({{"gates", json::object()}});
    }
  } else if (starts_with(path, "/v1/gates/") && path.size() > 18 &&
             path.substr(path.size() - 8) == "/release") {
    const std::string_view name =
        path.substr(std::string_view("/v1/gates/").size(),
                    path.size() - std::string_view("/v1/gates/").size() - 8);
    if (post) {
      return release_gate(name, body, scope);
    }
  } else {
    return admin_error(404, "no such endpoint: " + std::string(path));
  }
  return admin_error(405, "method " + std::string(method) + " not allowed on " + std::string(path));
}

AdminReply AdminApi::reset(const Scope& scope) {
  if (scope.name) {
    if (scope.ns) {
      scope.ns->reset();
    }
    context_.stats.reset(*scope.name);
    FAULTLINE_LOG(debug, (LogTag{"admin"}), "reset namespace " << *scope.name);
    return ok_json({{"ok", true}, {"namespace", *scope.name}});
  }
  context_.stats.reset();
  context_.gates.reset_counters();
  context_.faults.reset();
  context_.namespaces.reset_all();
  FAULTLINE_LOG(debug, (LogTag{"admin"}), "reset");
  return ok_json({{"ok", true}});
}

AdminReply AdminApi::stats(const Scope& scope) {
  if (!scope.name) {
    return {200, context_.stats.stats_json()};
  }
  return {200, context_.stats.stats_json(*scope.name, scope.ns.get())};
}

std::function<bool(std::uint64_t)> AdminApi::in_scope(const Scope& scope) const {
  if (!scope.name) {
    return {};
  }
  const std::vector<std::uint64_t> ids = context_.stats.connections_in(*scope.name);
  return [bound = std::set<std::uint64_t>(ids.begin(), ids.end())](std::uint64_t id) {
    return bound.count(id) != 0;
  };
}

AdminReply AdminApi::connection(std::string_view rest) {
  constexpr std::string_view kTimeline = "/timeline";
  const bool timeline =
      rest.size() > kTimeline.size() && rest.substr(rest.size() - kTimeline.size()) == kTimeline;
  if (timeline) {
    rest.remove_suffix(kTimeline.size());
  }
  const auto id = parse_u64(rest);
  if (!id) {
    return admin_error(404, "no such connection: " + std::string(rest));
  }
  auto answer = timeline ? context_.stats.timeline_json(*id) : context_.stats.connection_json(*id);
  if (!answer) {
    return admin_error(404, "no such connection: " + std::to_string(*id));
  }
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
  for (const std::string& gate : gate_names(next)) {
    context_.gates.declare(gate);
  }
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
                     std::optional<std::uint64_t> connection,
                     const std::function<bool(std::uint64_t)>& keep) {
  if (const auto* storm = std::get_if<scenarios::StormAction>(&action)) {
    context.faults.start_storm(*storm, listener);
    return 1;
  }
  auto shared = std::make_shared<const AdminAction>(AdminAction{action, std::move(key)});
  return context.live.act(shared, listener, connection, keep);
}

}  // namespace

AdminReply AdminApi::fire(std::string_view body, const Scope& scope) {
  const json request = json::parse(body, nullptr, false);
  if (request.is_discarded() || !request.is_object() || !request.contains("name") ||
      !request["name"].is_string()) {
    return admin_error(400, "body must be a JSON object like {\"name\":\"label\"}", "$.name");
  }
  const std::string label = request["name"].get<std::string>();
  const auto scenario = context_.scenarios.current();
  if (scope.name && !server_wide_fault(*scenario).empty()) {
    return admin_error(400, "the scenario's server-wide faults (" + server_wide_fault(*scenario) +
                                ") cannot be confined to a namespace");
  }
  FaultRegistry& registry = scope.ns ? scope.ns->faults() : context_.faults;
  const auto keep = in_scope(scope);
  std::size_t known = 0;
  std::size_t fired = 0;
  for (std::size_t i = 0; i < scenario->faults.size(); ++i) {
    const scenarios::Fault& fault = scenario->faults[i];
    const auto* trigger = std::get_if<scenarios::AdminTrigger>(&fault.trigger);
    if (trigger == nullptr || trigger->label != label) {
      continue;
    }
    ++known;
    if (scope.name && !scope.ns) {
      continue;  // nothing has used the namespace: no connection to act on
    }
    if (!registry.take_server_firing(i, fault.times)) {
      continue;
    }
    ++fired;
    const std::string key = fault_key(fault, i);
    context_.stats.count_fault(key);
    dispatch(context_, fault.action, key, fault.listener, std::nullopt, keep);
  }
  if (known == 0) {
    return admin_error(404, "no fault has the admin trigger \"" + label + "\"", "$.name");
  }
  FAULTLINE_LOG(debug, (LogTag{"admin"}), "fired " << label << ": " << fired);
  return ok_json({{"fired", fired}});
}

AdminReply AdminApi::apply_action(std::string_view target, std::string_view body,
                                  const Scope& scope) {
  scenarios::Action action;
  try {
    action = scenarios::parse_action(body);
  } catch (const scenarios::ScenarioError& e) {
    return admin_error(400, e.what(), e.path());
  }
  std::optional<std::uint64_t> connection;
  if (const auto q = target.find('?'); q != std::string_view::npos) {
    for (std::string_view query = target.substr(q + 1); !query.empty();) {
      const std::string_view key = query.substr(0, query.find('='));
      if (key != "connection" && key != "namespace") {
        return admin_error(400, "unknown query (known: connection=ID, namespace=NAME)");
      }
      const std::size_t amp = query.find('&');
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    }
    if (const auto id = query_value(target, "connection")) {
      connection = parse_u64(*id);
      if (!connection) {
        return admin_error(400, "connection must be a connection id");
      }
      if (!context_.live.contains(*connection)) {
        return admin_error(404, "no open connection " + std::to_string(*connection));
      }
    }
  }
  if (scope.name && std::holds_alternative<scenarios::StormAction>(action)) {
    return admin_error(400, "a storm acts on every connection of the server, not on a namespace");
  }
  const auto keep = in_scope(scope);
  if (connection && keep && !keep(*connection)) {
    return admin_error(
        404, "connection " + std::to_string(*connection) + " is not in namespace " + *scope.name);
  }
  const std::size_t applied = dispatch(context_, action, "", std::nullopt, connection, keep);
  FAULTLINE_LOG(debug, (LogTag{"admin"}),
                "action " << scenarios::action_name(action) << " applied to " << applied);
  return ok_json({{"applied", applied}});
}

AdminReply AdminApi::release_gate(std::string_view name, std::string_view body,
                                  const Scope& scope) {
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
  std::size_t released = 0;
  if (!scope.name) {
    released = context_.gates.release(gate, count);
  } else if (scope.ns) {
    released = scope.ns->gates().release(gate, count);
  }
  FAULTLINE_LOG(debug, (LogTag{"admin"}), "gate " << gate << ": released " << released);
  return ok_json({{"released", released}});
}

}  // namespace faultline::fake_server::detail
