// The check catalogue in a GoogleTest binary of your own: one call per driver registers
// every check against it, named as Faultline's own suite names them.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "faultline/conformance/checks.h"
#include "faultline/harness/driver.h"

namespace faultline::conformance {

/** Makes the driver under test for one check: `ca` is the CA file of that check's fresh
    faultline-server (trust it for its https listeners). */
using DriverFactory =
    std::function<std::unique_ptr<harness::Driver>(const std::filesystem::path& ca)>;

/** A driver over a transport of your own, named `name` in test names and reports. What
    it can do (h2, an idle timer) comes from its hello (harness::DriverInfo); set the
    other DriverSpec fields to declare more. */
[[nodiscard]] DriverSpec driver_spec(std::string name, DriverFactory make);

/** Registers every check of the catalogue as one GoogleTest test run against `driver`,
    named Conformance/<Group>.<ID>/<driver> - the check ID with '_' for '-' (GoogleTest
    filters read '-' as "except"), e.g. Conformance/Pool.POOL_REUSE/my_transport.
    Each test starts its own faultline-server (found as harness::ServerOptions says:
    FAULTLINE_SERVER, else beside the test binary, else in the install prefix), runs the
    check and passes, fails with the check's evidence, or skips for a capability the
    driver declares it lacks. Call it before RUN_ALL_TESTS, from main or through
    FAULTLINE_CONFORMANCE_DRIVER. Returns how many tests it registered. Throws
    std::invalid_argument when the driver has no name or no factory, or when a driver
    of that test name is registered already. Not thread-safe (GoogleTest's registry). */
int register_conformance_tests(const DriverSpec& driver);

/** "pool" -> "Pool": the GoogleTest suite of a catalogue group, after "Conformance/". */
[[nodiscard]] std::string suite_name(std::string_view group);

}  // namespace faultline::conformance

/** Registers the whole catalogue against a driver at static initialisation, like TEST():
    FAULTLINE_CONFORMANCE_DRIVER(mine, faultline::conformance::driver_spec("mine", make)).
    `Name` is an identifier unique in the translation unit. */
#define FAULTLINE_CONFORMANCE_DRIVER(Name, ...)                    \
  [[maybe_unused]] static const int faultline_conformance_##Name = \
      ::faultline::conformance::register_conformance_tests(__VA_ARGS__)
