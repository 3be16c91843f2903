// The reports of a faultline-conformance run: conformance.json (every verdict with its
// evidence), junit.xml (one testsuite per driver) and report.md (the matrix, then each
// verdict under an anchor that the matrix page links to).
#pragma once

#include <filesystem>
#include <ostream>
#include <string>

#include "run_results.h"

namespace faultline::conformance::runner {

/** Writes conformance.json, junit.xml and report.md into `dir` (created when missing);
    throws std::runtime_error when a file cannot be written. */
void write_reports(const std::filesystem::path& dir, const RunResults& run);

/** `text` for XML content or an attribute: markup characters as entities, control
    characters other than line breaks and tabs as spaces. */
[[nodiscard]] std::string xml_escape(const std::string& text);

/** report.md's text. */
void write_report_md(std::ostream& md, const RunResults& run);

/** What a markdown check x driver table shows: "(gating)" after gating columns' names,
    the skip reason in skipped cells, and where each cell's link points (`link_page` then
    "#" and the cell's anchor; empty: this page). */
struct MatrixTableStyle {
  bool mark_gating = false;
  bool skip_reasons = false;
  std::string link_page;
};

/** Writes the markdown table of `run`: a header row of drivers, a row per check. */
void write_markdown_matrix(std::ostream& md, const RunResults& run, const MatrixTableStyle& style);

}  // namespace faultline::conformance::runner
