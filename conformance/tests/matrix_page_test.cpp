// The matrix page and its heat map from a made-up run: every cell drawn in its colour and
// linked to its verdict's anchor in the report, the header naming versions and commit.
#include "matrix_page.h"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "reports.h"
#include "runner_fixtures.h"

namespace faultline::conformance::runner {
namespace {

using testing::cell;
using testing::run_of;
using O = Outcome;

RunResults sample() {
  return run_of({"RT-SSE", "RT-BINARY"}, {"h2", "go"},
                {{cell({O::pass}), cell({O::fail})}, {cell({O::skip}), cell({O::pass, O::fail})}});
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

TEST(MatrixPage, TheHeatMapHasOneCellPerCheckAndDriverInItsColour) {
  const auto svg = matrix_svg(sample());
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_NE(svg.find("</svg>\n"), std::string::npos);
  // Four cells and the four legend swatches.
  EXPECT_EQ(occurrences(svg, "<g><title>"), 4u);
  EXPECT_EQ(occurrences(svg, "fill=\"#2da44e\""), 2u);  // pass: a cell + the legend
  EXPECT_EQ(occurrences(svg, "fill=\"#cf222e\""), 2u);  // FAIL
  EXPECT_EQ(occurrences(svg, "fill=\"#d4a72c\""), 2u);  // flaky
  EXPECT_EQ(occurrences(svg, "fill=\"#d0d7de\""), 2u);  // skip
  EXPECT_NE(svg.find(">1/2 failed</text>"), std::string::npos);
  // Text is escaped: the summaries carry a '&'.
  EXPECT_EQ(svg.find("& more"), std::string::npos);
  EXPECT_NE(svg.find("&amp; more"), std::string::npos);
}

TEST(MatrixPage, EveryCellLinksToAnAnchorTheReportHas) {
  const auto run = sample();
  const auto md = matrix_markdown(run, {"docs/matrix.md", "abc1234", "2026-12-02", "2 cores"},
                                  "matrix.svg", "matrix-report.md");
  std::ostringstream report;
  write_report_md(report, run);
  const std::regex link(R"(\]\(matrix-report\.md#([a-z0-9-]+)\))");
  std::size_t links = 0;
  for (std::sregex_iterator it(md.begin(), md.end(), link), end; it != end; ++it) {
    ++links;
    EXPECT_NE(report.str().find("<a id=\"" + (*it)[1].str() + "\"></a>"), std::string::npos)
        << (*it)[1].str();
  }
  EXPECT_EQ(links, 4u);
  EXPECT_NE(md.find("[flaky (1/2)](matrix-report.md#rt-binary--go)"), std::string::npos) << md;
}

TEST(MatrixPage, TheHeaderNamesTheCommitTheClientsAndWhatFails) {
  const auto md = matrix_markdown(sample(), {"docs/matrix.md", "abc1234", "2026-12-02", "2 cores"},
                                  "matrix.svg", "matrix-report.md");
  EXPECT_NE(md.find("Faultline commit `abc1234`, run 2026-12-02 on 2 cores"), std::string::npos);
  EXPECT_NE(md.find("![The matrix as a heat map"), std::string::npos);
  EXPECT_NE(md.find("(matrix.svg)"), std::string::npos);
  EXPECT_NE(md.find("| `go` | client 1.0 | no |"), std::string::npos) << md;
  EXPECT_NE(md.find("- `go`: FAIL RT-SSE; flaky RT-BINARY (1/2)"), std::string::npos) << md;
  EXPECT_NE(md.find("- `h2`: no failure; 1 skipped"), std::string::npos) << md;
}

}  // namespace
}  // namespace faultline::conformance::runner
