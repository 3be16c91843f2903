#include "cell_runner.h"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <numeric>
#include <thread>

namespace faultline::conformance::runner {
namespace {

/** One cell of the matrix and, once it has run, its verdicts. */
struct Cell {
  std::size_t check = 0;
  std::size_t driver = 0;
  CellResult result;
  bool done = false;
};

/** The cells, the next one to start, and the next one whose runs go to the listener. */
class CellQueue {
 public:
  CellQueue(const std::vector<const CheckInfo*>& checks, const std::vector<DriverSpec>& drivers,
            int repeat, const RunListener& on_run, const CellCosts& costs)
      : checks_(checks), drivers_(drivers), repeat_(repeat), on_run_(on_run) {
    std::vector<double> cost;
    for (std::size_t c = 0; c < checks.size(); ++c) {
      for (std::size_t d = 0; d < drivers.size(); ++d) {
        cells_.push_back(Cell{c, d, {}, false});
        const auto it = costs.find({checks[c]->id, drivers[d].name});
        cost.push_back(it == costs.end() ? 0.0 : it->second);
      }
    }
    start_order_.resize(cells_.size());
    std::iota(start_order_.begin(), start_order_.end(), std::size_t{0});
    std::stable_sort(start_order_.begin(), start_order_.end(),
                     [&cost](std::size_t a, std::size_t b) { return cost[a] > cost[b]; });
  }

  /** A worker: takes cells until none is left. */
  void work() {
    for (std::size_t n = next_.fetch_add(1); n < cells_.size(); n = next_.fetch_add(1)) {
      const std::size_t i = start_order_[n];
      CellResult result;
      const auto& check = *checks_[cells_[i].check];
      const auto& driver = drivers_[cells_[i].driver];
      for (int run = 1; run <= repeat_; ++run) {
        result.runs.push_back(run_check(check, driver));
      }
      finish(i, std::move(result));
    }
  }

  [[nodiscard]] std::vector<Row> rows() {
    std::vector<Row> out;
    for (const auto* check : checks_) {
      out.push_back(Row{check, {}});
    }
    for (auto& cell : cells_) {
      out[cell.check].results.emplace(drivers_[cell.driver].name, std::move(cell.result));
    }
    return out;
  }

 private:
  /** Stores a cell's result, then hands every finished cell at the head to the listener. */
  void finish(std::size_t i, CellResult result) {
    std::lock_guard lock(mutex_);
    cells_[i].result = std::move(result);
    cells_[i].done = true;
    for (; reported_ < cells_.size() && cells_[reported_].done; ++reported_) {
      const auto& cell = cells_[reported_];
      if (!on_run_) {
        continue;
      }
      for (std::size_t run = 0; run < cell.result.runs.size(); ++run) {
        on_run_(*checks_[cell.check], drivers_[cell.driver], static_cast<int>(run) + 1, repeat_,
                cell.result.runs[run]);
      }
    }
  }

  const std::vector<const CheckInfo*>& checks_;
  const std::vector<DriverSpec>& drivers_;
  const int repeat_;
  const RunListener& on_run_;
  std::vector<Cell> cells_;               ///< matrix order
  std::vector<std::size_t> start_order_;  ///< indices into cells_, longest first
  std::atomic<std::size_t> next_{0};      ///< next position in start_order_
  std::mutex mutex_;
  std::size_t reported_ = 0;  // guarded by mutex_
};

}  // namespace

CellCosts previous_costs(const std::filesystem::path& report) {
  CellCosts costs;
  std::ifstream in(report);
  if (!in) {
    return costs;
  }
  const auto doc = nlohmann::json::parse(in, nullptr, false);
  if (!doc.is_object() || !doc.contains("checks") || !doc["checks"].is_array()) {
    return costs;
  }
  for (const auto& check : doc["checks"]) {
    if (!check.is_object() || !check.contains("results") || !check["results"].is_object()) {
      continue;
    }
    const std::string id = check.value("id", "");
    for (const auto& [driver, result] : check["results"].items()) {
      if (result.is_object() && result.contains("seconds") && result["seconds"].is_number()) {
        costs[{id, driver}] = result["seconds"].get<double>();
      }
    }
  }
  return costs;
}

std::vector<Row> run_cells(const std::vector<const CheckInfo*>& checks,
                           const std::vector<DriverSpec>& drivers, int repeat, int jobs,
                           const RunListener& on_run, const CellCosts& costs) {
  CellQueue queue(checks, drivers, repeat, on_run, costs);
  const auto workers = static_cast<std::size_t>(std::max(1, jobs));
  if (workers == 1) {
    queue.work();
  } else {
    std::vector<std::jthread> threads;
    for (std::size_t i = 0; i < workers; ++i) {
      threads.emplace_back([&queue] { queue.work(); });
    }
  }
  return queue.rows();
}

int default_jobs() {
  // A check spends most of its time waiting on its server and driver (held streams,
  // deadlines), so twice the hardware threads keeps the cores busy: 257 s for the whole
  // matrix here with 4 on 2 cores, 351 s with 2 (docs/matrix.md).
  return std::max(1, 2 * static_cast<int>(std::thread::hardware_concurrency()));
}

}  // namespace faultline::conformance::runner
