// Fuzz target: scenario text into the strict loader and validator (parse_scenario,
// parse_action), the way PUT /v1/scenario, POST /v1/actions and --scenario FILE hand
// it over. A rejection is a ScenarioError naming a path; anything else escaping is a
// finding, and so is an accepted scenario that does not survive its own round trip
// (to_json() is documented to give back what parse_scenario() reads).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "faultline/scenarios/loader.h"

namespace {

using faultline::scenarios::ScenarioError;

[[noreturn]] void finding(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_scenario: %s\n%s\n", what, detail.c_str());
  std::abort();
}

/** Parses `text` with `parse` (parse_scenario or parse_action); an accepted value must
    come back from its own to_json() unchanged. */
template <class Parse>
void check(std::string_view text, Parse parse, const char* what) {
  namespace sc = faultline::scenarios;
  std::string once;
  try {
    once = sc::to_json(parse(text));
  } catch (const ScenarioError& e) {
    // Rejected: what PUT /v1/scenario and POST /v1/actions answer 400 with, at a path.
    if (e.path().empty() || e.path().front() != '$')
      finding("a rejection without a JSON path", e.what());
    return;
  }
  std::string twice;
  try {
    twice = sc::to_json(parse(once));
  } catch (const ScenarioError& e) {
    finding(what,
            std::string("to_json() of an accepted input is rejected: ") + e.what() + "\n" + once);
  }
  if (once != twice)
    finding(what, "to_json(parse(to_json(x))) differs from to_json(x):\n" + once + "\n" + twice);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check(text, faultline::scenarios::parse_scenario, "scenario round trip");
  check(text, faultline::scenarios::parse_action, "action round trip");
  return 0;
}
