#include "detail/fault_registry.h"

#include "faultline/scenarios/loader.h"

namespace faultline::fake_server::detail {

std::string fault_key(const scenarios::Fault& fault, std::size_t index) {
  return fault.name.empty() ? std::to_string(index) : fault.name;
}

bool path_trigger_matches(const scenarios::PathTrigger& trigger, std::string_view method,
                          std::string_view path) {
  if (trigger.method && *trigger.method != method) {
    return false;
  }
  // The loader's own pattern matcher, through a one-route scenario.
  scenarios::Scenario probe;
  scenarios::Route route;
  route.match.path = trigger.path;
  probe.routes.push_back(std::move(route));
  scenarios::Captures captures;
  return scenarios::find_route(probe, "", method, path, captures) != nullptr;
}

bool FaultRegistry::take_server_firing(std::size_t index, std::optional<std::uint32_t> times) {
  const std::lock_guard lock(mutex_);
  std::uint64_t& count = server_fired_[index];
  if (times && count >= *times) {
    return false;
  }
  ++count;
  return true;
}

std::uint32_t FaultRegistry::next_attempt(std::string_view request_id, std::string_view path) {
  std::string key =
      request_id.empty() ? "path:" + std::string(path) : "id:" + std::string(request_id);
  const std::lock_guard lock(mutex_);
  return ++attempts_[key];
}

void FaultRegistry::start_storm(const scenarios::StormAction& storm,
                                std::optional<std::string> listener) {
  const std::lock_guard lock(mutex_);
  storm_ = storm;
  storm_listener_ = std::move(listener);
  storm_until_.reset();
  if (storm.duration_ms) {
    storm_until_ = Clock::now() + std::chrono::milliseconds(*storm.duration_ms);
  }
}

std::optional<scenarios::StormAction> FaultRegistry::storm_for(std::string_view listener) const {
  const std::lock_guard lock(mutex_);
  if (!storm_ || (storm_until_ && Clock::now() >= *storm_until_)) {
    return std::nullopt;
  }
  if (storm_listener_ && *storm_listener_ != listener) {
    return std::nullopt;
  }
  return storm_;
}

void FaultRegistry::reset() {
  const std::lock_guard lock(mutex_);
  server_fired_.clear();
  attempts_.clear();
  storm_.reset();
  storm_listener_.reset();
  storm_until_.reset();
}

}  // namespace faultline::fake_server::detail
