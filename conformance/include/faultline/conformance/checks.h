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

/** A driver the checks run against: how to make one for a server's CA. */
struct DriverSpec {
  std::string name;     ///< "h2", "h1", "curl", "undici"
  bool gating = false;  ///< a failure fails the run
  bool h2 = true;       ///< offers HTTP/2 (ALPN checks apply)
  /** Idle timeout the driver closes idle connections after; nullopt = not configurable. */
  std::optional<std::chrono::milliseconds> idle_timeout;
  /** Why there is no idle timeout to check, when known (a skip reason). */
  std::string no_idle_timer = "driver declares no idle timeout";
  std::function<std::unique_ptr<harness::Driver>(const std::filesystem::path& ca)> make;
  /** Why this driver cannot run here (missing Node modules, ...); nullopt = available. */
  std::optional<std::string> unavailable;
};

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
};

/** The whole catalogue, in the order of docs/checks.md. */
[[nodiscard]] const std::vector<CheckInfo>& catalogue();
/** The check named `id`; nullptr if none. */
[[nodiscard]] const CheckInfo* find_check(std::string_view id);
/** Runs one check against one driver; never throws (an exception becomes a failure),
    and measures its duration. */
[[nodiscard]] Verdict run_check(const CheckInfo& check, const DriverSpec& driver);

/** gtest's printer for a driver parameter: its name. */
void PrintTo(const DriverSpec& driver, std::ostream* out);

/** "POOL-REUSE" -> "POOL_REUSE" (gtest names). */
[[nodiscard]] std::string test_name(std::string_view id);

}  // namespace faultline::conformance
