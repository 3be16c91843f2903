#include "detail/gates.h"

#include <algorithm>
#include <iterator>

#include <nlohmann/json.hpp>

#include "detail/json_text.h"

namespace faultline::fake_server::detail {

GateRegistry::Ticket GateRegistry::hold(std::string_view name, Waiter waiter,
                                        const scenarios::GateConfig* config) {
  std::vector<Waiter> waiters;
  Ticket ticket = 0;
  {
    const std::lock_guard lock(mutex_);
    auto it = gates_.find(name);
    if (it == gates_.end()) {
      it = gates_.emplace(std::string(name), Gate{}).first;
    }
    ticket = next_ticket_++;
    Gate& gate = it->second;
    if (config != nullptr) {
      gate.config = *config;
    }
    gate.held.emplace_hint(gate.held.end(), ticket, std::move(waiter));
    index_.emplace(ticket, &gate);
    if (gate.config.release_when_held && gate.held.size() >= *gate.config.release_when_held) {
      waiters = take(gate, std::nullopt);
    }
  }
  for (Waiter& w : waiters) {
    w();
  }
  return ticket;
}

GateRegistry::Waiter GateRegistry::remove(Gate& gate, std::map<Ticket, Waiter>::iterator entry) {
  ++visited_;
  Waiter waiter = std::move(entry->second);
  index_.erase(entry->first);
  gate.held.erase(entry);
  return waiter;
}

std::vector<GateRegistry::Waiter> GateRegistry::take(Gate& gate, std::optional<std::size_t> count) {
  const std::size_t held = gate.held.size();
  const std::size_t n = std::min(count.value_or(held), held);
  std::vector<Waiter> waiters;
  waiters.reserve(n);
  switch (gate.config.order) {
    case scenarios::GateOrder::arrival:
      while (waiters.size() < n) {
        waiters.push_back(remove(gate, gate.held.begin()));
      }
      break;
    case scenarios::GateOrder::reverse:
      while (waiters.size() < n) {
        waiters.push_back(remove(gate, std::prev(gate.held.end())));
      }
      break;
    case scenarios::GateOrder::random: {
      // The shuffle is defined over every held stream (release_order): O(held).
      std::vector<std::map<Ticket, Waiter>::iterator> entries;
      entries.reserve(held);
      for (auto it = gate.held.begin(); it != gate.held.end(); ++it) {
        entries.push_back(it);
      }
      visited_ += held;
      const std::vector<std::size_t> order = scenarios::release_order(gate.config, held);
      for (std::size_t i = 0; i < n; ++i) {
        waiters.push_back(remove(gate, entries[order[i]]));
      }
      break;
    }
  }
  gate.released += n;
  return waiters;
}

void GateRegistry::configure(
    const std::map<std::string, scenarios::GateConfig, std::less<>>& configs) {
  const std::lock_guard lock(mutex_);
  for (auto& [name, gate] : gates_) {
    gate.config = scenarios::GateConfig{};
  }
  for (const auto& [name, config] : configs) {
    auto it = gates_.find(name);
    if (it == gates_.end()) {
      it = gates_.emplace(name, Gate{}).first;
    }
    it->second.config = config;
  }
}

bool GateRegistry::cancel(Ticket ticket) {
  const std::lock_guard lock(mutex_);
  const auto where = index_.find(ticket);
  if (where == index_.end()) {
    return false;
  }
  Gate& gate = *where->second;
  remove(gate, gate.held.find(ticket));
  return true;
}

std::size_t GateRegistry::release(std::string_view name, std::optional<std::size_t> count) {
  std::vector<Waiter> waiters;
  {
    const std::lock_guard lock(mutex_);
    auto it = gates_.find(name);
    if (it == gates_.end()) {
      return 0;
    }
    waiters = take(it->second, count);
  }
  for (Waiter& waiter : waiters) {
    waiter();
  }
  return waiters.size();
}

void GateRegistry::declare(std::string_view name) {
  const std::lock_guard lock(mutex_);
  if (gates_.find(name) == gates_.end()) {
    gates_.emplace(std::string(name), Gate{});
  }
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
  for (auto& [name, gate] : gates_) {
    gate.released = 0;
  }
}

std::size_t GateRegistry::held(std::string_view name) const {
  const std::lock_guard lock(mutex_);
  auto it = gates_.find(name);
  return it == gates_.end() ? 0 : it->second.held.size();
}

std::size_t GateRegistry::held_total() const {
  const std::lock_guard lock(mutex_);
  return index_.size();
}

std::uint64_t GateRegistry::entries_visited() const {
  const std::lock_guard lock(mutex_);
  return visited_;
}

}  // namespace faultline::fake_server::detail
