#include "faultline/harness/bundled_drivers.h"

#include <algorithm>
#include <stdexcept>

#include "faultline/harness/install_layout.h"

namespace faultline::harness {

const std::vector<std::string>& bundled_driver_names() {
  static const std::vector<std::string> kNames = {"go", "python-httpx", "java", "okhttp",
                                                  "node-fetch"};
  return kNames;
}

std::filesystem::path bundled_driver_program(std::string_view name) {
  const auto& names = bundled_driver_names();
  if (std::find(names.begin(), names.end(), name) == names.end())
    throw std::invalid_argument("no bundled driver named '" + std::string(name) + "'");
  return default_data_directory() / "drivers" / "bin" / ("faultline-driver-" + std::string(name));
}

ExternalDriverOptions bundled_driver_options(std::string_view name,
                                             const BundledDriverConfig& config) {
  ExternalDriverOptions options;
  options.program = bundled_driver_program(name);
  options.args = config.args;
  if (!config.ca_file.empty()) {
    options.args.push_back("--ca");
    options.args.push_back(config.ca_file.string());
  }
  return options;
}

std::optional<std::string> bundled_driver_unavailable(std::string_view name) {
  if (default_data_directory().empty())
    return std::string(
        "no Faultline data directory: the running program is neither in a build tree nor "
        "in an install prefix, and FAULTLINE_DATA_DIR is unset");
  const auto program = bundled_driver_program(name);
  if (std::filesystem::exists(program))
    return std::nullopt;
  return program.string() +
         " is missing: its toolchain was missing when CMake configured (./faultline "
         "installs it; see harness/drivers/CMakeLists.txt)";
}

}  // namespace faultline::harness
