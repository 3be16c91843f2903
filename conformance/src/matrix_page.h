// The client matrix page (docs/matrix.md): check x client, each cell linked to its
// verdict in a copy of report.md, a header with the clients' versions and the Faultline
// commit, and an SVG heat map of the same cells that the page embeds.
#pragma once

#include <filesystem>
#include <string>

#include "run_results.h"

namespace faultline::conformance::runner {

/** Where the page goes and what its header says. */
struct MatrixPageOptions {
  /** The markdown file; the heat map is written beside it as <stem>.svg and the report
      it links to as <stem>-report.md. */
  std::filesystem::path markdown;
  std::string commit;  ///< the Faultline commit the run was built from
  std::string date;    ///< when the run ended (UTC)
  std::string host;    ///< the machine ("2 cores, Debian 12")
};

/** The SVG heat map of a run: one coloured cell per check and driver. */
[[nodiscard]] std::string matrix_svg(const RunResults& run);

/** The markdown page (links to `report_name` and embeds `svg_name`). */
[[nodiscard]] std::string matrix_markdown(const RunResults& run, const MatrixPageOptions& options,
                                          const std::string& svg_name,
                                          const std::string& report_name);

/** Writes the page, the SVG and the report copy; throws std::runtime_error on failure. */
void write_matrix_page(const RunResults& run, const MatrixPageOptions& options);

}  // namespace faultline::conformance::runner
