// GoogleTest glue: every catalogue check as TEST_P(Group, ID) over the drivers.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "faultline/conformance/checks.h"

namespace faultline::conformance {

/** The drivers this test executable runs against (gating only, or all bundled). */
inline std::vector<DriverSpec> test_drivers() {
  std::vector<DriverSpec> out;
  for (auto& d : bundled_drivers()) {
#ifndef FAULTLINE_CONFORMANCE_ALL_DRIVERS
    if (!d.gating) {
      continue;
    }
#endif
    out.push_back(d);
  }
  return out;
}

/** "h2", "h1", "curl", "undici", "undici_fetch", "node_http2" (gtest names take no '-'). */
inline std::string driver_test_name(const ::testing::TestParamInfo<DriverSpec>& info) {
  return test_name(info.param.name);
}

/** Runs a check and turns its verdict into the test's result: a skip with its reason, a
    failure with the evidence, a pass with its summary recorded. */
inline void expect_check(const char* id, const DriverSpec& driver) {
  const CheckInfo* check = find_check(id);
  ASSERT_NE(check, nullptr) << "no check " << id;
  const Verdict v = run_check(*check, driver);
  ::testing::Test::RecordProperty("summary", v.summary);
  if (v.outcome == Outcome::skip) {
    GTEST_SKIP() << v.summary;
  }
  EXPECT_EQ(v.outcome, Outcome::pass) << id << " on " << driver.name << ": " << v.message();
}

}  // namespace faultline::conformance

#define FAULTLINE_CONFORMANCE_SUITE(Group)                                                \
  class Group : public ::testing::TestWithParam<::faultline::conformance::DriverSpec> {}; \
  INSTANTIATE_TEST_SUITE_P(Conformance, Group,                                            \
                           ::testing::ValuesIn(::faultline::conformance::test_drivers()), \
                           ::faultline::conformance::driver_test_name)

#define FAULTLINE_CHECK(Group, Name, Id)                    \
  TEST_P(Group, Name) {                                     \
    ::faultline::conformance::expect_check(Id, GetParam()); \
  }
