// Every check of the catalogue as a test, Conformance/<Group>.<ID>/<driver>, against the
// gating drivers (our transport over h2 and forced to HTTP/1.1) - or, built with
// FAULTLINE_CONFORMANCE_ALL_DRIVERS, against every bundled driver. The same public call a
// project of its own makes for its driver (faultline/conformance/gtest.h).
#include "faultline/conformance/gtest.h"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace faultline::conformance {
namespace {

/** The drivers of this binary: the gating ones, or with FAULTLINE_CONFORMANCE_ALL_DRIVERS
    every bundled one. */
std::vector<DriverSpec> test_drivers() {
  std::vector<DriverSpec> out;
  for (auto& driver : bundled_drivers()) {
#ifndef FAULTLINE_CONFORMANCE_ALL_DRIVERS
    if (!driver.gating) {
      continue;
    }
#endif
    out.push_back(std::move(driver));
  }
  return out;
}

int register_test_drivers() {
  int registered = 0;
  for (const auto& driver : test_drivers()) {
    registered += register_conformance_tests(driver);
  }
  return registered;
}

const int kRegistered = register_test_drivers();

/** Full GoogleTest names of every registered test. */
std::set<std::string> registered_test_names() {
  std::set<std::string> names;
  const auto& unit = *::testing::UnitTest::GetInstance();
  for (int i = 0; i < unit.total_test_suite_count(); ++i) {
    const auto& suite = *unit.GetTestSuite(i);
    for (int j = 0; j < suite.total_test_count(); ++j) {
      names.insert(std::string(suite.name()) + "." + suite.GetTestInfo(j)->name());
    }
  }
  return names;
}

TEST(Registration, EveryCheckHasATestPerDriver) {
  const auto names = registered_test_names();
  const auto drivers = test_drivers();
  for (const auto& driver : drivers) {
    for (const auto& check : catalogue()) {
      const auto name = "Conformance/" + suite_name(check.group) + "." + test_name(check.id) + "/" +
                        test_name(driver.name);
      EXPECT_EQ(names.count(name), 1U) << name;
    }
  }
  EXPECT_EQ(kRegistered, static_cast<int>(drivers.size() * catalogue().size()));
}

TEST(Registration, RefusesADriverTwiceOrWithoutANameOrFactory) {
  // Each refusal comes before anything is registered.
  EXPECT_THROW((void)register_conformance_tests(transport_driver_spec(false)),
               std::invalid_argument);
  EXPECT_THROW((void)register_conformance_tests(driver_spec("", transport_driver_spec(false).make)),
               std::invalid_argument);
  EXPECT_THROW((void)register_conformance_tests(driver_spec("no-factory", nullptr)),
               std::invalid_argument);
}

TEST(Registration, SuiteNamesAreTheGroupsCapitalised) {
  EXPECT_EQ(suite_name("pool"), "Pool");
  EXPECT_EQ(suite_name("roundtrip"), "Roundtrip");
  EXPECT_EQ(suite_name(""), "");
}

}  // namespace
}  // namespace faultline::conformance
