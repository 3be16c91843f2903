// The results of one faultline-conformance run: per check and driver the verdicts of its
// --repeat runs. The reports, the matrix page and the expectations all read this.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "faultline/conformance/checks.h"

namespace faultline::conformance::runner {

/** What a cell came to over its runs: one outcome, or flaky when the runs disagree. */
enum class CellOutcome { pass, fail, skip, flaky };

[[nodiscard]] std::string_view to_string(CellOutcome outcome) noexcept;

/** The verdicts of one check on one driver over --repeat runs. */
struct CellResult {
  std::vector<Verdict> runs;

  /** Every run gave the same outcome. */
  [[nodiscard]] bool stable() const;
  [[nodiscard]] int count(Outcome o) const;
  [[nodiscard]] bool flaky() const { return !stable(); }
  [[nodiscard]] CellOutcome outcome() const;
  /** A failure or a flaky verdict: what fails a gating driver. */
  [[nodiscard]] bool bad() const;
  /** The run that speaks for the result: the first failure, else the first run. */
  [[nodiscard]] const Verdict& representative() const;
  /** "pass", "FAIL", "skip" or "flaky (k/N)" with k the failed runs. */
  [[nodiscard]] std::string label() const;
  [[nodiscard]] double seconds() const;
};

/** One check's row: its result per driver name. */
struct Row {
  const CheckInfo* check = nullptr;
  std::map<std::string, CellResult> results;
};

/** A column: the driver and what its hello said (empty when it never said hello). */
struct Column {
  std::string name;
  bool gating = false;
  std::string client;   ///< hello "name" ("undici", "go", "libcurl")
  std::string version;  ///< hello "version"
  std::string api;      ///< hello "api", when given
  /** "client version, api X" for legends; empty when no hello was seen. */
  [[nodiscard]] std::string identity() const;
};

/** A whole run. */
struct RunResults {
  std::vector<Column> columns;
  std::vector<Row> rows;
  int repeat = 1;
  int jobs = 1;
  double seconds = 0;  ///< wall time of the checks
};

/** The column of `driver` with what its verdicts' evidence says of its hello. */
[[nodiscard]] Column column_of(const std::vector<Row>& rows, const std::string& driver,
                               bool gating);

/** The anchor of a cell's verdict in report.md ("pool-reuse--go"). */
[[nodiscard]] std::string cell_anchor(const std::string& check, const std::string& driver);

}  // namespace faultline::conformance::runner
