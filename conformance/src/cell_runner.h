// Runs the cells of a check x driver matrix, several at once (--jobs N).
#pragma once

#include <functional>
#include <vector>

#include "run_results.h"

namespace faultline::conformance::runner {

/** Called once per run of a cell, in the order of the matrix (check-major, drivers in
    their column order, runs in order) whatever order the cells finish in. */
using RunListener = std::function<void(const CheckInfo& check, const DriverSpec& driver, int run,
                                       int repeat, const Verdict& verdict)>;

/** Runs every check against every driver `repeat` times and returns the rows in `checks`
    order. Up to `jobs` cells run at the same time: each run_check starts its own server
    and driver, so no two cells share one. The runs of one cell follow one another on one
    thread, so a cell's verdicts never depend on `jobs` through its own runs. */
[[nodiscard]] std::vector<Row> run_cells(const std::vector<const CheckInfo*>& checks,
                                         const std::vector<DriverSpec>& drivers, int repeat,
                                         int jobs, const RunListener& on_run);

/** The default of --jobs: twice the hardware threads, at least 1. */
[[nodiscard]] int default_jobs();

}  // namespace faultline::conformance::runner
