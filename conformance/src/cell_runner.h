// Runs the cells of a check x driver matrix, several at once (--jobs N).
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "run_results.h"

namespace faultline::conformance::runner {

/** Called once per run of a cell, in the order of the matrix (check-major, drivers in
    their column order, runs in order) whatever order the cells finish in. */
using RunListener = std::function<void(const CheckInfo& check, const DriverSpec& driver, int run,
                                       int repeat, const Verdict& verdict)>;

/** Seconds a cell took, by (check id, driver name): what a previous run measured. */
using CellCosts = std::map<std::pair<std::string, std::string>, double>;

/** The cells' durations in a conformance.json a previous run wrote; empty when there is
    none or it cannot be read (the run then starts its cells in matrix order). */
[[nodiscard]] CellCosts previous_costs(const std::filesystem::path& report);

/** Runs every check against every driver `repeat` times and returns the rows in `checks`
    order. Up to `jobs` cells run at the same time: each run_check starts its own server
    and driver, so no two cells share one. Cells start longest first by `costs` (the
    cells it does not know, and ties, in matrix order), so that the slow ones do not
    start last and set the wall time alone. The runs of one cell follow one another on
    one thread, so a cell's verdicts never depend on `jobs` or on the start order. */
[[nodiscard]] std::vector<Row> run_cells(const std::vector<const CheckInfo*>& checks,
                                         const std::vector<DriverSpec>& drivers, int repeat,
                                         int jobs, const RunListener& on_run,
                                         const CellCosts& costs = {});

/** The default of --jobs: twice the hardware threads, at least 1. */
[[nodiscard]] int default_jobs();

}  // namespace faultline::conformance::runner
