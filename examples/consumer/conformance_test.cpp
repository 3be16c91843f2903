// The whole check catalogue against MyDriver (your transport): one registration, one
// test per check, Conformance/<Group>.<ID>/my_transport (ctest: .../my-transport).
#include <filesystem>
#include <memory>

#include "faultline/conformance/gtest.h"
#include "my_driver.h"

namespace {

std::unique_ptr<faultline::harness::Driver> make_my_driver(const std::filesystem::path& ca) {
  return std::make_unique<consumer::MyDriver>(ca);
}

}  // namespace

FAULTLINE_CONFORMANCE_DRIVER(my_transport,
                             faultline::conformance::driver_spec("my-transport", make_my_driver));
