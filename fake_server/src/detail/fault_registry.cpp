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

namespace {

/** One more firing of the count at `key`, unless `times` were taken (lock held). */
template <class Map, class Key>
bool take_one(Map& fired, const Key& key, std::optional<std::uint32_t> times) {
  std::uint64_t& count = fired[key];
  if (times && count >= *times) {
    return false;
  }
  ++count;
  return true;
}

}  // namespace

bool FaultRegistry::take_server_firing(std::size_t index, std::optional<std::uint32_t> times) {
  const std::lock_guard lock(mutex_);
  return take_one(server_fired_, index, times);
}

bool FaultRegistry::take_server_firing(std::string_view scenario, std::size_t index,
                                       std::optional<std::uint32_t> times) {
  const std::string key = std::string(scenario) + "#" + std::to_string(index);
  const std::lock_guard lock(mutex_);
  return take_one(named_fired_, key, times);
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
  named_fired_.clear();
  attempts_.clear();
  storm_.reset();
  storm_listener_.reset();
  storm_until_.reset();
}

}  // namespace faultline::fake_server::detail
