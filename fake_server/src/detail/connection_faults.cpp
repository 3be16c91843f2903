#include "detail/connection_faults.h"

#include "detail/log.h"

namespace faultline::fake_server::detail {

ConnectionFaults::ConnectionFaults(ServerContext& context,
                                   std::shared_ptr<const scenarios::Scenario> scenario,
                                   std::string listener, std::shared_ptr<ConnectionStats> stats,
                                   bool h2)
    : context_(context),
      scenario_(std::move(scenario)),
      listener_(std::move(listener)),
      stats_(std::move(stats)),
      h2_(h2),
      fired_(scenario_->faults.size(), 0) {}

bool ConnectionFaults::take(std::size_t index, std::vector<Firing>& out) {
  const scenarios::Fault& fault = scenario_->faults[index];
  if (fault.listener && *fault.listener != listener_) {
    return false;
  }
  if (!h2_ && !scenarios::has_h1_meaning(fault.action)) {
    return false;
  }
  if (fault.scope == scenarios::FaultScope::server) {
    if (!context_.faults.take_server_firing(index, fault.times)) {
      return false;
    }
  } else {
    if (fault.times && fired_[index] >= *fault.times) {
      return false;
    }
  }
  ++fired_[index];
  Firing firing{&fault, fault_key(fault, index)};
  stats_->count_fault(firing.key);
  FAULTLINE_LOG(debug, (LogTag{"fault", stats_->id()}),
                "fault " << firing.key << " fired: " << scenarios::trigger_name(fault.trigger)
                         << " -> " << scenarios::action_name(fault.action));
  out.push_back(std::move(firing));
  return true;
}

std::vector<Firing> ConnectionFaults::on_ready() {
  std::vector<Firing> out;
  for (std::size_t i = 0; i < scenario_->faults.size(); ++i) {
    if (std::holds_alternative<scenarios::ConnectTrigger>(scenario_->faults[i].trigger)) {
      take(i, out);
    }
  }
  return out;
}

std::vector<std::pair<std::size_t, std::uint32_t>> ConnectionFaults::after_ms_faults() const {
  std::vector<std::pair<std::size_t, std::uint32_t>> out;
  for (std::size_t i = 0; i < scenario_->faults.size(); ++i) {
    if (const auto* t = std::get_if<scenarios::AfterMsTrigger>(&scenario_->faults[i].trigger)) {
      out.emplace_back(i, t->ms);
    }
  }
  return out;
}

std::vector<Firing> ConnectionFaults::on_after_ms(std::size_t index) {
  std::vector<Firing> out;
  take(index, out);
  return out;
}

std::vector<Firing> ConnectionFaults::on_stream_open(std::string_view method, std::string_view path,
                                                     std::string_view request_id,
                                                     std::uint64_t opened, std::uint64_t active) {
  std::vector<Firing> out;
  if (scenario_->faults.empty()) {
    return out;
  }
  const std::uint32_t attempt = context_.faults.next_attempt(request_id, path);
  for (std::size_t i = 0; i < scenario_->faults.size(); ++i) {
    const scenarios::Trigger& trigger = scenario_->faults[i].trigger;
    bool hit = false;
    if (const auto* t = std::get_if<scenarios::StreamsOpenedTrigger>(&trigger)) {
      hit = opened == t->count;
    } else if (const auto* t = std::get_if<scenarios::ActiveStreamsTrigger>(&trigger)) {
      hit = active == t->count;
    } else if (const auto* t = std::get_if<scenarios::PathTrigger>(&trigger)) {
      hit =
          scenarios::attempt_matches(t->attempt, attempt) && path_trigger_matches(*t, method, path);
    }
    if (hit) {
      take(i, out);
    }
  }
  return out;
}

std::vector<Firing> ConnectionFaults::on_client_rst() {
  std::vector<Firing> out;
  for (std::size_t i = 0; i < scenario_->faults.size(); ++i) {
    if (std::holds_alternative<scenarios::ClientRstTrigger>(scenario_->faults[i].trigger)) {
      take(i, out);
    }
  }
  return out;
}

}  // namespace faultline::fake_server::detail
