// State shared by every connection of one server: scenario, stats, gates, origins.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "detail/fault_registry.h"
#include "detail/gates.h"
#include "detail/namespaces.h"
#include "detail/scenario_store.h"
#include "detail/server_limits.h"
#include "detail/stats.h"
#include "faultline/fake_server/server.h"
#include "faultline/scenarios/scenario.h"

namespace faultline::fake_server::detail {

/** Listener name -> origin ("https://127.0.0.1:8443"), fixed once every socket is bound. */
using Origins = std::map<std::string, std::string, std::less<>>;

/** One listener's identity and its ALPN policy (which the admin API may change: new
    connections use the new policy). */
struct ListenerState {
  std::string name;
  bool tls = true;
  std::atomic<scenarios::AlpnPolicy> alpn{scenarios::AlpnPolicy::h2_h1};
  std::atomic<std::uint32_t> handshake_delay_ms{0};  ///< before the TLS handshake
  std::string origin;
};

/** An action the admin API applies to a connection (on its strand): from a fault with
    an admin trigger (`key` is its faults_fired name) or POST /v1/actions (empty key). */
struct AdminAction {
  scenarios::Action action;
  std::string key;
};

/** Applies an admin action to one connection, from any thread. */
using ActFunction = std::function<void(std::shared_ptr<const AdminAction>)>;

/** The open connections, so that a stop can say goodbye to each and the admin API can
    act on them. Thread safe. */
class LiveConnections {
 public:
  void add(std::uint64_t id, std::function<void()> stop, std::string listener = {},
           ActFunction act = {}) {
    const std::lock_guard lock(mutex_);
    stops_.emplace(id, std::move(stop));
    if (act) {
      acts_.emplace(id, Act{std::move(listener), std::move(act)});
    }
  }
  /** Applies `action` to the open connections on `listener` (every one when unset) or to
      connection `only`, those for which `keep` (when set) is true; returns how many it
      was handed to. `keep` runs under this object's lock: it must not call back here. */
  std::size_t act(const std::shared_ptr<const AdminAction>& action,
                  const std::optional<std::string>& listener,
                  std::optional<std::uint64_t> only = std::nullopt,
                  const std::function<bool(std::uint64_t)>& keep = {}) {
    std::vector<ActFunction> targets;
    {
      const std::lock_guard lock(mutex_);
      for (const auto& [id, entry] : acts_) {
        if ((only && id != *only) || (listener && entry.listener != *listener)) {
          continue;
        }
        if (keep && !keep(id)) {
          continue;
        }
        targets.push_back(entry.act);
      }
    }
    for (auto& target : targets) {
      target(action);
    }
    return targets.size();
  }
  [[nodiscard]] bool contains(std::uint64_t id) const {
    const std::lock_guard lock(mutex_);
    return stops_.count(id) != 0;
  }
  void remove(std::uint64_t id) {
    const std::lock_guard lock(mutex_);
    stops_.erase(id);
    acts_.erase(id);
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
      for (auto& [id, stop] : stops_) {
        stops.push_back(stop);
      }
    }
    for (auto& stop : stops) {
      stop();
    }
  }

 private:
  mutable std::mutex mutex_;
  struct Act {
    std::string listener;
    ActFunction act;
  };
  std::map<std::uint64_t, std::function<void()>> stops_;
  std::map<std::uint64_t, Act> acts_;
};

/** Bounds over the whole server (Options, the CLI; docs/reliability.md). 0: none. */
struct ServerCaps {
  std::size_t max_connections = kDefaultMaxConnections;
  std::size_t max_held_streams = kDefaultMaxHeldStreams;
};

/** Everything a connection needs from its server. Outlives every connection. */
struct ServerContext {
  explicit ServerContext(scenarios::Scenario scenario)
      : scenarios(std::move(scenario)), stats(kTimelineCapacity) {}

  ScenarioStore scenarios;
  StatsRegistry stats;
  GateRegistry gates;    ///< the default namespace's
  FaultRegistry faults;  ///< the default namespace's (and the storm, server-wide)
  NamespaceRegistry namespaces;
  Origins origins;
  /** Fixed once bound (the objects themselves: only alpn changes). */
  std::vector<std::unique_ptr<ListenerState>> listeners;
  LiveConnections live;
  ServerCaps caps;  ///< set before the listeners start

  /** Whether one more stream may be held at a gate by a connection that holds
      `held_here` already (per connection: the scenario's limits.max_held_streams). When
      not, the guard is counted on `stats`. The server's cap counts every namespace. */
  [[nodiscard]] bool may_hold(std::size_t held_here, ConnectionStats& connection) {
    const std::uint32_t per_connection = scenarios.current()->limits.max_held_streams;
    if (per_connection != 0 && held_here >= per_connection) {
      connection.count_guard("held_streams_per_connection");
      return false;
    }
    if (caps.max_held_streams != 0 &&
        gates.held_total() + namespaces.held_total() >= caps.max_held_streams) {
      connection.count_guard("held_streams_per_server");
      return false;
    }
    return true;
  }
};

}  // namespace faultline::fake_server::detail

namespace faultline::fake_server::detail {

/** The gates a request of `tenant` holds at (its namespace's, else the default ones). */
[[nodiscard]] inline GateRegistry& gates_of(ServerContext& context, const Tenant& tenant) {
  return tenant.ns ? tenant.ns->gates() : context.gates;
}

/** Parks a stream of `tenant` at gate `name`. A named namespace's gate, or one of a
    scenario the request named, takes its release settings from `scenario` (the one the
    request matched); the default gates are configured when a scenario is loaded. */
[[nodiscard]] inline GateRegistry::Ticket hold_at_gate(ServerContext& context, const Tenant& tenant,
                                                       const scenarios::Scenario& scenario,
                                                       std::string_view name,
                                                       GateRegistry::Waiter waiter) {
  static const scenarios::GateConfig kDefaults{};
  const scenarios::GateConfig* config = nullptr;
  if (tenant.ns || tenant.scenario) {
    auto it = scenario.gates.find(name);
    config = it != scenario.gates.end() ? &it->second : &kDefaults;
  }
  return gates_of(context, tenant).hold(name, std::move(waiter), config);
}

}  // namespace faultline::fake_server::detail
