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
  bool follows_redirects = true;  ///< redirect mode "follow" is supported
  bool speaks_h1 = true;          ///< can talk to an HTTP/1.1-only origin
};

/** Test names print the driver's name, not its bytes. */
inline void PrintTo(const DriverKind& kind, std::ostream* out) {
  *out << kind.name;
}

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
      {"undici_fetch",
       [](const std::filesystem::path& ca) {
         NodeDriverConfig c;
         c.ca_file = ca;
         c.api = NodeDriverConfig::Api::fetch;
         return std::unique_ptr<Driver>(std::make_unique<ExternalDriver>(node_driver_options(c)));
       }},
      {"node_http2",
       [](const std::filesystem::path& ca) {
         NodeHttp2DriverConfig c;
         c.ca_file = ca;
         return std::unique_ptr<Driver>(
             std::make_unique<ExternalDriver>(node_http2_driver_options(c)));
       },
       /*follows_redirects=*/false, /*speaks_h1=*/false},
  };
}

inline std::string driver_kind_name(const ::testing::TestParamInfo<DriverKind>& info) {
  return info.param.name;
}

}  // namespace faultline::harness::testing
