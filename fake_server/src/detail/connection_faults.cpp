#include "detail/connection_faults.h"

#include "detail/log.h"

namespace faultline::fake_server::detail {

ConnectionFaults::ConnectionFaults(ServerContext& context,
                                   std::shared_ptr<const scenarios::Scenario> scenario,
                                   std::string listener, std::shared_ptr<ConnectionStats> stats,
                                   bool h2)
    : context_(context), listener_(std::move(listener)), stats_(std::move(stats)), h2_(h2) {
  ready_.fired.assign(scenario->faults.size(), 0);
  ready_.registry = &context_.faults;
  ready_.scenario = std::move(scenario);
  stream_ = ready_;
}

void ConnectionFaults::adopt() {
  if (adopted_) {
    return;
  }
  const std::shared_ptr<const Tenant> binding = stats_->binding();
  if (!binding) {
    return;
  }
  adopted_ = true;
  if (binding->ns) {
    stream_.registry = &binding->ns->faults();
  }
  if (binding->scenario && binding->scenario != stream_.scenario) {
    stream_.scenario = binding->scenario;
    stream_.fired.assign(stream_.scenario->faults.size(), 0);
    stream_.key = stream_.scenario->name;
  }
}

bool ConnectionFaults::take(Phase& phase, std::size_t index, std::vector<Firing>& out) {
  const scenarios::Fault& fault = phase.scenario->faults[index];
  if (fault.listener && *fault.listener != listener_) {
    return false;
  }
  if (!h2_ && !scenarios::has_h1_meaning(fault.action)) {
    return false;
  }
  if (fault.scope == scenarios::FaultScope::server) {
    const bool may = phase.key.empty()
                         ? phase.registry->take_server_firing(index, fault.times)
                         : phase.registry->take_server_firing(phase.key, index, fault.times);
    if (!may) {
      return false;
    }
  } else {
    if (fault.times && phase.fired[index] >= *fault.times) {
      return false;
    }
  }
  ++phase.fired[index];
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
  const auto& faults = ready_.scenario->faults;
  for (std::size_t i = 0; i < faults.size(); ++i) {
    if (std::holds_alternative<scenarios::ConnectTrigger>(faults[i].trigger)) {
      take(ready_, i, out);
    }
  }
  return out;
}

std::vector<std::pair<std::size_t, std::uint32_t>> ConnectionFaults::after_ms_faults() const {
  std::vector<std::pair<std::size_t, std::uint32_t>> out;
  const auto& faults = ready_.scenario->faults;
  for (std::size_t i = 0; i < faults.size(); ++i) {
    if (const auto* t = std::get_if<scenarios::AfterMsTrigger>(&faults[i].trigger)) {
      out.emplace_back(i, t->ms);
    }
  }
  return out;
}

std::vector<Firing> ConnectionFaults::on_after_ms(std::size_t index) {
  std::vector<Firing> out;
  take(ready_, index, out);
  return out;
}

std::vector<Firing> ConnectionFaults::on_stream_open(std::string_view method, std::string_view path,
                                                     std::string_view request_id,
                                                     std::uint64_t opened, std::uint64_t active) {
  adopt();
  std::vector<Firing> out;
  const auto& faults = stream_.scenario->faults;
  attempt_ = 1;
  if (faults.empty() && !scenarios::routes_match_attempts(*stream_.scenario)) {
    return out;
  }
  const std::uint32_t attempt = stream_.registry->next_attempt(request_id, path);
  attempt_ = attempt;
  for (std::size_t i = 0; i < faults.size(); ++i) {
    const scenarios::Trigger& trigger = faults[i].trigger;
    bool hit = false;
    if (const auto* t = std::get_if<scenarios::StreamsOpenedTrigger>(&trigger)) {
      hit = opened == t->count;
    } else if (const auto* t = std::get_if<scenarios::ActiveStreamsTrigger>(&trigger)) {
      hit = active == t->count;
    } else if (const auto* t = std::get_if<scenarios::IdleTrigger>(&trigger)) {
      // No other stream open, and none for t->ms before this one.
      hit = active == 1 &&
            std::chrono::steady_clock::now() - idle_since_ >= std::chrono::milliseconds(t->ms);
    } else if (const auto* t = std::get_if<scenarios::PathTrigger>(&trigger)) {
      hit =
          scenarios::attempt_matches(t->attempt, attempt) && path_trigger_matches(*t, method, path);
    }
    if (hit) {
      take(stream_, i, out);
    }
  }
  return out;
}

void ConnectionFaults::on_stream_closed(std::uint64_t still_open) {
  if (still_open == 0) {
    idle_since_ = std::chrono::steady_clock::now();
  }
}

std::vector<Firing> ConnectionFaults::on_client_rst() {
  adopt();
  std::vector<Firing> out;
  const auto& faults = stream_.scenario->faults;
  for (std::size_t i = 0; i < faults.size(); ++i) {
    if (std::holds_alternative<scenarios::ClientRstTrigger>(faults[i].trigger)) {
      take(stream_, i, out);
    }
  }
  return out;
}

}  // namespace faultline::fake_server::detail
