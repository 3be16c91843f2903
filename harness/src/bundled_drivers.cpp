#include "faultline/harness/bundled_drivers.h"

#include <algorithm>
#include <stdexcept>

#include "faultline/harness/curl_driver.h"
#include "faultline/harness/install_layout.h"

namespace faultline::harness {

const std::vector<std::string>& bundled_driver_names() {
  static const std::vector<std::string> kNames = {"go", "python-httpx", "java", "okhttp",
                                                  "node-fetch"};
  return kNames;
}

std::filesystem::path bundled_driver_program(std::string_view name) {
  const auto& names = bundled_driver_names();
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    throw std::invalid_argument("no bundled driver named '" + std::string(name) + "'");
  }
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
  if (default_data_directory().empty()) {
    return std::string(
        "no Faultline data directory: the running program is neither in a build tree nor "
        "in an install prefix, and FAULTLINE_DATA_DIR is unset");
  }
  const auto program = bundled_driver_program(name);
  if (std::filesystem::exists(program)) {
    return std::nullopt;
  }
  return program.string() +
         " is missing: its toolchain was missing when CMake configured (./faultline "
         "installs it; see harness/drivers/CMakeLists.txt)";
}

namespace {

std::unique_ptr<Driver> make_external(ExternalDriverOptions options,
                                      const std::vector<std::string>& args) {
  options.args.insert(options.args.end(), args.begin(), args.end());
  return std::make_unique<ExternalDriver>(std::move(options));
}

/** Why a Node driver's script (the first argument of `options`) cannot run here. */
std::optional<std::string> node_script_missing(const ExternalDriverOptions& options,
                                               bool needs_modules) {
  if (options.args.empty()) {
    return std::string("no driver script");
  }
  const std::filesystem::path script = options.args.front();
  if (!std::filesystem::exists(script)) {
    return script.string() + " is missing";
  }
  if (needs_modules && !std::filesystem::exists(script.parent_path() / "node_modules")) {
    return "no node_modules in " + script.parent_path().string() + " (npm ci)";
  }
  return std::nullopt;
}

RegisteredDriver curl_entry() {
  return {"curl",
          [](const std::filesystem::path& ca, const std::vector<std::string>& args) {
            if (!args.empty()) {
              throw std::invalid_argument("the curl driver takes no arguments");
            }
            CurlDriverOptions o;
            o.ca_file = ca;
            return std::unique_ptr<Driver>(std::make_unique<CurlDriver>(o));
          },
          [] { return std::optional<std::string>(); }};
}

/** undici through one of its API layers: Dispatcher#request or fetch(). */
RegisteredDriver undici_entry(const char* name, NodeDriverConfig::Api api) {
  return {name,
          [api](const std::filesystem::path& ca, const std::vector<std::string>& args) {
            NodeDriverConfig c;
            c.ca_file = ca;
            c.api = api;
            return make_external(node_driver_options(c), args);
          },
          [] { return node_script_missing(node_driver_options({}), true); }};
}

RegisteredDriver node_http2_entry() {
  return {"node-http2",
          [](const std::filesystem::path& ca, const std::vector<std::string>& args) {
            NodeHttp2DriverConfig c;
            c.ca_file = ca;
            return make_external(node_http2_driver_options(c), args);
          },
          [] { return node_script_missing(node_http2_driver_options({}), false); }};
}

RegisteredDriver language_entry(const std::string& name) {
  return {name,
          [name](const std::filesystem::path& ca, const std::vector<std::string>& args) {
            return std::unique_ptr<Driver>(
                std::make_unique<ExternalDriver>(bundled_driver_options(name, {ca, args})));
          },
          [name] { return bundled_driver_unavailable(name); }};
}

}  // namespace

const std::vector<RegisteredDriver>& driver_registry() {
  static const std::vector<RegisteredDriver> kDrivers = [] {
    std::vector<RegisteredDriver> drivers = {
        curl_entry(), undici_entry("undici", NodeDriverConfig::Api::request),
        undici_entry("undici-fetch", NodeDriverConfig::Api::fetch), node_http2_entry()};
    for (const auto& name : bundled_driver_names()) {
      drivers.push_back(language_entry(name));
    }
    return drivers;
  }();
  return kDrivers;
}

const RegisteredDriver& registered_driver(std::string_view name) {
  for (const auto& driver : driver_registry()) {
    if (driver.name == name) {
      return driver;
    }
  }
  throw std::invalid_argument("no bundled driver named '" + std::string(name) + "'");
}

}  // namespace faultline::harness
