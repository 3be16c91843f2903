// The conformance check catalogue: every check as a function returning a verdict, so
// that the gtest suite, the proof tests and faultline-conformance run the same code.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "faultline/harness/driver.h"
#include "faultline/transport/testing/defects.h"

namespace faultline::conformance {

/** What a check concluded. */
enum class Outcome { pass, fail, skip };

[[nodiscard]] std::string_view to_string(Outcome outcome) noexcept;

/** What a check may need from a driver. A check skips only when the driver declares
    that it lacks one its catalogue entry lists (CheckInfo::needs); in every other case
    it runs, and a fault that did not fire is a failure ("fault did not fire: ..."). */
enum class Capability {
  installed,   ///< the driver can run here (its program and modules are present)
  h2,          ///< it offers HTTP/2 (hello "h2")
  idle_timer,  ///< it closes idle connections by a timer (capabilities.idle_timeout_ms > 0)
  trailers,    ///< it reports trailer fields (capabilities.trailers; false = declared missing)
  receive_backpressure,  ///< it can pause a response body (capabilities.receive_backpressure)
};

[[nodiscard]] std::string_view to_string(Capability capability) noexcept;

/** A check's verdict: the outcome, one line saying why, and the evidence (the server's
    counters, the timelines of the connections involved, the driver's own counters). */
struct Verdict {
  Outcome outcome = Outcome::fail;
  std::string summary;
  nlohmann::json evidence = nlohmann::json::object();
  double seconds = 0;

  [[nodiscard]] bool passed() const noexcept { return outcome == Outcome::pass; }
  [[nodiscard]] bool failed() const noexcept { return outcome == Outcome::fail; }
  /** The summary followed by the evidence, for a failure message. */
  [[nodiscard]] std::string message() const;
};

/** A driver the checks run against: how to make one for a server's CA, and what it
    declares before it starts. A driver started later adds what its hello declares
    (harness::DriverInfo::h2 and capabilities); nullopt here = "known from the hello". */
struct DriverSpec {
  std::string name;     ///< "h2", "h1", "curl", "undici"
  bool gating = false;  ///< a failure fails the run
  /** Offers HTTP/2; nullopt = as its hello says. */
  std::optional<bool> h2;
  /** Idle timeout it closes idle connections after, 0 = it has no idle timer;
      nullopt = as its hello says (capabilities.idle_timeout_ms), or not declared. */
  std::optional<std::chrono::milliseconds> idle_timeout;
  /** Reports trailer fields on its end events; nullopt = as its hello says. */
  std::optional<bool> trailers;
  /** Why it has no idle timer, when known (added to the skip reason). */
  std::string no_idle_timer;
  std::function<std::unique_ptr<harness::Driver>(const std::filesystem::path& ca)> make;
  /** Why this driver cannot run here (missing Node modules, ...); nullopt = available. */
  std::optional<std::string> unavailable;
};

/** Why `driver` declares that it lacks `capability` (from the spec, else from `hello`
    when given); nullopt when it does not declare so. */
[[nodiscard]] std::optional<std::string> declared_missing(Capability capability,
                                                          const DriverSpec& driver,
                                                          const harness::DriverInfo* hello);

/** Our transport, h2 (ALPN h2,http/1.1) or forced to HTTP/1.1, with optional defects. */
[[nodiscard]] DriverSpec transport_driver_spec(bool force_http1,
                                               transport::testing::Defects defects = {});
/** Every bundled driver: h2, h1 (gating), curl, undici, node-http2, and the drivers over
    other languages' clients (go, python-httpx, java, okhttp, node-fetch; docs/drivers.md). */
[[nodiscard]] std::vector<DriverSpec> bundled_drivers();

/** One check of the catalogue. */
struct CheckInfo {
  std::string id;       ///< "POOL-REUSE"
  std::string group;    ///< "pool", "abort", "alpn", ...
  std::string asserts;  ///< one line: what a conforming transport does
  std::function<Verdict(const DriverSpec&)> run;
  /** The capabilities it may skip for (Capability::installed is implied). The only
      skips there are: run_check turns any other skip into a failure. */
  std::vector<Capability> needs;
};

/** The whole catalogue, in the order of docs/checks.md. */
[[nodiscard]] const std::vector<CheckInfo>& catalogue();
/** The check named `id`; nullptr if none. */
[[nodiscard]] const CheckInfo* find_check(std::string_view id);
/** Runs one check against one driver; never throws (an exception becomes a failure),
    and measures its duration. It skips, naming the capability, when the driver declares
    that it lacks one the check needs - before anything starts when the spec says so,
    after the driver's hello otherwise. A skip for anything else fails as a suite
    defect. */
[[nodiscard]] Verdict run_check(const CheckInfo& check, const DriverSpec& driver);

/** gtest's printer for a driver parameter: its name. */
void PrintTo(const DriverSpec& driver, std::ostream* out);

/** "POOL-REUSE" -> "POOL_REUSE" (gtest names). */
[[nodiscard]] std::string test_name(std::string_view id);

}  // namespace faultline::conformance
