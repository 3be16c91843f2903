// Server-wide fault state: how often each fault fired (scope server), attempt numbers
// per request id or path, the GOAWAY storm, and the faults_fired counters. Connections
// call it from their strands, the admin API from its thread: everything is locked.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "faultline/scenarios/scenario.h"

namespace faultline::fake_server::detail {

/** The name a fault is counted under in stats: its name, else its index. */
[[nodiscard]] std::string fault_key(const scenarios::Fault& fault, std::size_t index);

/** Whether a path trigger's pattern and method accept a request (query excluded). */
[[nodiscard]] bool path_trigger_matches(const scenarios::PathTrigger& trigger,
                                        std::string_view method, std::string_view path);

/** Thread safe. */
class FaultRegistry {
 public:
  using Clock = std::chrono::steady_clock;

  /** Whether a server-scope fault may fire once more; counts the firing when it may. */
  bool take_server_firing(std::size_t index, std::optional<std::uint32_t> times);
  /** The same for fault `index` of the scenario named `scenario` (one a request chose:
      a namespace may use several). */
  bool take_server_firing(std::string_view scenario, std::size_t index,
                          std::optional<std::uint32_t> times);
  /** The attempt number of a request that just opened (1 for the first), counted by
      request id, or by path when untagged. */
  std::uint32_t next_attempt(std::string_view request_id, std::string_view path);

  /** A storm: connections accepted until `until` (nullopt: until reset) get its GOAWAY. */
  void start_storm(const scenarios::StormAction& storm, std::optional<std::string> listener);
  /** The running storm for a new connection on `listener`, if any. */
  [[nodiscard]] std::optional<scenarios::StormAction> storm_for(std::string_view listener) const;

  /** POST /v1/reset and scenario replacement: counts, attempts, storm. */
  void reset();

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::size_t, std::uint64_t> server_fired_;
  std::unordered_map<std::string, std::uint64_t> named_fired_;  ///< "scenario#index"
  std::unordered_map<std::string, std::uint32_t> attempts_;
  std::optional<scenarios::StormAction> storm_;
  std::optional<std::string> storm_listener_;
  std::optional<Clock::time_point> storm_until_;
};

}  // namespace faultline::fake_server::detail
