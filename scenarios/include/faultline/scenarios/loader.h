// Loading and validating scenarios from JSON, and matching requests to routes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "faultline/scenarios/scenario.h"

namespace faultline::scenarios {

/** A scenario that does not validate. what(): "<json path>: <problem>", e.g.
    "$.routes[2].respond.status: must be an integer in 100..599". */
class ScenarioError : public std::runtime_error {
 public:
  ScenarioError(std::string path, const std::string& problem);
  /** The JSON path of the offending field ("$" for the document itself). */
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
};

/** Parses and validates a scenario. Unknown fields, wrong types and impossible values
    (negative sizes, missing targets, a redirect to an unknown listener) throw ScenarioError. */
[[nodiscard]] Scenario parse_scenario(std::string_view json_text);

/** Parses one ACTION object as a fault's "do" holds it ({"goaway": {...}}), e.g. the
    body of the admin API's POST /v1/actions. Paths start at "$" ("$.goaway.error").
    Only context-free checks apply: which listener or connection it suits is the
    caller's to decide. */
[[nodiscard]] Action parse_action(std::string_view json_text);

/** Reads a file and parses it; an unreadable file throws ScenarioError with path "$". */
[[nodiscard]] Scenario load_scenario_file(const std::filesystem::path& file);

/** The names of the scenarios built into the binaries (the files in scenarios/). */
[[nodiscard]] std::vector<std::string> builtin_scenario_names();

/** A built-in scenario by name; an unknown name throws ScenarioError. */
[[nodiscard]] Scenario load_builtin_scenario(std::string_view name);

/** --scenario's argument: an existing file path, else a built-in name. */
[[nodiscard]] Scenario load_scenario(std::string_view file_or_name);

/** The scenario as JSON in the format parse_scenario() reads (every field spelled out,
    defaults included), e.g. for the admin API's GET /v1/scenario.
    parse_scenario(to_json(s)) gives back s. */
[[nodiscard]] std::string to_json(const Scenario& scenario);

/** An action as parse_action() reads it, every field spelled out. */
[[nodiscard]] std::string to_json(const Action& action);

/** The first route matching a request, with its captures; nullptr when none matches.
    `attempt` is the request's attempt number (Attempts), for routes that match on it. */
[[nodiscard]] const Route* find_route(const Scenario& scenario, std::string_view listener,
                                      std::string_view method, std::string_view path,
                                      Captures& captures, std::uint32_t attempt = 1);

/** Expands {name}, {name-N} and {name+N} in a template from captures (and extra
    variables such as {i}); an unknown name is left as is. */
[[nodiscard]] std::string expand(std::string_view tmpl, const Captures& captures);

/** Resolves a NumberExpr; nullopt when its capture is missing or not a number. */
[[nodiscard]] std::optional<std::uint64_t> resolve(const NumberExpr& expr,
                                                   const Captures& captures);

}  // namespace faultline::scenarios
