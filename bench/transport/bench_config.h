// What faultline-bench-transport's modes share: the run's configuration and one run's
// figures. The comparison lives in transport_bench.cpp, the failure paths in
// failure_modes.cpp.
#pragma once

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

namespace faultline::bench {

using Clock = std::chrono::steady_clock;

struct Config {
  std::string mode = "compare";  ///< "compare", "abort" or "reset"
  int requests = 2000;
  int delay_ms = 20;
  int sessions = 4;
  int streams = 100;
  int runs = 5;
  int queued = 0;  ///< 0: the mode's default
  int hold_ms = 30'000;
  std::string url;
  std::string cacert;
  std::string server;
  std::string only;  ///< empty: every client; else "transport", "curl" or "h2load"
};

struct RunResult {
  double wall_ms = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  int ok = 0;
  long connections = -1;
};

inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) {
    return 0;
  }
  std::sort(v.begin(), v.end());
  const auto index = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(index, v.size() - 1)];
}

inline double ms_since(Clock::time_point start, Clock::time_point at) {
  return std::chrono::duration<double, std::milli>(at - start).count();
}

inline RunResult median_of(const std::vector<RunResult>& runs) {
  auto sorted = runs;
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.wall_ms < b.wall_ms; });
  return sorted[sorted.size() / 2];
}

}  // namespace faultline::bench
