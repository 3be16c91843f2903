// Which namespace and scenario a request chose: the /n/<ns>/ and /s/<scenario>/ path
// prefixes and the x-faultline-namespace / x-faultline-scenario headers
// (docs/admin-api.md, "Namespaces"). Shared by both protocols; no I/O.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "detail/namespaces.h"
#include "detail/server_context.h"

namespace faultline::fake_server::detail {

/** Why a request's choice cannot be served: answered with this status and a JSON error. */
struct TenantError {
  int status = 400;
  std::string message;
};

/** A request's choice as it arrived. */
struct TenantChoice {
  std::string_view ns_header;        ///< x-faultline-namespace ("" when absent)
  std::string_view scenario_header;  ///< x-faultline-scenario ("" when absent)
};

/** Removes the /n/<ns>/ and /s/<scenario>/ prefixes from `path` (either order, each at
    most once; what is left starts with '/') and resolves the choice: the namespace is
    created on first use (503 beyond kMaxNamespaces), the scenario is looked up by name
    (404 when unknown; 400 when it has a fault that reaches every connection of the
    server). A name given both ways must agree (400). Without prefix or header: the
    default namespace and the active scenario, with no lock taken. */
[[nodiscard]] std::variant<Tenant, TenantError> select_tenant(ServerContext& context,
                                                              std::string& path,
                                                              const TenantChoice& choice);

/** The JSON path of a fault that acts on every connection of the server (a storm, a
    close with all_connections), "" when the scenario has none. */
[[nodiscard]] std::string server_wide_fault(const scenarios::Scenario& scenario);

}  // namespace faultline::fake_server::detail
