#include "detail/tenant.h"

#include <optional>

#include "faultline/scenarios/loader.h"

namespace faultline::fake_server::detail {

namespace {

/** Takes the prefix "/<key>/<segment>" off `path`; the segment, or nullopt. */
std::optional<std::string> take_prefix(std::string& path, char key, std::string& prefix) {
  if (path.size() < 4 || path[0] != '/' || path[1] != key || path[2] != '/') {
    return std::nullopt;
  }
  const std::size_t end = path.find('/', 3);
  std::string segment = path.substr(3, end == std::string::npos ? std::string::npos : end - 3);
  prefix += path.substr(0, 3 + segment.size());
  path = end == std::string::npos ? std::string("/") : path.substr(end);
  return segment;
}

/** The one name given by prefix and/or header; an error when they differ. */
std::variant<std::string, TenantError> agree(const std::optional<std::string>& from_path,
                                             std::string_view header, const char* what,
                                             const char* header_name) {
  if (from_path && !header.empty() && *from_path != header) {
    return TenantError{400, std::string(what) + " given twice and different: \"" + *from_path +
                                "\" in the path, \"" + std::string(header) + "\" in " +
                                header_name};
  }
  return from_path ? *from_path : std::string(header);
}

std::string builtin_list() {
  std::string out;
  for (const std::string& name : scenarios::builtin_scenario_names()) {
    out += (out.empty() ? "" : ", ") + name;
  }
  return out;
}

}  // namespace

std::string server_wide_fault(const scenarios::Scenario& scenario) {
  for (std::size_t i = 0; i < scenario.faults.size(); ++i) {
    const scenarios::Action& action = scenario.faults[i].action;
    const auto* close = std::get_if<scenarios::CloseAction>(&action);
    if (std::holds_alternative<scenarios::StormAction>(action) ||
        (close != nullptr && close->all_connections)) {
      return "$.faults[" + std::to_string(i) + "]";
    }
  }
  return {};
}

std::variant<Tenant, TenantError> select_tenant(ServerContext& context, std::string& path,
                                                const TenantChoice& choice) {
  const bool prefixed =
      path.size() >= 3 && path[0] == '/' && (path[1] == 'n' || path[1] == 's') && path[2] == '/';
  if (!prefixed && choice.ns_header.empty() && choice.scenario_header.empty()) {
    return Tenant{};
  }
  Tenant tenant;
  std::optional<std::string> ns_path, scenario_path;
  for (int i = 0; i < 2; ++i) {
    if (!ns_path && (ns_path = take_prefix(path, 'n', tenant.prefix))) {
      continue;
    }
    if (!scenario_path && (scenario_path = take_prefix(path, 's', tenant.prefix))) {
      continue;
    }
    break;
  }

  auto ns_name = agree(ns_path, choice.ns_header, "namespace", kNamespaceHeader);
  if (auto* error = std::get_if<TenantError>(&ns_name)) {
    return std::move(*error);
  }
  const std::string& ns = std::get<std::string>(ns_name);
  if (!ns.empty() || ns_path) {
    if (!valid_namespace_name(ns)) {
      return TenantError{400, "namespace \"" + ns + "\" is not a valid name (1.." +
                                  std::to_string(kMaxNamespaceName) +
                                  " letters, digits, '.', '_', '-')"};
    }
    tenant.ns = context.namespaces.obtain(ns);
    if (!tenant.ns) {
      return TenantError{503, "too many namespaces (" + std::to_string(kMaxNamespaces) +
                                  "): POST /v1/reset forgets the unused ones"};
    }
  }

  auto scenario_name = agree(scenario_path, choice.scenario_header, "scenario", kScenarioHeader);
  if (auto* error = std::get_if<TenantError>(&scenario_name)) {
    return std::move(*error);
  }
  const std::string& name = std::get<std::string>(scenario_name);
  if (!name.empty() || scenario_path) {
    auto scenario = context.scenarios.named(name);
    if (!scenario) {
      return TenantError{404, "no scenario named \"" + name + "\" (built in: " + builtin_list() +
                                  "; or one loaded by PUT /v1/scenario)"};
    }
    if (scenario != context.scenarios.current()) {
      if (const std::string at = server_wide_fault(*scenario); !at.empty()) {
        return TenantError{
            400, "scenario \"" + name +
                     "\" has a fault that acts on every "
                     "connection of the server (" +
                     at + "): it needs a server of its own (--scenario or PUT /v1/scenario)"};
      }
      tenant.scenario = std::move(scenario);
    }
  }
  return tenant;
}

}  // namespace faultline::fake_server::detail
