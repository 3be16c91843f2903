// The external drivers bundled with Faultline over other languages' HTTP clients
// (harness/drivers/<name>/). Their programs live in <default_data_directory()>/drivers/bin/,
// in a build tree and in an install prefix alike (install_layout.h).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "faultline/harness/external_driver.h"

namespace faultline::harness {

/** How to start one of the bundled drivers. */
struct BundledDriverConfig {
  std::filesystem::path ca_file;  ///< --ca (empty: the client's default trust)
  std::vector<std::string> args;  ///< further arguments; see the driver's --help
};

/** The bundled drivers over other languages' clients, in matrix order: "go" (net/http),
    "python-httpx", "java" (java.net.http), "okhttp", "node-fetch" (Node's built-in fetch). */
[[nodiscard]] const std::vector<std::string>& bundled_driver_names();

/** The program that runs driver `name`:
    <default_data_directory()>/drivers/bin/faultline-driver-NAME. Throws
    std::invalid_argument for a name not in bundled_driver_names(). */
[[nodiscard]] std::filesystem::path bundled_driver_program(std::string_view name);

/** `bin/faultline-driver-NAME ARGS [--ca FILE]` as ExternalDriverOptions. */
[[nodiscard]] ExternalDriverOptions bundled_driver_options(std::string_view name,
                                                           const BundledDriverConfig& config);

/** Why driver `name` cannot run here (no data directory is found, or its program is
    missing: its toolchain was missing when CMake configured); nullopt when its program
    exists. */
[[nodiscard]] std::optional<std::string> bundled_driver_unavailable(std::string_view name);

}  // namespace faultline::harness
