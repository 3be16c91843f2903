#include "faultline/conformance/gtest.h"

#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <stdexcept>
#include <utility>

namespace faultline::conformance {
namespace {

/** One check against one driver: its verdict is the test's result. */
class CheckTest final : public ::testing::Test {
 public:
  CheckTest(const CheckInfo& check, DriverSpec driver)
      : check_(check), driver_(std::move(driver)) {}

  void TestBody() override {
    const Verdict v = run_check(check_, driver_);
    RecordProperty("check", check_.id);
    RecordProperty("summary", v.summary);
    if (v.outcome == Outcome::skip) {
      GTEST_SKIP() << v.summary;
    }
    EXPECT_EQ(to_string(v.outcome), to_string(Outcome::pass))
        << check_.id << " on " << driver_.name << ": " << v.message();
  }

 private:
  const CheckInfo& check_;  // an element of catalogue(), which lives as long as the program
  DriverSpec driver_;
};

/** The driver test names registered so far (a second one would duplicate test names). */
std::set<std::string>& registered_drivers() {
  static std::set<std::string> names;
  return names;
}

}  // namespace

DriverSpec driver_spec(std::string name, DriverFactory make) {
  DriverSpec spec;
  spec.name = std::move(name);
  spec.make = std::move(make);
  return spec;
}

std::string suite_name(std::string_view group) {
  std::string out(group);
  if (!out.empty()) {
    out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  }
  return out;
}

int register_conformance_tests(const DriverSpec& driver) {
  if (driver.name.empty() || !driver.make) {
    throw std::invalid_argument(
        "register_conformance_tests: a driver needs a name and a factory (DriverSpec::make)");
  }
  const std::string driver_name = test_name(driver.name);
  if (!registered_drivers().insert(driver_name).second) {
    throw std::invalid_argument("register_conformance_tests: a driver named " + driver_name +
                                " is registered already");
  }
  int registered = 0;
  for (const auto& check : catalogue()) {
    const std::string suite = "Conformance/" + suite_name(check.group);
    const std::string name = test_name(check.id) + "/" + driver_name;
    // value_param: --gtest_list_tests prints it ("# GetParam() = <driver>"), and
    // faultline_add_conformance_tests takes the ctest name's driver from there.
    ::testing::RegisterTest(
        suite.c_str(), name.c_str(), nullptr, driver.name.c_str(), __FILE__, __LINE__,
        [&check, driver]() -> ::testing::Test* { return new CheckTest(check, driver); });
    ++registered;
  }
  return registered;
}

}  // namespace faultline::conformance
