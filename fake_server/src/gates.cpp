#include "gates.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace faultline::fake_server::detail {

GateRegistry::Ticket GateRegistry::hold(std::string_view name, Waiter waiter) {
  const std::lock_guard lock(mutex_);
  auto it = gates_.find(name);
  if (it == gates_.end())
    it = gates_.emplace(std::string(name), Gate{}).first;
  const Ticket ticket = next_ticket_++;
  it->second.held.push_back(Entry{ticket, std::move(waiter)});
  return ticket;
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
    Gate& gate = it->second;
    const std::size_t n = std::min(count.value_or(gate.held.size()), gate.held.size());
    waiters.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      waiters.push_back(std::move(gate.held.front().waiter));
      gate.held.pop_front();
    }
    gate.released += n;
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
  return nlohmann::json{{"gates", std::move(gates)}}.dump();
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
