// The drivers bundled with Faultline, in one registry (driver_registry()): libcurl in
// process, the Node drivers, and the external drivers over other languages' HTTP clients
// (harness/drivers/<name>/), whose programs live in <default_data_directory()>/drivers/bin/,
// in a build tree and in an install prefix alike (install_layout.h).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "faultline/harness/driver.h"
#include "faultline/harness/external_driver.h"

namespace faultline::harness {

/** One bundled driver: its name (a column of the conformance matrix, a parameter of the
    harness's end-to-end tests), how to make one, and whether it can run here. */
struct RegisteredDriver {
  /** "curl", "undici", "undici-fetch", "node-http2", "go", "python-httpx", "java",
      "okhttp", "node-fetch". */
  std::string name;
  /** Makes the driver trusting `ca` (empty: the client's default trust); `args` are
      appended to an external driver's command line (see its --help), and must be empty
      for curl. Throws what the driver's constructor throws. */
  std::function<std::unique_ptr<Driver>(const std::filesystem::path& ca,
                                        const std::vector<std::string>& args)>
      make;
  /** Why it cannot run here (its program or its npm modules missing); nullopt when it
      can. */
  std::function<std::optional<std::string>()> unavailable;
};

/** Every bundled driver, in matrix order: curl, undici, undici-fetch, node-http2, then
    bundled_driver_names(). The driver over Faultline's own transport is not here: the
    conformance suite adds it (conformance/drivers/). */
[[nodiscard]] const std::vector<RegisteredDriver>& driver_registry();

/** The registry entry named `name`; throws std::invalid_argument for an unknown one. */
[[nodiscard]] const RegisteredDriver& registered_driver(std::string_view name);

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
