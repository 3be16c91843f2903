// The drivers the harness's end-to-end tests run against a peer, by name.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "faultline/harness/curl_driver.h"
#include "faultline/harness/external_driver.h"

namespace faultline::harness::testing {

/** A way to make a driver that trusts `ca` (empty: the system's CAs only). */
struct DriverKind {
  std::string name;
  std::function<std::unique_ptr<Driver>(const std::filesystem::path& ca)> make;
};

inline std::vector<DriverKind> driver_kinds() {
  return {
      {"curl",
       [](const std::filesystem::path& ca) {
         CurlDriverOptions o;
         o.ca_file = ca;
         return std::unique_ptr<Driver>(std::make_unique<CurlDriver>(o));
       }},
      {"undici",
       [](const std::filesystem::path& ca) {
         NodeDriverConfig c;
         c.ca_file = ca;
         return std::unique_ptr<Driver>(std::make_unique<ExternalDriver>(node_driver_options(c)));
       }},
  };
}

inline std::string driver_kind_name(const ::testing::TestParamInfo<DriverKind>& info) {
  return info.param.name;
}

}  // namespace faultline::harness::testing
