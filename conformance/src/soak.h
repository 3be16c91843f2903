// The chaos soak: many requests through one driver while the fake server injects a
// seeded random mix of faults at random moments, then the books are checked (every
// request settled by its deadline, no non-idempotent request served twice, nothing
// leaked, memory flat). docs/reliability.md, "Chaos soak".
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "faultline/conformance/checks.h"

namespace faultline::conformance {

/** What one soak run does. The plan (which request, which fault, when) follows from
    `seed` and `requests` alone, so a seed replays the same run. */
struct SoakOptions {
  std::uint64_t requests = 100'000;
  std::uint64_t seed = 1;
  std::uint32_t concurrency = 64;  ///< requests in flight at once
  /** The run stops starting requests after this long (the ones in flight settle). */
  std::chrono::seconds max_duration{1800};
};

/** What a run saw and what it found wrong. */
struct SoakResult {
  std::string driver;
  std::uint64_t seed = 0;
  std::uint64_t planned = 0;
  std::uint64_t started = 0;
  std::uint64_t succeeded = 0;
  std::uint64_t failed = 0;   ///< ended with an error event (the faults cause many)
  std::uint64_t hung = 0;     ///< not settled by its deadline plus kSoakHangGrace
  std::uint64_t aborted = 0;  ///< the plan aborted them
  std::uint64_t faults_fired = 0;
  bool time_bound_hit = false;
  double seconds = 0;
  std::map<std::string, std::map<std::string, std::uint64_t>> by_kind;  ///< kind -> outcome -> n
  /** The first error message seen per "kind outcome" (what the failures were). */
  std::map<std::string, std::string> examples;
  std::map<std::string, std::uint64_t> faults_by_action;
  /** Counts before and after (descriptors, server connections, held streams, RSS...). */
  nlohmann::json books = nlohmann::json::object();
  std::vector<std::string> violations;  ///< empty: the run passed

  [[nodiscard]] bool passed() const noexcept { return violations.empty(); }
  [[nodiscard]] nlohmann::json to_json() const;
};

/** Runs one soak against a fresh faultline-server (found as ServerProcess finds it) and
    a driver made by `driver`. Progress lines go to `log`. Never throws: a setup failure
    is a violation. */
[[nodiscard]] SoakResult run_soak(const SoakOptions& options, const DriverSpec& driver,
                                  std::ostream& log);

}  // namespace faultline::conformance
