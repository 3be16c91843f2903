// Named gates that hold response streams until the admin API releases them (or they
// fill up to release_when_held), in each gate's configured order. Thread safe: streams park from
// their connection strands, the admin releases from its own thread.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "faultline/scenarios/faults.h"

namespace faultline::fake_server::detail {

/** The registry of gates. A waiter is a callable that resumes its stream; it must be
    safe to call from any thread (it posts to the stream's connection). */
class GateRegistry {
 public:
  using Waiter = std::function<void()>;
  using Ticket = std::uint64_t;

  /** Parks a stream at gate `name`; the ticket cancels it. */
  [[nodiscard]] Ticket hold(std::string_view name, Waiter waiter);
  /** Removes a parked stream without releasing it (stream reset, connection closed).
      Returns false when it was already released or cancelled. */
  bool cancel(Ticket ticket);
  /** Releases up to `count` streams (all when nullopt) in the gate's order
      (scenarios::release_order); returns how many. The waiters run after the lock is
      dropped. */
  std::size_t release(std::string_view name, std::optional<std::size_t> count);
  /** The release settings of every gate (a scenario's `gates`); gates not named use
      the defaults (arrival order, admin only). */
  void configure(const std::map<std::string, scenarios::GateConfig, std::less<>>& configs);
  /** Makes a gate visible in the listing before anything is held there. */
  void declare(std::string_view name);
  /** {"gates":{"name":{"held":N,"released":N}}} */
  [[nodiscard]] std::string json() const;
  /** Zeroes the released counters (held streams stay held). */
  void reset_counters();

  [[nodiscard]] std::size_t held(std::string_view name) const;

 private:
  struct Entry {
    Ticket ticket;
    Waiter waiter;
  };
  struct Gate {
    std::deque<Entry> held;
    std::uint64_t released = 0;
    scenarios::GateConfig config;
  };

  /** Takes up to `count` waiters out of `gate` in its order (lock held). */
  static std::vector<Waiter> take(Gate& gate, std::optional<std::size_t> count);

  mutable std::mutex mutex_;
  Ticket next_ticket_ = 1;
  std::map<std::string, Gate, std::less<>> gates_;
};

}  // namespace faultline::fake_server::detail
