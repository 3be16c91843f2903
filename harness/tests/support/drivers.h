// The drivers the harness's end-to-end tests run against a peer, by name.
#pragma once

#include <algorithm>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "faultline/harness/bundled_drivers.h"
#include "faultline/harness/curl_driver.h"
#include "faultline/harness/external_driver.h"

namespace faultline::harness::testing {

/** A way to make a driver that trusts `ca` (empty: the system's CAs only). */
struct DriverKind {
  std::string name;
  std::function<std::unique_ptr<Driver>(const std::filesystem::path& ca)> make;
  bool follows_redirects = true;  ///< redirect mode "follow" is supported
  bool speaks_h1 = true;          ///< can talk to an HTTP/1.1-only origin
  /** Too many redirects fail the request; false: the client returns the last 3xx. */
  bool redirect_limit_fails = true;
  /** On a cold pool, a burst opens no more connections than the pool limit; false: the
      client opens one per request until its first connection is up (POOL-COLD-BURST). */
  bool bounded_cold_burst = true;
};

/** Test names print the driver's name, not its bytes. */
inline void PrintTo(const DriverKind& kind, std::ostream* out) {
  *out << kind.name;
}

/** A driver of harness/drivers/bin by name, with its default pool. */
inline DriverKind bundled_kind(const std::string& name) {
  std::string test_name = name;
  std::replace(test_name.begin(), test_name.end(), '-', '_');
  // Node's bundled undici 6 multiplexes h2 streams only with pipelining above 1, and then
  // crashes now and then under concurrent load (assert(!this.completed) in
  // Request.onHeaders; docs/drivers.md): these tests are about the driver, so they run it
  // one stream per connection. The conformance column runs it multiplexed.
  std::vector<std::string> args;
  if (name == "node-fetch")
    args = {"--pipelining", "1"};
  DriverKind kind{test_name, [name, args](const std::filesystem::path& ca) {
                    BundledDriverConfig c;
                    c.ca_file = ca;
                    c.args = args;
                    return std::unique_ptr<Driver>(
                        std::make_unique<ExternalDriver>(bundled_driver_options(name, c)));
                  }};
  // The JDK's HttpClient returns the last 3xx once it has followed its limit of
  // redirects (jdk.httpclient.redirects.retrylimit) instead of failing (docs/drivers.md).
  kind.redirect_limit_fails = name != "java";
  // The JDK's HttpClient and OkHttp 3 connect once per request of a burst on a cold pool.
  kind.bounded_cold_burst = name != "java" && name != "okhttp";
  return kind;
}

inline std::vector<DriverKind> driver_kinds() {
  std::vector<DriverKind> kinds = {
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
  // Every bundled driver, built or not: one that is missing fails its tests.
  for (const auto& name : bundled_driver_names())
    kinds.push_back(bundled_kind(name));
  return kinds;
}

inline std::string driver_kind_name(const ::testing::TestParamInfo<DriverKind>& info) {
  return info.param.name;
}

}  // namespace faultline::harness::testing
