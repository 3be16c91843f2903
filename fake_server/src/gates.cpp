#include "gates.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "json_text.h"

namespace faultline::fake_server::detail {

GateRegistry::Ticket GateRegistry::hold(std::string_view name, Waiter waiter) {
  std::vector<Waiter> waiters;
  Ticket ticket = 0;
  {
    const std::lock_guard lock(mutex_);
    auto it = gates_.find(name);
    if (it == gates_.end())
      it = gates_.emplace(std::string(name), Gate{}).first;
    ticket = next_ticket_++;
    Gate& gate = it->second;
    gate.held.push_back(Entry{ticket, std::move(waiter)});
    if (gate.config.release_when_held && gate.held.size() >= *gate.config.release_when_held)
      waiters = take(gate, std::nullopt);
  }
  for (Waiter& w : waiters)
    w();
  return ticket;
}

std::vector<GateRegistry::Waiter> GateRegistry::take(Gate& gate, std::optional<std::size_t> count) {
  const std::size_t held = gate.held.size();
  const std::size_t n = std::min(count.value_or(held), held);
  const std::vector<std::size_t> order = scenarios::release_order(gate.config, held);
  std::vector<Waiter> waiters;
  waiters.reserve(n);
  std::vector<bool> taken(held, false);
  for (std::size_t i = 0; i < n; ++i) {
    waiters.push_back(std::move(gate.held[order[i]].waiter));
    taken[order[i]] = true;
  }
  std::deque<Entry> rest;
  for (std::size_t i = 0; i < held; ++i) {
    if (!taken[i])
      rest.push_back(std::move(gate.held[i]));
  }
  gate.held = std::move(rest);
  gate.released += n;
  return waiters;
}

void GateRegistry::configure(
    const std::map<std::string, scenarios::GateConfig, std::less<>>& configs) {
  const std::lock_guard lock(mutex_);
  for (auto& [name, gate] : gates_)
    gate.config = scenarios::GateConfig{};
  for (const auto& [name, config] : configs) {
    auto it = gates_.find(name);
    if (it == gates_.end())
      it = gates_.emplace(name, Gate{}).first;
    it->second.config = config;
  }
}

bool GateRegistry::cancel(Ticket ticket) {
  const std::lock_guard lock(mutex_);
  for (auto& [name, gate] : gates_) {
    auto it = std::find_if(gate.held.begin(), gate.held.end(),
                           [ticket](const Entry& entry) { return entry.ticket == ticket; });
    if (it != gate.held.end()) {
      gate.held.erase(it);
      return true;
    }
  }
  return false;
}

std::size_t GateRegistry::release(std::string_view name, std::optional<std::size_t> count) {
  std::vector<Waiter> waiters;
  {
    const std::lock_guard lock(mutex_);
    auto it = gates_.find(name);
    if (it == gates_.end())
      return 0;
    waiters = take(it->second, count);
  }
  for (Waiter& waiter : waiters)
    waiter();
  return waiters.size();
}

void GateRegistry::declare(std::string_view name) {
  const std::lock_guard lock(mutex_);
  if (gates_.find(name) == gates_.end())
    gates_.emplace(std::string(name), Gate{});
}

std::string GateRegistry::json() const {
  nlohmann::json gates = nlohmann::json::object();
  const std::lock_guard lock(mutex_);
  for (const auto& [name, gate] : gates_) {
    gates[name] = {{"held", gate.held.size()}, {"released", gate.released}};
  }
  return to_json_text(nlohmann::json{{"gates", std::move(gates)}});
}

void GateRegistry::reset_counters() {
  const std::lock_guard lock(mutex_);
  for (auto& [name, gate] : gates_)
    gate.released = 0;
}

std::size_t GateRegistry::held(std::string_view name) const {
  const std::lock_guard lock(mutex_);
  auto it = gates_.find(name);
  return it == gates_.end() ? 0 : it->second.held.size();
}

}  // namespace faultline::fake_server::detail
