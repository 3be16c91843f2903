// The active scenario, swapped atomically by the admin API while connections read it.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "faultline/scenarios/scenario.h"

namespace faultline::fake_server::detail {

/** Holds the active scenario, and the scenarios a request may name (docs/admin-api.md,
    "Namespaces"). Readers take a shared snapshot that stays valid while they use it (a
    request keeps the scenario it matched against). Thread safe. */
class ScenarioStore {
 public:
  explicit ScenarioStore(scenarios::Scenario scenario)
      : current_(std::make_shared<const scenarios::Scenario>(std::move(scenario))) {
    remember(current_);
  }

  [[nodiscard]] std::shared_ptr<const scenarios::Scenario> current() const {
    const std::lock_guard lock(mutex_);
    return current_;
  }
  /** Bumped by every replace(): a reader compares it to refresh a cached snapshot. */
  [[nodiscard]] std::uint64_t generation() const noexcept {
    return generation_.load(std::memory_order_acquire);
  }
  void replace(scenarios::Scenario scenario) {
    auto next = std::make_shared<const scenarios::Scenario>(std::move(scenario));
    const std::lock_guard lock(mutex_);
    current_ = next;
    remember(std::move(next));
    generation_.fetch_add(1, std::memory_order_release);
  }

  /** The scenario a request names: the active one; else the last one loaded under that
      name (the start-up scenario and every replace(), the newest kMaxLoadedScenarios
      names); else the built-in one (parsed once). nullptr when there is none. */
  [[nodiscard]] std::shared_ptr<const scenarios::Scenario> named(std::string_view name) const;

 private:
  void remember(std::shared_ptr<const scenarios::Scenario> scenario);  // lock held

  mutable std::mutex mutex_;
  std::shared_ptr<const scenarios::Scenario> current_;
  std::atomic<std::uint64_t> generation_{0};
  /** Loaded scenarios by name, and their names oldest first (the bound). */
  std::map<std::string, std::shared_ptr<const scenarios::Scenario>, std::less<>> loaded_;
  std::deque<std::string> loaded_order_;
  /** Built-in scenarios parsed so far. */
  mutable std::map<std::string, std::shared_ptr<const scenarios::Scenario>, std::less<>> builtin_;
};

/** A per-connection cache of the store's snapshot: one atomic load per request. */
class ScenarioView {
 public:
  explicit ScenarioView(const ScenarioStore& store)
      : store_(store), generation_(store.generation()), snapshot_(store.current()) {}

  [[nodiscard]] const std::shared_ptr<const scenarios::Scenario>& get() {
    const std::uint64_t now = store_.generation();
    if (now != generation_) {
      generation_ = now;
      snapshot_ = store_.current();
    }
    return snapshot_;
  }

 private:
  const ScenarioStore& store_;
  std::uint64_t generation_;
  std::shared_ptr<const scenarios::Scenario> snapshot_;
};

}  // namespace faultline::fake_server::detail
