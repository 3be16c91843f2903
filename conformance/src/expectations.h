// The CI gate: what a run is expected to give per check and driver (an expectations
// file, docs/expectations.schema.json), and how a run compares with it.
#pragma once

#include <filesystem>
#include <map>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "run_results.h"

namespace faultline::conformance::runner {

/** What an entry expects of a cell. */
enum class Expected {
  pass,           ///< the check passes (also what a cell without an entry expects)
  fail,           ///< the check fails: a known finding about that client
  skip,           ///< the check skips (the driver declares a capability missing)
  flaky_allowed,  ///< pass, fail or flaky are all accepted (a cell known to be unstable)
};

[[nodiscard]] std::string_view to_string(Expected expected) noexcept;

/** One cell's expectation. */
struct Expectation {
  Expected expect = Expected::pass;
  std::string reason;  ///< why (required for fail and flaky-allowed when written by hand)
  std::string issue;   ///< a link to where it is tracked
};

/** One driver's expectations and the client they were recorded with. */
struct DriverExpectations {
  std::string client;   ///< hello "name" when recorded
  std::string version;  ///< hello "version" when recorded; "" = not pinned
  std::map<std::string, Expectation> checks;
};

/** A whole expectations file. */
struct Expectations {
  std::map<std::string, DriverExpectations> drivers;
};

/** A malformed expectations file; what() names the offending field's path. */
class ExpectationsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/** Parses an expectations document; throws ExpectationsError. */
[[nodiscard]] Expectations parse_expectations(const nlohmann::json& doc);
/** Reads and parses an expectations file; throws ExpectationsError. */
[[nodiscard]] Expectations load_expectations(const std::filesystem::path& file);

/** How a cell's result stands against its expectation. */
enum class Change {
  as_expected,  ///< nothing to do
  regression,   ///< an expected pass that failed, went flaky or skipped: fails the run
  improvement,  ///< an expected failure (or skip) that now passes
  changed,      ///< anything else that differs (an expected skip that now fails, ...)
};

[[nodiscard]] std::string_view to_string(Change change) noexcept;

/** The rule table of docs/ci.md: what `got` means against `expected`. */
[[nodiscard]] Change classify(Expected expected, CellOutcome got) noexcept;

/** A cell that is not as expected. */
struct Difference {
  std::string check;
  std::string driver;
  Expected expected = Expected::pass;
  bool has_entry = true;  ///< false: no entry, pass assumed
  std::string got;        ///< the cell's label ("FAIL", "flaky (3/10)")
  std::string summary;    ///< the representative verdict's summary
  Change change = Change::as_expected;
};

/** A run compared with an expectations file. */
struct Comparison {
  int as_expected = 0;
  int without_entry = 0;  ///< cells compared as "pass" because the file has no entry
  std::vector<Difference> differences;
  /** "go: expectations recorded with go 1.19.8, the driver says go 1.21.0". */
  std::vector<std::string> version_mismatches;
  /** Entries naming a check the catalogue does not have. */
  std::vector<std::string> unknown_checks;

  [[nodiscard]] int count(Change change) const;
  /** Any regression: the run fails. */
  [[nodiscard]] bool regressed() const { return count(Change::regression) > 0; }
  /** Anything --strict fails on: a regression, an improvement, a change, a version
      mismatch or an unknown check. */
  [[nodiscard]] bool strict_failure() const;
};

/** Compares every cell of `run` with `expected`. Drivers and checks that did not run
    are not compared (a filtered run judges what it ran). */
[[nodiscard]] Comparison compare(const Expectations& expected, const RunResults& run);

/** Prints the comparison: each difference, the version mismatches, and which
    expectations of `file` to update and how. */
void print_comparison(std::ostream& out, const Comparison& comparison,
                      const std::filesystem::path& file, bool strict);

/** The expectations the run's results make, as a document (docs/expectations.schema.json).
    With `previous`, its entries for cells that did not run stay, and so do the reasons and
    issues of entries whose expectation still holds. */
[[nodiscard]] nlohmann::ordered_json expectations_document(const RunResults& run,
                                                           const Expectations* previous);

}  // namespace faultline::conformance::runner
