// Made-up runs for the runner's tests: cells with chosen outcomes, no check executed.
#pragma once

#include <string>
#include <vector>

#include "run_results.h"

namespace faultline::conformance::runner::testing {

/** A verdict with `outcome`, a summary naming it, and a hello in its evidence. */
inline Verdict verdict(Outcome outcome, const std::string& version = "1.0") {
  Verdict v;
  v.outcome = outcome;
  v.summary = "summary says " + std::string(faultline::conformance::to_string(outcome)) + " & more";
  v.evidence["driver_hello"] = {{"name", "client"}, {"version", version}, {"api", ""}};
  return v;
}

/** A cell whose runs have these outcomes. */
inline CellResult cell(std::vector<Outcome> outcomes, const std::string& version = "1.0") {
  CellResult r;
  for (const auto o : outcomes) {
    r.runs.push_back(verdict(o, version));
  }
  return r;
}

/** A run over real catalogue IDs: rows[i] has cells[i][driver]. */
inline RunResults run_of(const std::vector<std::string>& checks,
                         const std::vector<std::string>& drivers,
                         const std::vector<std::vector<CellResult>>& cells) {
  RunResults run;
  for (std::size_t i = 0; i < checks.size(); ++i) {
    Row row{find_check(checks[i]), {}};
    for (std::size_t d = 0; d < drivers.size(); ++d) {
      row.results.emplace(drivers[d], cells[i][d]);
    }
    run.rows.push_back(std::move(row));
  }
  for (const auto& d : drivers) {
    run.columns.push_back(column_of(run.rows, d, d == "h2"));
  }
  run.seconds = 12.5;
  return run;
}

}  // namespace faultline::conformance::runner::testing
