// The CI gate without running a check: parsing expectations files, the rule table,
// comparing made-up runs, and writing a run back as expectations.
#include "expectations.h"

#include <gtest/gtest.h>

#include <sstream>

#include "runner_fixtures.h"

namespace faultline::conformance::runner {
namespace {

using testing::cell;
using testing::run_of;
using O = Outcome;

nlohmann::json doc_with(const nlohmann::json& checks, const std::string& version = "1.0") {
  return {{"drivers", {{"go", {{"client", "client"}, {"version", version}, {"checks", checks}}}}}};
}

std::string error_of(const nlohmann::json& doc) {
  try {
    (void)parse_expectations(doc);
  } catch (const ExpectationsError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Expectations, ClassifyFollowsTheRuleTable) {
  using C = CellOutcome;
  using E = Expected;
  struct Case {
    E expected;
    C got;
    Change change;
  };
  const Case cases[] = {
      {E::pass, C::pass, Change::as_expected},
      {E::pass, C::fail, Change::regression},
      {E::pass, C::flaky, Change::regression},
      {E::pass, C::skip, Change::regression},
      {E::fail, C::fail, Change::as_expected},
      {E::fail, C::pass, Change::improvement},
      {E::fail, C::flaky, Change::changed},
      {E::fail, C::skip, Change::changed},
      {E::skip, C::skip, Change::as_expected},
      {E::skip, C::pass, Change::improvement},
      {E::skip, C::fail, Change::changed},
      {E::skip, C::flaky, Change::changed},
      {E::flaky_allowed, C::pass, Change::as_expected},
      {E::flaky_allowed, C::fail, Change::as_expected},
      {E::flaky_allowed, C::flaky, Change::as_expected},
      {E::flaky_allowed, C::skip, Change::changed},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(classify(c.expected, c.got), c.change)
        << to_string(c.expected) << " vs " << to_string(c.got);
  }
}

TEST(Expectations, ParsesStringsAndObjects) {
  const auto e = parse_expectations(doc_with(
      {{"RT-SSE", "pass"},
       {"POOL-REUSE", {{"expect", "fail"}, {"reason", "opens 9"}, {"issue", "https://x/1"}}},
       {"DRAIN-SESSION-LOSS", {{"expect", "flaky-allowed"}, {"reason", "8/10"}}},
       {"POOL-IDLE-REAP", "skip"}}));
  const auto& go = e.drivers.at("go");
  EXPECT_EQ(go.version, "1.0");
  EXPECT_EQ(go.checks.at("RT-SSE").expect, Expected::pass);
  EXPECT_EQ(go.checks.at("POOL-REUSE").expect, Expected::fail);
  EXPECT_EQ(go.checks.at("POOL-REUSE").reason, "opens 9");
  EXPECT_EQ(go.checks.at("POOL-REUSE").issue, "https://x/1");
  EXPECT_EQ(go.checks.at("DRAIN-SESSION-LOSS").expect, Expected::flaky_allowed);
  EXPECT_EQ(go.checks.at("POOL-IDLE-REAP").expect, Expected::skip);
}

TEST(Expectations, ErrorsNameTheOffendingField) {
  EXPECT_NE(error_of(doc_with({{"RT-SSE", "passes"}})).find("$.drivers.go.checks.RT-SSE"),
            std::string::npos);
  EXPECT_NE(error_of(doc_with({{"RT-SSE", {{"expect", "pass"}, {"why", "x"}}}}))
                .find("$.drivers.go.checks.RT-SSE.why: unknown field"),
            std::string::npos);
  EXPECT_NE(error_of(doc_with({{"RT-SSE", 3}})).find("must be"), std::string::npos);
  EXPECT_NE(error_of({{"driver", nlohmann::json::object()}}).find("$.driver"), std::string::npos);
  EXPECT_NE(error_of({{"drivers", {{"go", {{"version", "1"}}}}}}).find("$.drivers.go.checks"),
            std::string::npos);
  EXPECT_NE(error_of(nlohmann::json::array()).find("$: must be an object"), std::string::npos);
}

TEST(Expectations, AnExpectedPassThatFailsIsARegressionOfANonGatingDriver) {
  const auto run = run_of({"RT-SSE", "RT-BINARY"}, {"go"}, {{cell({O::fail})}, {cell({O::pass})}});
  const auto c =
      compare(parse_expectations(doc_with({{"RT-SSE", "pass"}, {"RT-BINARY", "pass"}})), run);
  EXPECT_TRUE(c.regressed());
  ASSERT_EQ(c.differences.size(), 1u);
  EXPECT_EQ(c.differences[0].check, "RT-SSE");
  EXPECT_EQ(c.differences[0].got, "FAIL");
  EXPECT_EQ(c.as_expected, 1);
}

TEST(Expectations, GoingFlakyIsARegression) {
  const auto run = run_of({"RT-SSE"}, {"go"}, {{cell({O::pass, O::fail, O::pass})}});
  const auto c = compare(parse_expectations(doc_with({{"RT-SSE", "pass"}})), run);
  EXPECT_TRUE(c.regressed());
  EXPECT_EQ(c.differences.at(0).got, "flaky (1/3)");
}

TEST(Expectations, AnImprovementPassesUnlessStrict) {
  const auto run = run_of({"RT-SSE"}, {"go"}, {{cell({O::pass})}});
  const auto c = compare(parse_expectations(doc_with({{"RT-SSE", "fail"}})), run);
  EXPECT_FALSE(c.regressed());
  EXPECT_EQ(c.count(Change::improvement), 1);
  EXPECT_TRUE(c.strict_failure());
  std::ostringstream text;
  print_comparison(text, c, "exp.json", false);
  EXPECT_NE(text.str().find("improvement  RT-SSE on go: expected fail, got pass"),
            std::string::npos)
      << text.str();
  EXPECT_NE(text.str().find("to update in exp.json: go/RT-SSE"), std::string::npos) << text.str();
}

TEST(Expectations, FlakyAllowedAcceptsEveryOutcomeButASkip) {
  const auto doc = doc_with({{"RT-SSE", {{"expect", "flaky-allowed"}, {"reason", "r"}}}});
  for (const auto& runs : {std::vector<O>{O::pass}, {O::fail}, {O::pass, O::fail}}) {
    const auto c = compare(parse_expectations(doc), run_of({"RT-SSE"}, {"go"}, {{cell(runs)}}));
    EXPECT_FALSE(c.strict_failure());
  }
  const auto skipped =
      compare(parse_expectations(doc), run_of({"RT-SSE"}, {"go"}, {{cell({O::skip})}}));
  EXPECT_EQ(skipped.count(Change::changed), 1);
}

TEST(Expectations, ACellWithoutAnEntryIsComparedAsPass) {
  const auto run = run_of({"RT-SSE", "RT-BINARY"}, {"go", "mine"},
                          {{cell({O::pass}), cell({O::fail})}, {cell({O::fail}), cell({O::pass})}});
  const auto c = compare(parse_expectations(doc_with({{"RT-SSE", "pass"}})), run);
  EXPECT_EQ(c.without_entry, 3);
  EXPECT_TRUE(c.regressed());
  ASSERT_EQ(c.count(Change::regression), 2);
  EXPECT_FALSE(c.differences[0].has_entry);
}

TEST(Expectations, AVersionMismatchIsReported) {
  const auto run = run_of({"RT-SSE"}, {"go"}, {{cell({O::pass}, "2.0")}});
  const auto c = compare(parse_expectations(doc_with({{"RT-SSE", "pass"}}, "1.0")), run);
  EXPECT_FALSE(c.regressed());
  ASSERT_EQ(c.version_mismatches.size(), 1u);
  EXPECT_NE(c.version_mismatches[0].find("recorded with client 1.0, the driver says client 2.0"),
            std::string::npos)
      << c.version_mismatches[0];
  EXPECT_TRUE(c.strict_failure());
}

TEST(Expectations, UnknownChecksAreReportedAndDriversNotRunAreNotCompared) {
  nlohmann::json doc = doc_with({{"RT-SSE", "pass"}, {"NO-SUCH-CHECK", "pass"}});
  doc["drivers"]["java"] = {{"checks", {{"RT-SSE", "fail"}}}};
  const auto c = compare(parse_expectations(doc), run_of({"RT-SSE"}, {"go"}, {{cell({O::pass})}}));
  EXPECT_EQ(c.unknown_checks, std::vector<std::string>{"go NO-SUCH-CHECK"});
  EXPECT_TRUE(c.differences.empty());
  EXPECT_EQ(c.as_expected, 1);
}

TEST(Expectations, AWrittenRunReadsBackAsExpectedWithReasonsForFailures) {
  const auto run = run_of({"RT-SSE", "RT-BINARY", "POOL-IDLE-REAP"}, {"go"},
                          {{cell({O::fail})}, {cell({O::pass, O::fail})}, {cell({O::skip})}});
  const auto doc = expectations_document(run, nullptr);
  const auto& go = doc["drivers"]["go"];
  EXPECT_EQ(go["version"], "1.0");
  EXPECT_EQ(go["checks"]["RT-SSE"]["expect"], "fail");
  EXPECT_EQ(go["checks"]["RT-SSE"]["reason"], "summary says FAIL & more");
  EXPECT_EQ(go["checks"]["RT-BINARY"]["expect"], "flaky-allowed");
  EXPECT_NE(go["checks"]["RT-BINARY"]["reason"].get<std::string>().find("flaky (1/2)"),
            std::string::npos);
  EXPECT_EQ(go["checks"]["POOL-IDLE-REAP"], "skip");
  const auto back = parse_expectations(nlohmann::json::parse(doc.dump()));
  EXPECT_FALSE(compare(back, run).strict_failure());
}

TEST(Expectations, RewritingKeepsReasonsThatStillHoldAndCellsNotRun) {
  const auto previous = parse_expectations(doc_with(
      {{"RT-SSE", {{"expect", "fail"}, {"reason", "hand-written"}, {"issue", "https://x/2"}}},
       {"RT-BINARY", {{"expect", "fail"}, {"reason", "old"}}},
       {"RT-MULTIPART", "pass"}}));
  const auto run = run_of({"RT-SSE", "RT-BINARY"}, {"go"}, {{cell({O::fail})}, {cell({O::pass})}});
  const auto doc = expectations_document(run, &previous);
  const auto& checks = doc["drivers"]["go"]["checks"];
  EXPECT_EQ(checks["RT-SSE"]["reason"], "hand-written");
  EXPECT_EQ(checks["RT-SSE"]["issue"], "https://x/2");
  EXPECT_EQ(checks["RT-BINARY"], "pass");
  EXPECT_EQ(checks["RT-MULTIPART"], "pass");
}

}  // namespace
}  // namespace faultline::conformance::runner
