// Reading "faults", "gates" and single actions; internal to the loader.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "detail/json_reader.h"
#include "faultline/scenarios/scenario.h"

namespace faultline::scenarios::detail {

/** An attempt selection ("always", [1, 3], {"first": k}) of a path trigger or a route. */
[[nodiscard]] Attempts parse_attempts(const Json& value, const Loc& loc);

/** An action object ({"goaway": {...}}) with its context-free checks. */
[[nodiscard]] Action parse_action_object(const Json& value, const Loc& loc);

/** The "gates" map; every gate must be held by some route of `routes`. */
[[nodiscard]] std::map<std::string, GateConfig, std::less<>> parse_gates(
    const Json& value, const Loc& loc, const std::vector<Route>& routes);

/** The "faults" array, checked against the scenario's listeners and routes (which must
    already be parsed). */
[[nodiscard]] std::vector<Fault> parse_faults(const Json& value, const Loc& loc,
                                              const Scenario& scenario);

}  // namespace faultline::scenarios::detail
