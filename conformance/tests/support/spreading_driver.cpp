#include "spreading_driver.h"

#include <chrono>

namespace faultline::conformance::testing {

using namespace std::chrono_literals;

SpreadingDriver::SpreadingDriver(TransportDriverOptions base, int lanes) {
  base.max_sessions = 1;
  for (int i = 0; i < lanes; ++i) {
    lanes_.push_back(std::make_unique<TransportDriver>(base));
  }
  info_ = lanes_.front()->hello();
  info_.name = "spreading";
  info_.max_sessions = lanes;
}

std::shared_ptr<harness::Exchange> SpreadingDriver::send(harness::Request request) {
  if (request.id == 0) {
    request.id = next_id_++;
  }
  std::size_t lane = 0;
  {
    std::lock_guard lock(mutex_);
    lane = lane_of_.size() % lanes_.size();
    lane_of_[request.id] = lane;
  }
  return lanes_[lane]->send(std::move(request));
}

void SpreadingDriver::abort(std::uint64_t id) {
  std::size_t lane = 0;
  {
    std::lock_guard lock(mutex_);
    auto it = lane_of_.find(id);
    if (it == lane_of_.end()) {
      return;
    }
    lane = it->second;
  }
  lanes_[lane]->abort(id);
}

harness::StatsResult SpreadingDriver::stats(harness::Deadline) {
  return {false, {}, "the spreading driver keeps no counters"};
}

std::string SpreadingDriver::diagnostics() const {
  return "spreading driver over " + std::to_string(lanes_.size()) + " one-session transports";
}

DriverSpec spreading_driver_spec(int lanes, transport::testing::Defects defects) {
  DriverSpec spec;
  spec.name = "spreading";
  spec.h2 = true;
  spec.idle_timeout = 500ms;
  spec.make = [lanes, defects](const std::filesystem::path& ca) {
    TransportDriverOptions o;
    o.ca_file = ca;
    o.max_streams = 16;
    o.idle_timeout = 500ms;
    o.defects = defects;
    return std::unique_ptr<harness::Driver>(std::make_unique<SpreadingDriver>(o, lanes));
  };
  return spec;
}

}  // namespace faultline::conformance::testing
