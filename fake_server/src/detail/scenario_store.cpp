#include "detail/scenario_store.h"

#include <algorithm>

#include "detail/server_limits.h"
#include "faultline/scenarios/loader.h"

namespace faultline::fake_server::detail {

void ScenarioStore::remember(std::shared_ptr<const scenarios::Scenario> scenario) {
  const std::string& name = scenario->name;
  if (loaded_.find(name) == loaded_.end()) {
    loaded_order_.push_back(name);
    if (loaded_order_.size() > kMaxLoadedScenarios) {
      loaded_.erase(loaded_order_.front());
      loaded_order_.pop_front();
    }
  }
  loaded_[name] = std::move(scenario);
}

std::shared_ptr<const scenarios::Scenario> ScenarioStore::named(std::string_view name) const {
  const std::lock_guard lock(mutex_);
  if (current_->name == name) {
    return current_;
  }
  if (auto it = loaded_.find(name); it != loaded_.end()) {
    return it->second;
  }
  if (auto it = builtin_.find(name); it != builtin_.end()) {
    return it->second;
  }
  const std::vector<std::string> names = scenarios::builtin_scenario_names();
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    return nullptr;
  }
  auto parsed = std::make_shared<const scenarios::Scenario>(scenarios::load_builtin_scenario(name));
  builtin_.emplace(std::string(name), parsed);
  return parsed;
}

}  // namespace faultline::fake_server::detail
