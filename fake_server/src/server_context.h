// State shared by every connection of one server: scenario, stats, gates, origins.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "faultline/scenarios/scenario.h"
#include "gates.h"
#include "scenario_store.h"
#include "server_limits.h"
#include "stats.h"

namespace faultline::fake_server::detail {

/** Listener name -> origin ("https://127.0.0.1:8443"), fixed once every socket is bound. */
using Origins = std::map<std::string, std::string, std::less<>>;

/** One listener's identity and its ALPN policy (which the admin API may change: new
    connections use the new policy). */
struct ListenerState {
  std::string name;
  bool tls = true;
  std::atomic<scenarios::AlpnPolicy> alpn{scenarios::AlpnPolicy::h2_h1};
  std::string origin;
};

/** The open connections, so that a stop can say goodbye to each. Thread safe. */
class LiveConnections {
 public:
  void add(std::uint64_t id, std::function<void()> stop) {
    const std::lock_guard lock(mutex_);
    stops_.emplace(id, std::move(stop));
  }
  void remove(std::uint64_t id) {
    const std::lock_guard lock(mutex_);
    stops_.erase(id);
  }
  [[nodiscard]] std::size_t size() const {
    const std::lock_guard lock(mutex_);
    return stops_.size();
  }
  /** Calls every stop function (outside the lock). */
  void stop_all() {
    std::vector<std::function<void()>> stops;
    {
      const std::lock_guard lock(mutex_);
      for (auto& [id, stop] : stops_)
        stops.push_back(stop);
    }
    for (auto& stop : stops)
      stop();
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::uint64_t, std::function<void()>> stops_;
};

/** Everything a connection needs from its server. Outlives every connection. */
struct ServerContext {
  explicit ServerContext(scenarios::Scenario scenario)
      : scenarios(std::move(scenario)), stats(kTimelineCapacity) {}

  ScenarioStore scenarios;
  StatsRegistry stats;
  GateRegistry gates;
  Origins origins;
  /** Fixed once bound (the objects themselves: only alpn changes). */
  std::vector<std::unique_ptr<ListenerState>> listeners;
  LiveConnections live;
};

}  // namespace faultline::fake_server::detail
