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

/** A bundled driver of the registry by name, as these tests run it. */
inline DriverKind registered_kind(const RegisteredDriver& driver) {
  const std::string& name = driver.name;
  std::string test_name = name;
  std::replace(test_name.begin(), test_name.end(), '-', '_');
  // Node's bundled undici 6 multiplexes h2 streams only with pipelining above 1, and then
  // crashes now and then under concurrent load (assert(!this.completed) in
  // Request.onHeaders; docs/drivers.md): these tests are about the driver, so they run it
  // one stream per connection. The conformance column runs it multiplexed.
  std::vector<std::string> args;
  if (name == "node-fetch") {
    { args = {"--pipelining", "1"}; }
  }
  DriverKind kind{test_name, [&driver, args](const std::filesystem::path& ca) {
                    return driver.make(ca, args);
                  }};
  // Node's http2 module: one session per origin, h2 only, no redirect following.
  kind.follows_redirects = name != "node-http2";
  kind.speaks_h1 = name != "node-http2";
  // The JDK's HttpClient returns the last 3xx once it has followed its limit of
  // redirects (jdk.httpclient.redirects.retrylimit) instead of failing (docs/drivers.md).
  kind.redirect_limit_fails = name != "java";
  // The JDK's HttpClient and OkHttp 3 connect once per request of a burst on a cold pool.
  kind.bounded_cold_burst = name != "java" && name != "okhttp";
  return kind;
}

/** Every bundled driver, built or not: one that is missing fails its tests. */
inline std::vector<DriverKind> driver_kinds() {
  std::vector<DriverKind> kinds;
  for (const auto& driver : driver_registry()) {
    { kinds.push_back(registered_kind(driver)); }
  }
  return kinds;
}

inline std::string driver_kind_name(const ::testing::TestParamInfo<DriverKind>& info) {
  return info.param.name;
}

}  // namespace faultline::harness::testing
