// What the flow checks (checks_flow.cpp) and DRAIN-GOAWAY-UPLOAD share: the bytes a
// random_bytes body holds, byte-exact judgements of uploads and downloads, and the
// server's per-stream flow counters.
#pragma once

#include <cstdint>
#include <string>

#include "check_run.h"

namespace faultline::conformance::detail {

/** The random_bytes stream of `seed` (docs/scenarios.md, "Random bytes"). */
std::string random_stream(std::size_t n, std::uint64_t seed);
/** The request ended 200 with the echo route's description of exactly `body`. */
void require_echoed(const harness::WaitResult& r, const std::string& body, const std::string& what);
/** The request ended 200 with exactly `expected`. */
void require_body(const harness::WaitResult& r, const std::string& expected,
                  const std::string& what);
/** The first stream on any connection whose `field` in the flow counters is above 0,
    with its counters (null when none); its id goes to `stream`, its connection to `conn`. */
nlohmann::json find_flow(const nlohmann::json& stats, const std::string& field, long& conn,
                         std::string& stream);

/** Waits up to kWait for the scenario's fault `name` to fire; "fault did not fire" else. */
void wait_fired(CheckRun& run, const std::string& name, const std::string& what);

}  // namespace faultline::conformance::detail
